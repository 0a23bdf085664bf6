/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * libFuzzer target for the query string of a SCEP request, through the
 * steps the module takes: scep_query_parse(), percent-decoding of
 * message=, UTF-8 repair for the log, base64 (in place, as the module
 * does it, and into a separate buffer) and, when that succeeds,
 * scep_msg_decode() of the result.
 *
 * Beyond what the sanitizers see, it checks the promises of each step:
 * pointers stay in the input, outputs fit the sizes their callers
 * allocate, and the UTF-8 repair leaves valid UTF-8 (repairing twice
 * changes nothing).  Percent-decoding and base64, which take whole runs
 * and groups at a time, must give what a plain byte-at-a-time reading
 * gives (fuzz_ref_unescape(), fuzz_ref_base64()), error offset included.
 * The same bytes, as a User-Agent, name a client family of the table.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scep.h"


static void fuzz_check(int ok);
static unsigned char *fuzz_alloc(size_t size);
static void fuzz_parse(const unsigned char *p, size_t len, int truncated);
static void fuzz_name(const unsigned char *p, size_t len,
    const unsigned char *name, size_t name_len, const char *is);
static void fuzz_message(const unsigned char *p, size_t len);
static void fuzz_encode(const unsigned char *der, size_t len);
static void fuzz_query_encoding(const unsigned char *p, size_t len);
static void fuzz_utf8(const unsigned char *p, size_t len);
static size_t fuzz_ref_unescape(unsigned char *dst, const unsigned char *src,
    size_t len, int form);
static int fuzz_ref_base64(unsigned char *dst, size_t *dst_len,
    const unsigned char *src, size_t len);
static int fuzz_ref_value(unsigned char c);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_text_safe(const unsigned char *p, size_t len);
static void fuzz_client(const unsigned char *p, size_t len);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          n;
    unsigned char  *p, *dst, *ref;

    p = fuzz_alloc(size);
    memcpy(p, data, size);

    fuzz_parse(p, size, 0);

    /* a request line cut by the URI limit: the last field is dropped */

    fuzz_parse(p, size, 1);

    /* the whole query as form text, as the log shows other fields */

    dst = fuzz_alloc(size);
    n = scep_unescape(dst, p, size, SCEP_UNESCAPE_FORM);
    fuzz_check(n <= size);
    fuzz_utf8(dst, n);

    ref = fuzz_alloc(size);
    fuzz_check(fuzz_ref_unescape(ref, p, size, 1) == n);
    fuzz_check(n == 0 || memcmp(ref, dst, n) == 0);
    free(ref);
    free(dst);

    fuzz_check(scep_op_lookup(p, size) < SCEP_OP_COUNT);

    fuzz_text_safe(p, size);

    fuzz_client(p, size);

    free(p);

    return 0;
}


static void
fuzz_parse(const unsigned char *p, size_t len, int truncated)
{
    scep_query_t  q;

    scep_query_parse(&q, p, len, truncated);

    fuzz_check(q.op < SCEP_OP_COUNT);

    if (q.operation_name) {
        fuzz_name(p, len, q.operation_name, q.operation_name_len,
                  "operation");
        fuzz_check(q.operation == q.operation_name + q.operation_name_len + 1);
    }

    if (!q.has_message) {
        fuzz_check(q.message == NULL && q.message_len == 0);
        fuzz_check(q.message_name == NULL);
        return;
    }

    fuzz_check(q.message >= p);
    fuzz_check(q.message_len <= len);
    fuzz_check((size_t) (q.message - p) <= len - q.message_len);

    fuzz_name(p, len, q.message_name, q.message_name_len, "message");
    fuzz_check(q.message == q.message_name + q.message_name_len + 1);

    fuzz_message(q.message, q.message_len);
}


/* message=: percent-decoded with '+' kept (base64), then base64 */

/* a parameter's name as spelled: inside the query, and it decodes to one */

static void
fuzz_name(const unsigned char *p, size_t len, const unsigned char *name,
    size_t name_len, const char *is)
{
    size_t         n, i;
    unsigned char  decoded[64];

    fuzz_check(name >= p && name_len < len);
    fuzz_check((size_t) (name - p) < len - name_len);
    fuzz_check(name_len <= sizeof(decoded));

    n = fuzz_ref_unescape(decoded, name, name_len, 1);
    fuzz_check(n == strlen(is));

    for (i = 0; i < n; i++) {
        fuzz_check((decoded[i] | 0x20) == is[i]);
    }
}


