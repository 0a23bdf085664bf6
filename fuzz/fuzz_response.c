/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * libFuzzer target for the decoders of upstream answers, on the same
 * bytes: scep_certs_decode() (GetCACert), scep_caps_decode() (GetCACaps)
 * and scep_msg_decode() (a CertRep), as the module meets a body whose
 * Content-Type it cannot trust.
 *
 * Beyond what the sanitizers see, it checks the decoders' promises: the
 * counts are bounded, the strings end, the capabilities lie inside the
 * input, trimmed and printable, and OpenSSL's error queue is left as it was.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "scep_resp.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
fuzz_check(int ok)
{
    if (!ok) {
        abort();
    }
}


static void
fuzz_certs(const unsigned char *p, size_t size)
{
    int                     rc, k;
    unsigned                i;
    scep_cert_t            *c;
    scep_certs_t            certs;
    scep_certs_warnings_t   w;

    rc = scep_certs_decode(&certs, p, size);

    fuzz_check(rc == 0 || rc == -1);
    fuzz_check(memchr(certs.detail, '\0', sizeof(certs.detail)) != NULL);
    fuzz_check(ERR_peek_error() == 0);

    if (rc != 0) {
        fuzz_check(certs.detail[0] != '\0');
        fuzz_check(certs.n == 0);
        return;
    }

    fuzz_check(certs.n >= 1 && certs.n <= SCEP_MAX_CERTS);
    fuzz_check(certs.n <= certs.total);
    fuzz_check(certs.total == certs.n || certs.n == SCEP_MAX_CERTS);

    for (i = 0; i < certs.n; i++) {
        c = &certs.certs[i];

        fuzz_check(memchr(c->subject, '\0', sizeof(c->subject)) != NULL);
        fuzz_check(memchr(c->issuer, '\0', sizeof(c->issuer)) != NULL);
        fuzz_check(memchr(c->serial, '\0', sizeof(c->serial)) != NULL);
        fuzz_check(c->serial[0] != '\0');
        fuzz_check(c->role < SCEP_CERT_ROLE_COUNT);

        /* RFC 2253 text as OpenSSL escapes it: ASCII, no control bytes */
        for (const char *s = c->subject; *s; s++) {
            fuzz_check(*s >= 0x20 && *s <= 0x7e);
        }

        for (const char *s = c->issuer; *s; s++) {
            fuzz_check(*s >= 0x20 && *s <= 0x7e);
        }

        /* years 0000 to 9999 */
        fuzz_check(c->not_before >= -62167219200LL
                   && c->not_before < 253402300800LL);
        fuzz_check(c->not_after >= -62167219200LL
                   && c->not_after < 253402300800LL);
    }

    /* each warning names a certificate read, or none for no_ca_cert */

    scep_certs_check(&certs, 1764633600LL, &w);

    fuzz_check((w.warnings >> SCEP_WARN_COUNT) == 0);

    for (k = 0; k < SCEP_WARN_COUNT; k++) {
        if (!(w.warnings & (1u << k))) {
            fuzz_check(w.cert[k] == -1);

        } else if (k == SCEP_WARN_NO_CA_CERT) {
            fuzz_check(w.cert[k] == -1 && certs.n == certs.total);

        } else {
            fuzz_check(w.cert[k] >= 0 && (unsigned) w.cert[k] < certs.n
                       && certs.certs[w.cert[k]].role == SCEP_CERT_RA);
        }
    }
}


static void
fuzz_caps(const unsigned char *p, size_t size)
{
    size_t        j;
    unsigned      i;
    scep_caps_t   caps;
    scep_bytes_t *b;

    scep_caps_decode(&caps, p, size);

    fuzz_check(caps.n <= SCEP_MAX_CAPS);
    fuzz_check(!caps.more || caps.n == SCEP_MAX_CAPS);

    for (i = 0; i < caps.n; i++) {
        b = &caps.caps[i];

        fuzz_check(b->data >= p && b->len >= 1
                   && b->len <= SCEP_MAX_CAP_LEN
                   && (size_t) (b->data - p) <= size - b->len);

        fuzz_check(b->data[0] != ' ' && b->data[b->len - 1] != ' ');

        for (j = 0; j < b->len; j++) {
            fuzz_check(b->data[j] >= 0x20 && b->data[j] <= 0x7e);
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scep_msg_t      m;
    scep_reject_e   rc;
    unsigned char  *p;

    /* an exact copy, so that ASan sees one byte past the end */

    p = malloc(size ? size : 1);
    fuzz_check(p != NULL);
    memcpy(p, data, size);

    fuzz_certs(p, size);
    fuzz_caps(p, size);

    rc = scep_msg_decode(&m, p, size);
    fuzz_check(rc < SCEP_REJECT_COUNT);

    if (rc == SCEP_REJECT_NONE && m.type == SCEP_MSG_CERTREP) {
        fuzz_check(m.pki_status < SCEP_STATUS_COUNT);
        fuzz_check(m.fail_info < SCEP_FAIL_COUNT);
        fuzz_check(m.recipient_nonce.data == NULL
                   || (m.recipient_nonce.data >= p
                       && (size_t) (m.recipient_nonce.data - p)
                          + m.recipient_nonce.len <= size));
    }

    free(p);

    return 0;
}
