
/*
 * Text from the wire: percent-decoding and UTF-8 repair.
 */


#include "scep.h"


static int scep_hex(unsigned char c);


size_t
scep_unescape(unsigned char *dst, const unsigned char *src, size_t len,
    int flags)
{
    int                   hi, lo;
    unsigned char        *d;
    const unsigned char  *end;

    d = dst;
    end = src + len;

    while (src < end) {

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
