/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * What decoding a pkiMessage costs the proxy, next to what it would cost
 * with OpenSSL's own parsers, on the same messages in the same run:
 *
 *   bench-decode [-r RUNS] [-t MS] FILE...   a table, then "name value" lines
 *   bench-decode --once FILE                 one decode, for callgrind
 *
 * Each figure is the best of RUNS runs (5) of N iterations, N chosen so
 * that one run lasts about MS milliseconds (20): the minimum is the cost
 * without the noise of other processes.  OpenSSL's figures include the
 * free of the tree d2i builds, which a proxy has to pay too; the decoder
 * allocates nothing.  The first FILE is the reference, whose figures are
 * printed again without a prefix (decode_us, openssl_d2i_us, ...).
 *
 * It also times the signature check: warm, with the signer's key in the
 * cache, as for a device that retries; cold, with a new cache each time,
 * which includes parsing the signer certificate's key.  And what the
 * module spends on a request carrying the message from a signer it has
 * not seen (request_us: decode, signer subject, key and signature check,
 * a new cache each time), an attacker's cheapest way to make it work; x_ios
 * is that next to the iOS RSA-4096 PKCSReq (ios-pkcsreq-ber), when it is
 * among the messages, else next to the reference.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#include "scep.h"

#include "scep_verify.h"


typedef void (*bench_fn_t)(void *arg);


typedef struct {
    const char                *name;
    unsigned char             *der;
    size_t                     der_len;
    unsigned char             *b64;         /* sscep's form: 64 columns */
    size_t                     b64_len;
    unsigned char             *out;
    size_t                     out_size;
    scep_reject_e              reject;

    double                     decode_us;
    double                     walk_us;
    double                     d2i_pkcs7_us;
    double                     d2i_cms_us;
    double                     base64_us;
    double                     openssl_base64_us;
    double                     verify_us;
    double                     verify_cold_us;
    double                     request_us;
    const char                *sig;

    scep_msg_t                 msg;
    scep_key_cache_t          *cache;
} bench_msg_t;


static double bench(bench_fn_t fn, void *arg);
static double bench_now(void);
static void bench_decode(void *arg);
static void bench_decode_walk(void *arg);
static void bench_d2i_pkcs7(void *arg);
static void bench_d2i_cms(void *arg);
static void bench_base64(void *arg);
static void bench_openssl_base64(void *arg);
static void bench_verify(void *arg);
static void bench_verify_cold(void *arg);
static void bench_request(void *arg);
static int bench_load(bench_msg_t *b, const char *path);
static void bench_print(const char *prefix, const char *name, double v);


static unsigned     bench_runs = 5;
static double       bench_run_ms = 20;
static volatile size_t  bench_sink;