static void
fuzz_message(const unsigned char *p, size_t len)
{
    int             rc, rc2;
    size_t          n, max, dlen, dlen2, rlen;
    scep_msg_t      m;
    unsigned char  *text, *der, *inplace, *ref;

    fuzz_query_encoding(p, len);

    text = fuzz_alloc(len);
    n = scep_unescape(text, p, len, 0);
    fuzz_check(n <= len);

    ref = fuzz_alloc(len);
    fuzz_check(fuzz_ref_unescape(ref, p, len, 0) == n);
    fuzz_check(n == 0 || memcmp(ref, text, n) == 0);
    free(ref);

    fuzz_utf8(text, n);

    max = scep_base64_decoded_len(n);
    der = fuzz_alloc(max);

    dlen = max + 1;
    rc = scep_base64_decode(der, &dlen, text, n);

    fuzz_check(rc >= 0 || rc == SCEP_BASE64_CUT);
    fuzz_check(rc < 0 || (size_t) rc <= n);
    fuzz_check(dlen <= max);

    ref = fuzz_alloc(max);
    fuzz_check(fuzz_ref_base64(ref, &rlen, text, n) == rc);
    fuzz_check(rc != 0 || rlen == dlen);
    fuzz_check(rc != 0 || dlen == 0 || memcmp(ref, der, dlen) == 0);
    free(ref);

    /*
     * The module decodes in place, in a buffer of the escaped length + 3:
     * the same bytes must come out as from a separate buffer.
     */

    inplace = fuzz_alloc(len + 3);
    memcpy(inplace, text, n);

    rc2 = scep_base64_decode(inplace, &dlen2, inplace, n);

    fuzz_check(rc2 == rc);
    fuzz_check(dlen2 == dlen);
    fuzz_check(dlen == 0 || memcmp(inplace, der, dlen) == 0);

    free(inplace);

    if (rc == 0) {
        fuzz_encode(der, dlen);
    }

    if (rc == 0 || rc == SCEP_BASE64_CUT) {
        /* a copy of the exact size: ASan sees a read past the end */

        free(text);
        text = fuzz_alloc(dlen);
        memcpy(text, der, dlen);

        if (scep_msg_decode(&m, text, dlen) != SCEP_REJECT_NONE) {
            fuzz_check(m.detail[0] != '\0');
        }
    }

    free(der);
    free(text);
}


/*
 * What scep_normalize_message forwards: letters, digits and escapes only
 * (no '&' or '=' that could add a parameter), within the size promised,
 * and it decodes back to the very bytes.
 */

static void
fuzz_encode(const unsigned char *der, size_t len)
{
    size_t          i, n, max, dlen;
    unsigned char  *text, *back;

    max = scep_message_encoded_len(len);
    text = fuzz_alloc(max);

    n = scep_message_encode(text, der, len);
    fuzz_check(n <= max);

    for (i = 0; i < n; i++) {
        fuzz_check((text[i] >= 'A' && text[i] <= 'Z')
                   || (text[i] >= 'a' && text[i] <= 'z')
                   || (text[i] >= '0' && text[i] <= '9') || text[i] == '%');
    }

    fuzz_check(scep_query_encoding(text, n) == 0
               || scep_query_encoding(text, n)
                  == (1 << SCEP_QENC_PERCENT));

    n = scep_unescape(text, text, n, 0);
    back = fuzz_alloc(scep_base64_decoded_len(n));

    fuzz_check(scep_base64_decode(back, &dlen, text, n) == 0);
    fuzz_check(dlen == len);
    fuzz_check(len == 0 || memcmp(back, der, len) == 0);

    free(back);
    free(text);
}


/* the bits of scep_query_encoding() follow from the bytes they name */

static void
fuzz_query_encoding(const unsigned char *p, size_t len)
{
    unsigned  seen;

    seen = scep_query_encoding(p, len);

    fuzz_check(seen < (1u << SCEP_QENC_COUNT));

    if (seen & (1 << SCEP_QENC_RAW)) {
        fuzz_check(memchr(p, '+', len) || memchr(p, '/', len)
                   || memchr(p, '=', len));
    }

    if (seen & (1 << SCEP_QENC_PERCENT)) {
        fuzz_check(memchr(p, '%', len) != NULL);
    }

    if ((seen & (1 << SCEP_QENC_RAW_PLUS)) && memchr(p, '%', len) == NULL) {
        fuzz_check(memchr(p, '+', len) || memchr(p, ' ', len));
    }

    if (memchr(p, '%', len) == NULL) {
        fuzz_check(!(seen & (1 << SCEP_QENC_PERCENT)));
        fuzz_check(!(seen & (1 << SCEP_QENC_BASE64URL))
                   == !(memchr(p, '-', len) || memchr(p, '_', len)));
        fuzz_check(!(seen & (1 << SCEP_QENC_LINE_BREAKS))
                   == !(memchr(p, '\r', len) || memchr(p, '\n', len)));
    }
}


