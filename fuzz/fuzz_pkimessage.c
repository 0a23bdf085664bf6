/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * libFuzzer target for scep_msg_decode(): a pkiMessage straight from the
 * wire, BER or DER, as a POSTed PKIOperation body or a decoded message=.
 *
 * Beyond what the sanitizers see, it checks the decoder's promises: every
 * field it returns points inside the input, a rejection has a reason and a
 * sentence, and the content walk ends and stays inside the content.  And
 * those of the signature check on what the decoder accepts: a signer key
 * scep_msg_signer_key() refuses has a sentence, and scep_msg_verify()
 * never verifies with it, the same whether the key was cached or not.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scep.h"
#include "scep_verify.h"
#include "scep_resp.h"


static void fuzz_check(int ok);
static void fuzz_inside(const scep_bytes_t *b, const unsigned char *p,
    size_t len);
static void fuzz_content(const scep_msg_t *m);
static void fuzz_signer_key(const scep_msg_t *m);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_signer_id(const scep_msg_t *m);


static volatile unsigned  fuzz_sink;
static scep_key_cache_t  *fuzz_keys;     /* kept, as a worker keeps it */


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

    /* an empty POST body reaches the decoder without a buffer at all */

    rc = scep_msg_decode(&m, size ? p : NULL, size);

    fuzz_check(rc < SCEP_REJECT_COUNT);
    fuzz_check(memchr(m.detail, '\0', sizeof(m.detail)) != NULL);
    fuzz_check(m.size == size);

    if (rc != SCEP_REJECT_NONE) {
        fuzz_check(m.detail[0] != '\0');
        free(p);
        return 0;
    }

    fuzz_check(m.type > SCEP_MSG_NONE && m.type < SCEP_MSG_COUNT);
    fuzz_check(m.pki_status < SCEP_STATUS_COUNT);
    fuzz_check(m.fail_info < SCEP_FAIL_COUNT);
    fuzz_check(m.signers > 0);
    fuzz_check(m.sender_nonce.len == SCEP_NONCE_LEN);
    fuzz_check(m.transaction_id.data != NULL);

    fuzz_inside(&m.message_type, p, size);
    fuzz_inside(&m.transaction_id, p, size);
    fuzz_inside(&m.sender_nonce, p, size);
    fuzz_inside(&m.recipient_nonce, p, size);
    fuzz_inside(&m.digest_oid, p, size);
    fuzz_inside(&m.sig_alg_oid, p, size);
    fuzz_inside(&m.signature, p, size);
    fuzz_inside(&m.message_digest, p, size);
    fuzz_inside(&m.signed_attrs, p, size);
    fuzz_inside(&m.content, p, size);
    fuzz_inside(&m.signer_cert, p, size);
    fuzz_inside(&m.signer_subject, p, size);

    /* the subject is read from inside the signer's certificate */

    if (m.signer_subject.data != NULL) {
        fuzz_check(m.signer_cert.data != NULL);
        fuzz_check(m.signer_subject.data >= m.signer_cert.data);
        fuzz_check(m.signer_subject.data + m.signer_subject.len
                   <= m.signer_cert.data + m.signer_cert.len);
    }

    /* the signer's serial and notBefore, from inside its certificate */

    fuzz_inside(&m.signer_serial, p, size);
    fuzz_check(m.signer_serial.data == NULL
               || (m.signer_serial.data >= m.signer_cert.data
                   && m.signer_serial.data + m.signer_serial.len
                      <= m.signer_cert.data + m.signer_cert.len));

    /* times DER can write: years 1950 (UTCTime) or 0000 to 9999 */
    fuzz_check(!m.has_signing_time
               || (m.signing_time >= -62167219200LL
                   && m.signing_time < 253402300800LL));
    fuzz_check(!m.has_signer_not_before
               || (m.signer_not_before >= -62167219200LL
                   && m.signer_not_before < 253402300800LL));

    fuzz_signer_id(&m);
    fuzz_content(&m);
    fuzz_signer_key(&m);

    /* a transactionID that passes is short, and PrintableString */

    rc = scep_msg_check_transaction_id(&m);

    fuzz_check(rc == SCEP_REJECT_NONE
               || (rc == SCEP_REJECT_BAD_TRANSACTION_ID && m.detail[0]));
    fuzz_check(rc != SCEP_REJECT_NONE
               || m.transaction_id.len <= SCEP_MAX_TRANSACTION_ID);

    free(p);

    return 0;
}


