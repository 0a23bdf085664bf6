/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The one BER/DER reader of the decoding core: a TLV at a time, zero-copy,
 * every length checked against the bytes that remain, nesting bounded by
 * the depth the caller passes and the reading by its budget of TLVs.
 * And the text of an OID, for the details of the decoders and the
 * signature check.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "scep_ber.h"


static int scep_ber_fail(scep_ber_t *b, unsigned truncated,
    const char *fmt, ...);


/* a reader of the bytes at base, with its budget and where it explains */

void
scep_ber_init(scep_ber_t *b, const unsigned char *base, unsigned budget,
    char *detail, size_t size)
{
    b->base = base;
    b->budget = budget;
    b->budget_total = budget;
    b->ber = 0;
    b->truncated = 0;
    b->detail = detail;
    b->detail_size = size;
}


/*
 * One TLV at p.  For an indefinite length its content is walked, one
 * level deeper each time, to find the end-of-contents octets.  Returns 0,
 * or -1 with b->detail, and b->truncated when the bytes ran out.
 */

int
scep_ber_tlv(scep_ber_t *b, const unsigned char *p, const unsigned char *end,
    unsigned depth, scep_tlv_t *t)
{
    scep_tlv_t            child;
    const unsigned char  *q;

    if (depth > SCEP_MAX_DEPTH) {
        return scep_ber_fail(b, 0, "nested deeper than %d levels",
                             SCEP_MAX_DEPTH);
    }

    if (b->budget == 0) {
        return scep_ber_fail(b, 0, "more than %u TLVs to read",
                             b->budget_total);
    }

    b->budget--;

    if (end - p >= 1 && p[0] == 0) {
        return scep_ber_fail(b, 0, "end-of-contents where a TLV should be "
                             "at byte %zu", (size_t) (p - b->base));
    }

    q = scep_ber_header(p, end, t);

    if (q == NULL) {
        if (p < end && (p[0] & 0x1f) == 0x1f) {
            return scep_ber_fail(b, 0, "multi-byte tag at byte %zu",
                                 (size_t) (p - b->base));
        }

        return scep_ber_fail(b, 1, "the TLV at byte %zu declares more than "
                             "the %zu bytes that remain",
                             (size_t) (p - b->base), (size_t) (end - p));
    }

    if (t->content_end != NULL) {
        if (t->long_form) {

            /*
             * BER allows it, but OpenSSL since 3.0.19 refuses a long-form
             * length that counts no bytes, and no SCEP client writes one
             */

            if (t->content_end == t->content) {
                return scep_ber_fail(b, 0, "a long-form length of zero at "
                                     "byte %zu", (size_t) (p - b->base));
            }

            b->ber = 1;
        }

        return 0;
    }

    if (!(t->tag & 0x20)) {
        return scep_ber_fail(b, 0, "indefinite length on a primitive at "
                             "byte %zu", (size_t) (p - b->base));
    }

    b->ber = 1;

    for ( ;; ) {
        if (end - q < 2) {
            return scep_ber_fail(b, 1, "the indefinite length at byte %zu "
                                 "has no end-of-contents",
                                 (size_t) (p - b->base));
        }

        if (q[0] == 0 && q[1] == 0) {
            t->content_end = q;
            t->end = q + 2;
            return 0;
        }

        if (scep_ber_tlv(b, q, end, depth + 1, &child) != 0) {
            return -1;
        }

        q = child.end;
    }
}


/*
 * The header of a TLV: tag and length.  Returns the start of the content,
 * or NULL when the header or a definite length does not fit.  For an
 * indefinite length t->content_end and t->end stay NULL.
 */

const unsigned char *
scep_ber_header(const unsigned char *p, const unsigned char *end,
    scep_tlv_t *t)
{
    size_t                len, n;
    const unsigned char  *q;

    t->start = p;
    t->content_end = NULL;
    t->end = NULL;
    t->indefinite = 0;
    t->long_form = 0;

    if (end - p < 2 || (p[0] & 0x1f) == 0x1f) {
        return NULL;
    }

    t->tag = p[0];
    len = p[1];
    q = p + 2;

    if (len == 0x80) {
        t->indefinite = 1;
        t->content = q;
        return q;
    }

    if (len & 0x80) {
        n = len & 0x7f;

        /* no message here comes near 4 GB */

        if (n > 4 || (size_t) (end - q) < n) {
            return NULL;
        }

        t->long_form = (n == 0 || *q == 0);

        for (len = 0; n; n--) {
            len = (len << 8) | *q++;
        }

        if (len < 0x80) {
            t->long_form = 1;
        }
    }

    if ((size_t) (end - q) < len) {
        return NULL;
    }

    t->content = q;
    t->content_end = q + len;
    t->end = q + len;

    return q;
}


/*
 * The text of an OID from its content bytes.  Named, it is OpenSSL's:
 * its name for the OID, else the dotted form, and "(malformed OID)" where
 * OpenSSL cannot read it.  Otherwise it is dotted here, without the
 * allocation of an ASN1_OBJECT, since the decoder allocates nothing; the
 * text then stops before an arc that might not fit in buf, or that would
 * not fit in an unsigned long.
 */

