/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * Text from the wire: percent-decoding and UTF-8 repair.
 */


#include <string.h>

#include "scep.h"


static int scep_hex(unsigned char c);


size_t
scep_unescape(unsigned char *dst, const unsigned char *src, size_t len,
    int flags)
{
    int                   hi, lo;
    unsigned char        *d;
    const unsigned char  *end, *p;

    d = dst;
    end = src + len;

    while (src < end) {

        /*
         * The run up to the next byte that may need decoding is copied
         * whole: base64 has an escape every thirty bytes or so.  dst may
         * be src, and never gets ahead of it.
         */

        if (flags & SCEP_UNESCAPE_FORM) {
            for (p = src; p < end && *p != '%' && *p != '+'; p++) {
                /* void */
            }

        } else {
            p = memchr(src, '%', end - src);

            if (p == NULL) {
                p = end;
            }
        }

        if (p != src) {
            memmove(d, src, p - src);
            d += p - src;
            src = p;

            if (src == end) {
                break;
            }
        }

        if (*src == '%' && end - src >= 3) {
            hi = scep_hex(src[1]);
            lo = scep_hex(src[2]);

            if (hi >= 0 && lo >= 0) {
                *d++ = (unsigned char) (hi << 4 | lo);
                src += 3;
                continue;
            }
        }

        if (*src == '+' && (flags & SCEP_UNESCAPE_FORM)) {
            *d++ = ' ';
            src++;
            continue;
        }

        /* an invalid escape is kept as it came */

        *d++ = *src++;
    }

    return d - dst;
}


static int
scep_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


size_t
scep_utf8_sanitize(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t          i, n, k;
    unsigned int    c, min;
    unsigned char  *d;

    d = dst;
    i = 0;

    while (i < len) {
        c = src[i];

        if (c < 0x80) {
            *d++ = (unsigned char) c;
            i++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            min = 0x80;
            c &= 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            min = 0x800;
            c &= 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            min = 0x10000;
            c &= 0x07;

        } else {
            goto invalid;
        }

        if (len - i <= n) {
            goto invalid;
        }

        for (k = 1; k <= n; k++) {
            if ((src[i + k] & 0xc0) != 0x80) {
                goto invalid;
            }

            c = (c << 6) | (src[i + k] & 0x3f);
        }

        /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */

        if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
            goto invalid;
        }

        for (k = 0; k <= n; k++) {
            *d++ = src[i + k];
        }

        i += n + 1;
        continue;

    invalid:

        *d++ = 0xef;
        *d++ = 0xbf;
        *d++ = 0xbd;
        i++;
    }

    return d - dst;
}


/*
 * Base64 as clients send it: the standard alphabet (a '+' that became a
 * space is a '+') or the URL-safe one (RFC 4648, section 5: '-' and '_',
 * as micromdm's scepclient sends it), even both in one message, as no
 * character means one thing in one and another in the other; line breaks
 * anywhere, padding present or not.
 */

static const signed char  scep_base64_values[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -2, -2, -1, -1, -2, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    62, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -3, -1, -1,
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};

#define SCEP_B64_SKIP   -2          /* CR, LF, tab */
#define SCEP_B64_PAD    -3          /* '=' */


size_t
scep_base64_decoded_len(size_t len)
{
    return len / 4 * 3 + 3;
}


/*
 * Returns 0, the offset + 1 of the first byte that is not base64 (so
 * that the caller can say where), or SCEP_BASE64_CUT, with *dst_len set
 * to the bytes decoded.
 */

int
scep_base64_decode(unsigned char *dst, size_t *dst_len,
    const unsigned char *src, size_t len)
{
    int             v, a, b, c, e, pad;
    size_t          i;
    unsigned int    acc;
    unsigned int    n;
    unsigned char  *d;

    d = dst;
    acc = 0;
    n = 0;
    pad = 0;

    for (i = 0; i < len; i++) {

        /*
         * Between groups, whole groups of four characters of the alphabet
         * at a time; anything else (a line break, padding, a bad byte)
         * goes the way below, one character at a time.  dst may be src:
         * three bytes are written only after four are read.
         */

        if (n == 0 && !pad) {
            while (len - i >= 4) {
                a = scep_base64_values[src[i]];
                b = scep_base64_values[src[i + 1]];
                c = scep_base64_values[src[i + 2]];
                e = scep_base64_values[src[i + 3]];

                if ((a | b | c | e) < 0) {
                    break;
                }

                *d++ = (unsigned char) (a << 2 | b >> 4);
                *d++ = (unsigned char) (b << 4 | c >> 2);
                *d++ = (unsigned char) (c << 6 | e);
                i += 4;
            }

            if (i == len) {
                break;
            }
        }

        v = scep_base64_values[src[i]];

        if (v == SCEP_B64_SKIP) {
            continue;
        }

        if (v == SCEP_B64_PAD) {
            pad++;
            continue;
        }

        if (v < 0 || pad) {
            *dst_len = d - dst;
            return (int) (i < 0x7fffffff ? i + 1 : 0x7fffffff);
        }

        acc = (acc << 6) | (unsigned int) v;

        if (++n == 4) {
            *d++ = (unsigned char) (acc >> 16);
            *d++ = (unsigned char) (acc >> 8);
            *d++ = (unsigned char) acc;
            acc = 0;
            n = 0;
        }
    }

    /*
     * The last group: 2 or 3 characters carry 1 or 2 bytes; one alone
     * carries none, and no encoder ends so: the text was cut, unless
     * padding follows it, which no cut leaves.
     */

    if (n == 1) {
        *dst_len = d - dst;

        if (!pad) {
            return SCEP_BASE64_CUT;
        }

        return (int) (len < 0x7fffffff ? len : 0x7fffffff);
    }

    if (n == 2) {
        *d++ = (unsigned char) (acc >> 4);

    } else if (n == 3) {
        *d++ = (unsigned char) (acc >> 10);
        *d++ = (unsigned char) (acc >> 2);
    }

    *dst_len = d - dst;

    return 0;
}