static void
fuzz_utf8(const unsigned char *p, size_t len)
{
    size_t          n, n2;
    unsigned char  *once, *twice;

    once = fuzz_alloc(3 * len);
    n = scep_utf8_sanitize(once, p, len);
    fuzz_check(n <= 3 * len);

    twice = fuzz_alloc(3 * n);
    n2 = scep_utf8_sanitize(twice, once, n);

    fuzz_check(n2 == n);
    fuzz_check(n == 0 || memcmp(once, twice, n) == 0);

    free(twice);
    free(once);
}


static unsigned char *
fuzz_alloc(size_t size)
{
    unsigned char  *p;

    p = malloc(size ? size : 1);
    fuzz_check(p != NULL);

    return p;
}


/* an abort is a finding: libFuzzer keeps the input that caused it */

static void
fuzz_check(int ok)
{
    if (!ok) {
        abort();
    }
}


/* the oracles: one byte at a time, as the formats are written down */

static size_t
fuzz_ref_unescape(unsigned char *dst, const unsigned char *src, size_t len,
    int form)
{
    int     hi, lo;
    size_t  i, n;

    for (i = 0, n = 0; i < len; i++) {
        if (src[i] == '%' && len - i >= 3) {
            hi = fuzz_ref_value(src[i + 1]);
            lo = fuzz_ref_value(src[i + 2]);

            if (hi >= 0 && lo >= 0) {
                dst[n++] = (unsigned char) (hi * 16 + lo);
                i += 2;
                continue;
            }
        }

        dst[n++] = (form && src[i] == '+') ? ' ' : src[i];
    }

    return n;
}


static int
fuzz_ref_value(unsigned char c)
{
    const char  *hex = "0123456789abcdef0123456789ABCDEF";
    const char  *p;

    p = memchr(hex, c, 32);

    return p ? (int) ((p - hex) % 16) : -1;
}


/* 0, or the offset + 1 of the first byte out of place */

static int
fuzz_ref_base64(unsigned char *dst, size_t *dst_len, const unsigned char *src,
    size_t len)
{
    size_t       i, n, bits, pad;
    unsigned     acc;
    const char  *alphabet, *url, *p;

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789+/";
    url = "-_";
    acc = 0;
    bits = 0;
    pad = 0;
    *dst_len = 0;

    for (i = 0, n = 0; i < len; i++) {
        if (src[i] == '\r' || src[i] == '\n' || src[i] == '\t') {
            continue;
        }

        if (src[i] == '=') {
            pad++;
            continue;
        }

        /* a '+' that arrived as a space; base64url's '-' and '_' */
        if (src[i] == ' ') {
            p = alphabet + 62;

        } else if (src[i] && memchr(url, src[i], 2)) {
            p = alphabet + 62 + ((const char *) memchr(url, src[i], 2) - url);

        } else {
            p = src[i] ? memchr(alphabet, src[i], 64) : NULL;
        }

        if (p == NULL || pad) {
            *dst_len = n;
            return (int) (i + 1);
        }

        acc = acc << 6 | (unsigned) (p - alphabet);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (unsigned char) (acc >> bits);
        }
    }

    *dst_len = n;

    /* one character alone carries no byte: cut, unless padded */
    if (bits == 6) {
        return pad ? (int) len : SCEP_BASE64_CUT;
    }

    return 0;
}


/*
 * What a $scep_* variable gives of client bytes: within its bound, no
 * control byte, and valid UTF-8 (sanitizing it again changes nothing).
 */

static void
fuzz_text_safe(const unsigned char *p, size_t len)
{
    size_t          i, n;
    unsigned char  *safe;

    safe = fuzz_alloc(6 * len);
    n = scep_text_safe(safe, p, len);
    fuzz_check(n <= 6 * len);

    for (i = 0; i < n; i++) {
        fuzz_check(safe[i] >= 0x20 && safe[i] != 0x7f);
    }

    fuzz_utf8(safe, n);

    free(safe);
}


/*
 * A family of the table, whatever the bytes; only the first
 * SCEP_CLIENT_UA_MAX are read (ASan sees a read past them in the copy of
 * that size), so a longer User-Agent is the family of its start.
 */

static void
fuzz_client(const unsigned char *p, size_t len)
{
    size_t          n;
    unsigned char  *start;
    scep_client_e   c;

    c = scep_client_match(p, len, 0);
    fuzz_check(c < SCEP_CLIENT_COUNT);

    n = len < SCEP_CLIENT_UA_MAX ? len : SCEP_CLIENT_UA_MAX;
    start = fuzz_alloc(n);
    memcpy(start, p, n);

    fuzz_check(scep_client_match(start, n, SCEP_CLIENT_HTTP10) == c);

    free(start);

    fuzz_check(scep_client_match(NULL, 0, SCEP_CLIENT_HTTP10
                                          | SCEP_CLIENT_HOST)
               == SCEP_CLIENT_NETWORK);
}
