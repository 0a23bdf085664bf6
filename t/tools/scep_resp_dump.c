/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * scep-resp-dump: what scep_certs_decode() and scep_caps_decode() read of
 * a file, as one line of JSON, for t/006-responses.t.
 *
 *   scep-resp-dump certs FILE      { "rc", "detail", "n", "total",
 *                                    "certificates": [ { subject, issuer,
 *                                    serial, not_before, not_after, role,
 *                                    id } ] }  (times ISO 8601 UTC)
 *   scep-resp-dump caps FILE       { "caps": [ ... ] }
 *   scep-resp-dump prefixes FILE   { "prefixes", "accepted" }: how many of
 *                                  the proper prefixes decode as certs
 *
 *   cc -O2 -Wall -Werror -Ingx_scep_module/core -o build/scep-resp-dump
 *       t/tools/scep_resp_dump.c ngx_scep_module/core/scep_resp.c
 *       ngx_scep_module/core/scep_tables.c -lcrypto
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scep_resp.h"


static unsigned char *file_read(const char *path, size_t *len);
static void json_string(const char *s, size_t len);
static void json_time(long long t);


int
main(int argc, char **argv)
{
    size_t          len, i, accepted;
    unsigned        k;
    scep_caps_t     caps;
    scep_cert_t    *c;
    unsigned char  *p, *copy;
    scep_certs_t   *certs;

    if (argc != 3) {
        fprintf(stderr, "usage: scep-resp-dump certs|caps|prefixes FILE\n");
        return 2;
    }

    p = file_read(argv[2], &len);
    if (p == NULL) {
        return 2;
    }

    certs = malloc(sizeof(scep_certs_t));
    if (certs == NULL) {
        return 2;
    }

    if (strcmp(argv[1], "certs") == 0) {
        printf("{\"rc\": %d, \"detail\": ", scep_certs_decode(certs, p, len));
        json_string(certs->detail, strlen(certs->detail));
        printf(", \"n\": %u, \"total\": %u, \"certificates\": [",
               certs->n, certs->total);

        for (k = 0; k < certs->n; k++) {
            c = &certs->certs[k];

            printf("%s{\"subject\": ", k ? ", " : "");
            json_string(c->subject, strlen(c->subject));
            printf(", \"issuer\": ");
            json_string(c->issuer, strlen(c->issuer));
            printf(", \"serial\": ");
            json_string(c->serial, strlen(c->serial));
            printf(", \"not_before\": ");
            json_time(c->not_before);
            printf(", \"not_after\": ");
            json_time(c->not_after);
            printf(", \"role\": \"%s\", \"id\": \"", scep_cert_roles[c->role]);

            for (i = 0; i < sizeof(c->id); i++) {
                printf("%02x", c->id[i]);
            }

            printf("\"}");
        }

        printf("]}\n");

    } else if (strcmp(argv[1], "caps") == 0) {
        scep_caps_decode(&caps, p, len);
        printf("{\"caps\": [");

        for (k = 0; k < caps.n; k++) {
            printf("%s", k ? ", " : "");
            json_string((const char *) caps.caps[k].data, caps.caps[k].len);
        }

        printf("]}\n");

    } else if (strcmp(argv[1], "prefixes") == 0) {
        accepted = 0;

        /* each prefix in a buffer of its own size, for valgrind and ASan */
        for (i = 0; i < len; i++) {
            copy = malloc(i ? i : 1);
            if (copy == NULL) {
                return 2;
            }

            memcpy(copy, p, i);

            if (scep_certs_decode(certs, copy, i) == 0) {
                accepted++;
            }

            free(copy);
        }

        printf("{\"prefixes\": %zu, \"accepted\": %zu}\n", len, accepted);

    } else {
        fprintf(stderr, "scep-resp-dump: unknown mode %s\n", argv[1]);
        return 2;
    }

    free(certs);
    free(p);

    return 0;
}


static unsigned char *
file_read(const char *path, size_t *len)
{
    FILE           *f;
    size_t          n, size;
    unsigned char  *p, *np;

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }

    size = 4096;
    *len = 0;
    p = malloc(size);

    while (p != NULL && (n = fread(p + *len, 1, size - *len, f)) > 0) {
        *len += n;

        if (*len == size) {
            size *= 2;
            np = realloc(p, size);
            if (np == NULL) {
                free(p);
                p = NULL;
            }

            p = np;
        }
    }

    fclose(f);

    if (p == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
    }

    return p;
}


static void
json_string(const char *s, size_t len)
{
    size_t  i;

    putchar('"');

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            printf("\\%c", s[i]);

        } else if ((unsigned char) s[i] < 0x20
                   || (unsigned char) s[i] > 0x7e)
        {
            printf("\\u%04x", (unsigned char) s[i]);

        } else {
            putchar(s[i]);
        }
    }

    putchar('"');
}


static void
json_time(long long t)
{
    char       buf[32];
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        printf("%lld", t);
        return;
    }

    printf("\"%s\"", buf);
}