int
main(int argc, char **argv)
{
    int           i, nmsgs;
    char          prefix[256];
    double        base;
    scep_msg_t    m;
    bench_msg_t  *msgs, *b, *ios;

    if (argc == 3 && strcmp(argv[1], "--once") == 0) {
        msgs = calloc(1, sizeof(bench_msg_t));

        if (msgs == NULL || bench_load(msgs, argv[2]) != 0) {
            return 2;
        }

        /* callgrind counts this call: --toggle-collect=scep_msg_decode */

        return scep_msg_decode(&m, msgs->der, msgs->der_len) ? 1 : 0;
    }

    for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 == argc) {
            break;
        }

        if (strcmp(argv[i], "-r") == 0) {
            bench_runs = atoi(argv[i + 1]);

        } else if (strcmp(argv[i], "-t") == 0) {
            bench_run_ms = atof(argv[i + 1]);

        } else {
            break;
        }
    }

    if (i == argc || bench_runs == 0 || bench_run_ms <= 0) {
        fprintf(stderr, "usage: bench-decode [-r RUNS] [-t MS] FILE...\n"
                        "       bench-decode --once FILE\n");
        return 2;
    }

    nmsgs = argc - i;
    msgs = calloc(nmsgs, sizeof(bench_msg_t));

    if (msgs == NULL) {
        return 2;
    }

    for (b = msgs; i < argc; i++, b++) {
        if (bench_load(b, argv[i]) != 0) {
            return 2;
        }
    }

    ios = NULL;

    for (b = msgs; b < msgs + nmsgs; b++) {
        if (b->reject == SCEP_REJECT_NONE
            && strcmp(b->name, "ios-pkcsreq-ber") == 0)
        {
            ios = b;
        }

        if (b->reject == SCEP_REJECT_NONE) {
            b->request_us = bench(bench_request, b);
        }
    }

    if (ios == NULL) {
        ios = msgs;
    }

    base = ios->request_us > 0 ? ios->request_us : 1;

    printf("%-28s %6s %9s %9s %11s %9s %8s %9s %12s %10s %6s %9s %14s\n",
           "message", "bytes", "decode_us", "+walk_us", "d2i_PKCS7_us",
           "d2i_CMS_us", "speedup", "base64_us", "evp_base64_us",
           "request_us", "x_ios", "verify_us", "verify_cold_us");

    for (b = msgs; b < msgs + nmsgs; b++) {

        if (b->reject != SCEP_REJECT_NONE) {
            printf("%-28s %6zu   rejected: %s\n", b->name, b->der_len,
                   scep_rejects[b->reject].name);
            continue;
        }

        b->decode_us = bench(bench_decode, b);
        b->walk_us = bench(bench_decode_walk, b);
        b->d2i_pkcs7_us = bench(bench_d2i_pkcs7, b);
        b->d2i_cms_us = bench(bench_d2i_cms, b);
        b->base64_us = bench(bench_base64, b);
        b->openssl_base64_us = bench(bench_openssl_base64, b);

        b->verify_us = bench(bench_verify, b);
        b->verify_cold_us = bench(bench_verify_cold, b);

        printf("%-28s %6zu %9.3f %9.3f %11.2f %10.2f %7.0fx %9.2f %12.2f"
               " %10.2f %5.1fx",
               b->name, b->der_len, b->decode_us, b->walk_us,
               b->d2i_pkcs7_us, b->d2i_cms_us,
               b->d2i_pkcs7_us / b->decode_us, b->base64_us,
               b->openssl_base64_us, b->request_us, b->request_us / base);

        if (b->sig != NULL) {
            printf(" %9.2f %14.2f  (%s)", b->verify_us, b->verify_cold_us,
                   b->sig);
        }

        printf("\n");
    }

    printf("\n");

    for (b = msgs; b < msgs + nmsgs; b++) {
        if (b->reject != SCEP_REJECT_NONE) {
            continue;
        }

        /* the reference message's figures also without a prefix */

        if (b == msgs) {
            prefix[0] = '\0';
            printf("reference %s\n", b->name);

        } else {
            snprintf(prefix, sizeof(prefix), "%s.", b->name);
        }

        bench_print(prefix, "message_bytes", (double) b->der_len);
        bench_print(prefix, "decode_us", b->decode_us);
        bench_print(prefix, "decode_walk_us", b->walk_us);
        bench_print(prefix, "openssl_d2i_us", b->d2i_pkcs7_us);
        bench_print(prefix, "openssl_cms_us", b->d2i_cms_us);
        bench_print(prefix, "decode_speedup",
                    b->d2i_pkcs7_us / b->decode_us);
        bench_print(prefix, "decode_speedup_cms",
                    b->d2i_cms_us / b->decode_us);
        bench_print(prefix, "base64_us", b->base64_us);
        bench_print(prefix, "openssl_base64_us", b->openssl_base64_us);
        bench_print(prefix, "request_us", b->request_us);
        bench_print(prefix, "request_x_ios", b->request_us / base);

        if (b->sig != NULL) {
            bench_print(prefix, "verify_us", b->verify_us);
            bench_print(prefix, "verify_cold_us", b->verify_cold_us);
            printf("%ssignature %s\n", prefix, b->sig);
        }
    }

    return 0;
}


/* the best of bench_runs runs, in microseconds per call */

static double
bench(bench_fn_t fn, void *arg)
{
    double    t, best;
    size_t    n, i;
    unsigned  r;

    /* calibration: double n until a run lasts a tenth of the target */

    for (n = 1; ; n *= 2) {
        t = bench_now();

        for (i = 0; i < n; i++) {
            fn(arg);
        }

        t = bench_now() - t;

        if (t * 1e3 >= bench_run_ms / 10 || n >= ((size_t) 1 << 30)) {
            break;
        }
    }

    n = (size_t) (n * (bench_run_ms / 1e3) / (t > 0 ? t : 1e-9)) + 1;
    best = 0;

    for (r = 0; r < bench_runs; r++) {
        t = bench_now();

        for (i = 0; i < n; i++) {
            fn(arg);
        }

        t = bench_now() - t;

        if (r == 0 || t < best) {
            best = t;
        }
    }

    return best * 1e6 / n;
}


static double
bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
bench_decode(void *arg)
{
    bench_msg_t  *b = arg;
    scep_msg_t    m;

    bench_sink += scep_msg_decode(&m, b->der, b->der_len);
    bench_sink += m.transaction_id.len;
}


/* the decode plus a pass over the content, as the module hashes it */

static void
bench_decode_walk(void *arg)
{
    bench_msg_t          *b = arg;
    scep_msg_t            m;
    scep_bytes_t          seg;
    scep_content_iter_t   it;

    bench_sink += scep_msg_decode(&m, b->der, b->der_len);

    scep_content_init(&it, &m);

    while (scep_content_next(&it, &seg) == 1) {
        bench_sink += seg.len;
    }
}