/* an abort is a finding: libFuzzer keeps the input that caused it */

static void
fuzz_check(int ok)
{
    if (!ok) {
        abort();
    }
}


static void
fuzz_inside(const scep_bytes_t *b, const unsigned char *p, size_t len)
{
    if (b->data == NULL) {
        fuzz_check(b->len == 0);
        return;
    }

    fuzz_check(b->data >= p);
    fuzz_check(b->len <= len);
    fuzz_check((size_t) (b->data - p) <= len - b->len);
}


/*
 * The segments come in order, do not overlap and lie inside the content
 * TLV; the walk ends because each step moves forward, which the number
 * of steps bounds.
 */

static void
fuzz_content(const scep_msg_t *m)
{
    int                   rc;
    size_t                i, steps;
    scep_bytes_t          seg;
    scep_content_iter_t   it;
    const unsigned char  *last, *end;

    scep_content_init(&it, m);

    /* no content: NULL, and NULL + 0 is undefined in C */

    last = m->content.data;
    end = m->content.data ? m->content.data + m->content.len : NULL;

    for (steps = 0; ; steps++) {
        fuzz_check(steps <= m->content.len);

        rc = scep_content_next(&it, &seg);

        fuzz_check(rc >= -1 && rc <= 1);

        if (rc != 1) {
            break;
        }

        fuzz_check(seg.data >= last);
        fuzz_check(seg.data + seg.len <= end);

        /* every byte is read, as the module reads them to hash them */

        for (i = 0; i < seg.len; i++) {
            fuzz_sink += seg.data[i];
        }

        last = seg.data + seg.len;
    }

    /* a DER message has its content in one primitive OCTET STRING */

    if (m->content.len && !m->ber) {
        fuzz_check(rc == 0);
    }
}


/*
 * Twice: once as the key is first read, once from the cache, which
 * holds the refusal with the key (a fresh cache, of one entry, each
 * time for the first).
 */

static void
fuzz_signer_key(const scep_msg_t *m)
{
    int                i, rc[2];
    char               detail[128];
    scep_sig_e         sig;
    scep_key_cache_t  *cache, *fresh;

    if (fuzz_keys == NULL) {
        fuzz_keys = scep_key_cache_create(4);
        fuzz_check(fuzz_keys != NULL);
    }

    fresh = scep_key_cache_create(1);
    fuzz_check(fresh != NULL);

    for (i = 0; i < 2; i++) {
        cache = i ? fuzz_keys : fresh;

        memset(detail, 'x', sizeof(detail));
        rc[i] = scep_msg_signer_key(cache, m, detail, sizeof(detail));

        fuzz_check(rc[i] == 0 || rc[i] == -1);
        fuzz_check(memchr(detail, '\0', sizeof(detail)) != NULL);
        fuzz_check(rc[i] == 0 || detail[0] != '\0');
        fuzz_check(rc[i] == 0 || m->signer_cert.len != 0);

        sig = scep_msg_verify(cache, m, detail, sizeof(detail));

        fuzz_check(sig < SCEP_SIG_COUNT);
        fuzz_check(rc[i] == 0 || sig == SCEP_SIG_UNCHECKED);
    }

    fuzz_check(rc[0] == rc[1]);

    scep_key_cache_destroy(fresh);
}


/* the serial is hex, '-' first at most, and ends in its buffer */

static void
fuzz_signer_id(const scep_msg_t *m)
{
    const char        *c;
    scep_signer_id_t   id;

    if (scep_signer_id(&id, m) != 0) {
        fuzz_check(m->signer_cert.len == 0);
        return;
    }

    fuzz_check(memchr(id.serial, '\0', sizeof(id.serial)) != NULL);
    fuzz_check(id.serial[0] != '\0');

    for (c = id.serial + (id.serial[0] == '-'); *c; c++) {
        fuzz_check((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'));
    }
}