void
scep_ber_oid_text(char *buf, size_t size, const unsigned char *oid,
    size_t len, unsigned named)
{
    int                   n;
    size_t                i, used;
    unsigned long         v;
    ASN1_OBJECT          *obj;
    unsigned char         der[2 + 127];
    const unsigned char  *p;

    if (named) {
        obj = NULL;

        /* d2i wants the TLV; OIDs named here are short */

        if (len && len <= 127) {
            der[0] = SCEP_TAG_OID;
            der[1] = (unsigned char) len;
            memcpy(der + 2, oid, len);

            p = der;
            obj = d2i_ASN1_OBJECT(NULL, &p, 2 + len);
        }

        if (obj == NULL || OBJ_obj2txt(buf, size, obj, 0) <= 0) {
            snprintf(buf, size, "(malformed OID)");
        }

        ASN1_OBJECT_free(obj);
        return;
    }

    used = 0;
    v = 0;
    buf[0] = '\0';

    for (i = 0; i < len && used + 24 < size; i++) {

        if (v > (~0UL >> 8)) {
            break;
        }

        v = (v << 7) | (oid[i] & 0x7f);

        if (oid[i] & 0x80) {
            continue;
        }

        if (used == 0) {
            /* the first subidentifier holds two arcs */
            n = snprintf(buf, size, "%lu.%lu", v < 80 ? v / 40 : 2,
                         v < 80 ? v % 40 : v - 80);

        } else {
            n = snprintf(buf + used, size - used, ".%lu", v);
        }

        used += n;
        v = 0;
    }
}


/* H. Hinnant's days_from_civil */

long long
scep_ber_days(long long y, unsigned m, unsigned d)
{
    long long  era;
    unsigned   yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (long long) doe - 719468;
}


int
scep_ber_time(const scep_tlv_t *tlv, long long *t)
{
    size_t                i, len;
    unsigned              v[6], mdays;
    const unsigned char  *p;

    static const unsigned char  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    p = tlv->content;
    len = tlv->content_end - tlv->content;

    if (!((tlv->tag == SCEP_TAG_UTC_TIME && len == 13)
          || (tlv->tag == SCEP_TAG_GEN_TIME && len == 15))
        || p[len - 1] != 'Z')
    {
        return -1;
    }

    for (i = 0; i < len - 1; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
    }

    if (len == 15) {
        v[0] = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10
               + (p[3] - '0');
        p += 4;

    } else {
        v[0] = (p[0] - '0') * 10 + (p[1] - '0');
        v[0] += v[0] < 50 ? 2000 : 1900;
        p += 2;
    }

    for (i = 1; i < 6; i++, p += 2) {
        v[i] = (p[0] - '0') * 10 + (p[1] - '0');
    }

    if (v[1] < 1 || v[1] > 12) {
        return -1;
    }

    mdays = days[v[1] - 1];

    if (v[1] == 2
        && v[0] % 4 == 0 && (v[0] % 100 != 0 || v[0] % 400 == 0))
    {
        mdays++;
    }

    if (v[2] < 1 || v[2] > mdays || v[3] > 23 || v[4] > 59 || v[5] > 59) {
        return -1;
    }

    *t = scep_ber_days(v[0], v[1], v[2]) * 86400
         + v[3] * 3600 + v[4] * 60 + v[5];

    return 0;
}


/*
 * The magnitude of a negative x is ~x + 1: the carry of the + 1 reaches
 * only the bytes after the last that is not zero.
 */

void
scep_ber_serial(char *buf, size_t size, const unsigned char *p, size_t len)
{
    size_t         i, o, last;
    unsigned       neg, c, started;

    static const char  digits[] = "0123456789abcdef";

    o = 0;
    neg = len && (p[0] & 0x80);

    if (size < 4) {
        if (size) {
            buf[0] = '\0';
        }

        return;
    }

    if (neg) {
        buf[o++] = '-';
    }

    last = 0;

    for (i = 0; i < len; i++) {
        if (p[i]) {
            last = i;
        }
    }

    started = 0;

    for (i = 0; i < len && o + 3 <= size; i++) {
        c = p[i];

        if (neg) {
            c = i < last ? (~c & 0xff) : i == last ? ((~c + 1) & 0xff) : 0;
        }

        /* the sign's padding byte, and none other, is not printed */

        if (!started && c == 0 && i + 1 < len) {
            continue;
        }

        started = 1;
        buf[o++] = digits[c >> 4];
        buf[o++] = digits[c & 0xf];
    }

    if (len == 0) {
        buf[o++] = '0';
        buf[o++] = '0';
    }

    buf[o] = '\0';
}


static int
scep_ber_fail(scep_ber_t *b, unsigned truncated, const char *fmt, ...)
{
    va_list  args;

    b->truncated = truncated;

    va_start(args, fmt);
    vsnprintf(b->detail, b->detail_size, fmt, args);
    va_end(args);

    return -1;
}


/*
 * The length a TLV declares, its header included, however few of its
 * bytes are there: what a cut message said it was.  0 when the length is
 * indefinite or its header unreadable.
 */

size_t
scep_ber_declared(const unsigned char *p, size_t len)
{
    size_t  n, i, content;

    if (len < 2 || (p[0] & 0x1f) == 0x1f || p[1] == 0x80) {
        return 0;
    }

    if (!(p[1] & 0x80)) {
        return 2 + p[1];
    }

    n = p[1] & 0x7f;

    if (n > 4 || len - 2 < n) {
        return 0;
    }

    for (content = 0, i = 0; i < n; i++) {
        content = (content << 8) | p[2 + i];
    }

    if (content > (size_t) -1 - 2 - n) {
        return 0;
    }

    return 2 + n + content;
}