static void
bench_d2i_pkcs7(void *arg)
{
    bench_msg_t          *b = arg;
    PKCS7                *p7;
    const unsigned char  *p;

    p = b->der;
    p7 = d2i_PKCS7(NULL, &p, b->der_len);
    bench_sink += (size_t) p7;
    PKCS7_free(p7);
}


static void
bench_d2i_cms(void *arg)
{
    bench_msg_t          *b = arg;
    const unsigned char  *p;
    CMS_ContentInfo      *cms;

    p = b->der;
    cms = d2i_CMS_ContentInfo(NULL, &p, b->der_len);
    bench_sink += (size_t) cms;
    CMS_ContentInfo_free(cms);
}


static void
bench_base64(void *arg)
{
    bench_msg_t  *b = arg;
    size_t        n;

    bench_sink += scep_base64_decode(b->out, &n, b->b64, b->b64_len);
    bench_sink += n;
}


static void
bench_openssl_base64(void *arg)
{
    bench_msg_t       *b = arg;
    int                n, last;
    EVP_ENCODE_CTX    *ctx;

    ctx = EVP_ENCODE_CTX_new();
    EVP_DecodeInit(ctx);
    EVP_DecodeUpdate(ctx, b->out, &n, b->b64, (int) b->b64_len);
    EVP_DecodeFinal(ctx, b->out + n, &last);
    EVP_ENCODE_CTX_free(ctx);

    bench_sink += n + last;
}



static void
bench_verify(void *arg)
{
    bench_msg_t  *b = arg;

    bench_sink += scep_msg_verify(b->cache, &b->msg, NULL, 0);
}


static void
bench_verify_cold(void *arg)
{
    bench_msg_t       *b = arg;
    scep_key_cache_t  *cache;

    cache = scep_key_cache_create(1);
    bench_sink += scep_msg_verify(cache, &b->msg, NULL, 0);
    scep_key_cache_destroy(cache);
}



/* a request from a new signer: what the module runs for it */

static void
bench_request(void *arg)
{
    bench_msg_t       *b = arg;
    char               subject[512];
    scep_msg_t         m;
    scep_key_cache_t  *cache;

    bench_sink += scep_msg_decode(&m, b->der, b->der_len);

    cache = scep_key_cache_create(1);
    bench_sink += scep_msg_signer_subject(cache, &m, subject,
                                          sizeof(subject));

    if (scep_msg_signer_key(cache, &m, NULL, 0) == 0) {
        bench_sink += scep_msg_verify(cache, &m, NULL, 0);
    }

    scep_key_cache_destroy(cache);
}


static int
bench_load(bench_msg_t *b, const char *path)
{
    long           size;
    FILE          *f;
    size_t         i, n;
    scep_msg_t     m;
    const char    *slash, *dot;
    unsigned char  line[48];
    char           detail[128];

    f = fopen(path, "rb");

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        perror(path);
        return -1;
    }

    b->der_len = size;
    b->der = malloc(size ? size : 1);

    if (b->der == NULL || fread(b->der, 1, size, f) != (size_t) size) {
        perror(path);
        fclose(f);
        return -1;
    }

    fclose(f);

    slash = strrchr(path, '/');
    b->name = slash ? slash + 1 : path;
    dot = strrchr(b->name, '.');

    if (dot != NULL && strcmp(dot, ".der") == 0) {
        b->name = strndup(b->name, dot - b->name);
    }

    b->reject = scep_msg_decode(&m, b->der, b->der_len);


    /*
     * The result is printed next to the times: "unchecked" is a check
     * that stopped early (no signer certificate), not one that was made.
     */

    b->msg = m;
    b->cache = scep_key_cache_create(16);

    if (b->reject == SCEP_REJECT_NONE && b->cache != NULL) {
        b->sig = scep_msg_signer_key(b->cache, &b->msg, detail,
                                     sizeof(detail)) == 0
                 ? scep_sig_names[scep_msg_verify(b->cache, &b->msg, detail,
                                                  sizeof(detail))]
                 : "signer_key_unsupported";
    }


    /* base64 in 64-column lines, as sscep sends it once %0A is decoded */

    b->b64 = malloc((b->der_len + 2) / 3 * 4 + b->der_len / 48 + 2);
    b->out_size = scep_base64_decoded_len((b->der_len + 2) / 3 * 4
                                          + b->der_len / 48 + 2);
    b->out = malloc(b->out_size + 3);

    if (b->b64 == NULL || b->out == NULL) {
        return -1;
    }

    b->b64_len = 0;

    for (i = 0; i < b->der_len; i += n) {
        n = b->der_len - i < sizeof(line) ? b->der_len - i : sizeof(line);
        memcpy(line, b->der + i, n);
        b->b64_len += EVP_EncodeBlock(b->b64 + b->b64_len, line, (int) n);
        b->b64[b->b64_len++] = '\n';
    }

    return 0;
}


static void
bench_print(const char *prefix, const char *name, double v)
{
    printf("%s%s %.*f\n", prefix, name, v >= 100 ? 1 : 3, v);
}