static const char  scep_text_hex[] = "0123456789abcdef";


static const char  scep_base64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


size_t
scep_message_encoded_len(size_t len)
{
    /* each character may take an escape of three */

    return (len + 2) / 3 * 4 * 3;
}


size_t
scep_message_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t          i, k;
    unsigned int    acc;
    unsigned char   c, *d;
    unsigned char   group[4];

    d = dst;

    for (i = 0; i < len; i += 3) {
        acc = (unsigned int) src[i] << 16;

        if (i + 1 < len) {
            acc |= (unsigned int) src[i + 1] << 8;
        }

        if (i + 2 < len) {
            acc |= src[i + 2];
        }

        group[0] = scep_base64_chars[acc >> 18];
        group[1] = scep_base64_chars[(acc >> 12) & 0x3f];
        group[2] = (i + 1 < len) ? scep_base64_chars[(acc >> 6) & 0x3f] : '=';
        group[3] = (i + 2 < len) ? scep_base64_chars[acc & 0x3f] : '=';

        for (k = 0; k < 4; k++) {
            c = group[k];

            /* as Windows clients and jscep's fixed versions escape them */

            if (c == '+' || c == '/' || c == '=') {
                *d++ = '%';
                *d++ = (c == '=') ? '3' : '2';
                *d++ = (c == '+') ? 'B' : (c == '/') ? 'F' : 'D';

            } else {
                *d++ = c;
            }
        }
    }

    return d - dst;
}


/*
 * What the escaped text shows, byte by byte as it came or as its %XX
 * escape decodes: only the characters base64 clients write are looked
 * at, so a bit says what a client did, not what else the text holds.
 */

/*
 * What each byte of a message shows as it came, a bit per scep_qenc_e
 * (1 percent, 2 raw, 4 raw_plus, 8 base64url, 16 line_breaks): '+' raw
 * and raw_plus, '/' and '=' raw, a space raw_plus, '-' and '_' base64url,
 * CR and LF line breaks; 128 marks '%'.  The letters and digits, nearly
 * all of a message, show nothing and are skipped at once.
 */

static const unsigned char  scep_qenc_bits[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 16, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 0, 0, 0, 0, 128, 0, 0, 0, 0, 0, 6, 0, 8, 0, 2,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

#define SCEP_QENC_ESCAPE  128


unsigned
scep_query_encoding(const unsigned char *p, size_t len)
{
    int                   hi, lo;
    unsigned              seen, bits;
    unsigned char         c;
    const unsigned char  *end;

    seen = 0;
    end = p + len;

    for ( ;; ) {

        while (p < end && scep_qenc_bits[*p] == 0) {
            p++;
        }

        if (p == end) {
            return seen;
        }

        bits = scep_qenc_bits[*p++];

        if (bits != SCEP_QENC_ESCAPE) {
            seen |= bits;
            continue;
        }

        /* an invalid escape is kept as it came, and shows nothing */

        if (end - p < 2) {
            continue;
        }

        hi = scep_hex(p[0]);
        lo = scep_hex(p[1]);

        if (hi < 0 || lo < 0) {
            continue;
        }

        c = (unsigned char) (hi << 4 | lo);
        p += 2;

        /*
         * Escaped, '+', '/' and '=' are percent-encoding, as is any other
         * base64 character; a space (a '+' read as one before this edge),
         * base64url and line breaks show what they show raw.
         */

        bits = scep_qenc_bits[c];

        if (bits & (1 << SCEP_QENC_RAW)) {
            bits = 1 << SCEP_QENC_PERCENT;

        } else if (bits == 0 || bits == SCEP_QENC_ESCAPE) {
            bits = (scep_base64_values[c] >= 0) ? 1 << SCEP_QENC_PERCENT : 0;
        }

        seen |= bits;
    }
}


size_t
scep_text_safe(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t          i, j;
    unsigned char   c, *d;

    d = dst;
    i = 0;

    while (i < len) {
        c = src[i];

        if (c >= 0x80) {

            /*
             * A run of non-ASCII bytes holds whole sequences or invalid
             * ones: no sequence goes on past an ASCII byte.
             */

            for (j = i + 1; j < len && src[j] >= 0x80; j++) {
                /* void */
            }

            d += scep_utf8_sanitize(d, src + i, j - i);
            i = j;
            continue;
        }

        if (c < 0x20 || c == 0x7f) {
            *d++ = '\\';
            *d++ = 'u';
            *d++ = '0';
            *d++ = '0';
            *d++ = scep_text_hex[c >> 4];
            *d++ = scep_text_hex[c & 0xf];

        } else if (c == '\\') {
            *d++ = '\\';
            *d++ = '\\';

        } else {
            *d++ = c;
        }

        i++;
    }

    return d - dst;
}
