/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The query string of a SCEP request: operation= and message=.
 */


#include <string.h>
#include <strings.h>

#include "scep.h"


#define SCEP_OP_NAME_MAX  32

/* the longest name that can decode to "operation": every byte escaped */
#define SCEP_PARAM_NAME_MAX  (3 * (sizeof("operation") - 1))


static int scep_client_has(const unsigned char *p, size_t len,
    const char *s);
static int scep_query_name_is(const unsigned char *p, size_t len,
    const char *name);
static int scep_query_param_is(const unsigned char *p, size_t len,
    const char *name);


void
scep_query_parse(scep_query_t *q, const unsigned char *p, size_t len,
    int truncated)
{
    int                   has_op;
    size_t                n;
    const unsigned char  *end, *last, *eq, *amp;

    memset(q, 0, sizeof(scep_query_t));
    q->op = SCEP_OP_NONE;
    has_op = 0;

    if (p == NULL) {
        return;
    }

    end = p + len;

    /* sscep sends "??operation=": the second '?' is part of the args */

    while (p < end && *p == '?') {
        p++;
    }

    for ( /* void */ ; p < end; p = amp + 1) {

        amp = memchr(p, '&', end - p);

        if (amp == NULL) {
            if (truncated) {
                /* the request line was cut: the last field is incomplete */
                break;
            }

            amp = end;
        }

        last = amp;
        eq = memchr(p, '=', last - p);

        if (eq == NULL) {
            continue;
        }

        n = eq - p;

        /*
         * The first occurrence of a parameter gives its value, as with
         * NDES; a second one, in whatever spelling, makes the query
         * ambiguous: Go's url.Values, say, is case-sensitive.
         */

        if (scep_query_param_is(p, n, "operation")) {

            if (has_op) {
                q->ambiguous_operation = 1;
                continue;
            }

            has_op = 1;
            q->operation_name = p;
            q->operation_name_len = n;
            q->operation = eq + 1;
            q->operation_len = last - eq - 1;
            q->op = scep_op_lookup(q->operation, q->operation_len);
            continue;
        }

        if (scep_query_param_is(p, n, "message")) {

            if (q->has_message) {
                q->ambiguous_message = 1;
                continue;
            }

            q->has_message = 1;
            q->message_name = p;
            q->message_name_len = n;
            q->message = eq + 1;
            q->message_len = last - eq - 1;
        }
    }

    if (!has_op) {
        q->op = SCEP_OP_NONE;
    }
}


scep_op_e
scep_op_lookup(const unsigned char *p, size_t len)
{
    size_t         n;
    scep_op_e      op;
    unsigned char  name[3 * SCEP_OP_NAME_MAX];

    /* escaped, a name of SCEP_OP_NAME_MAX bytes takes three times that */

    if (len > sizeof(name)) {
        return SCEP_OP_UNKNOWN;
    }

    n = scep_unescape(name, p, len, SCEP_UNESCAPE_FORM);

    /* clients differ in case; NDES accepts any */

    for (op = SCEP_OP_GETCACERT; op < SCEP_OP_COUNT; op++) {
        if (scep_query_name_is(name, n, scep_ops[op].name)) {
            return op;
        }
    }

    return SCEP_OP_UNKNOWN;
}


/* a parameter's name, percent-decoded as IIS and Go decode it */

static int
scep_query_param_is(const unsigned char *p, size_t len, const char *name)
{
    size_t         n;
    unsigned char  decoded[SCEP_PARAM_NAME_MAX];

    if (memchr(p, '%', len) == NULL && memchr(p, '+', len) == NULL) {
        return scep_query_name_is(p, len, name);
    }

    if (len > sizeof(decoded)) {
        return 0;
    }

    n = scep_unescape(decoded, p, len, SCEP_UNESCAPE_FORM);

    return scep_query_name_is(decoded, n, name);
}


static int
scep_query_name_is(const unsigned char *p, size_t len, const char *name)
{
    return strlen(name) == len
           && strncasecmp((const char *) p, name, len) == 0;
}


/*
 * Without a User-Agent: HTTP/1.0 is network gear (Cisco IOS sends a
 * Host) or sscep (its requests have none); HTTP/1.1 is certmonger's
 * scep-submit (libcurl without a User-Agent), or any other client so
 * written: the family is a guess there, and says so in the docs.
 */

scep_client_e
scep_client_match(const unsigned char *ua, size_t len, unsigned flags)
{
    const scep_client_pattern_t  *pt;

    if (ua == NULL) {
        if (!(flags & SCEP_CLIENT_HTTP10)) {
            return SCEP_CLIENT_CERTMONGER;
        }

        return (flags & SCEP_CLIENT_HOST) ? SCEP_CLIENT_NETWORK
                                          : SCEP_CLIENT_SSCEP;
    }

    if (len > SCEP_CLIENT_UA_MAX) {
        len = SCEP_CLIENT_UA_MAX;
    }

    for (pt = scep_client_patterns; pt->has; pt++) {
        if (scep_client_has(ua, len, pt->has)
            && (pt->and_has == NULL || scep_client_has(ua, len, pt->and_has)))
        {
            return pt->client;
        }
    }

    return SCEP_CLIENT_OTHER;
}


static int
scep_client_has(const unsigned char *p, size_t len, const char *s)
{
    size_t  n, i;

    n = strlen(s);

    for (i = 0; n <= len && i <= len - n; i++) {
        if (p[i] == (unsigned char) s[0] && memcmp(p + i, s, n) == 0) {
            return 1;
        }
    }

    return 0;
}
