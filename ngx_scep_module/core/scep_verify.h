/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The signature of a pkiMessage: plain C and OpenSSL, no nginx types.
 * Signer keys are kept in a small cache, one per nginx worker, because
 * devices retry with the same signer certificate.
 */


#ifndef _SCEP_VERIFY_H_INCLUDED_
#define _SCEP_VERIFY_H_INCLUDED_


#include "scep.h"


typedef enum {
    SCEP_SIG_UNCHECKED = 0,
    SCEP_SIG_VALID,
    SCEP_SIG_INVALID,
    SCEP_SIG_COUNT
} scep_sig_e;


extern const char *const  scep_sig_names[SCEP_SIG_COUNT];


typedef struct scep_key_cache_s  scep_key_cache_t;


/*
 * A cache of signer keys and subjects keyed by the certificate bytes, with
 * least recently used eviction; entries is clamped to 1..1024.  Not
 * shared between threads.  Returns NULL when memory runs out.
 */
scep_key_cache_t *scep_key_cache_create(unsigned entries);
void scep_key_cache_destroy(scep_key_cache_t *cache);


/*
 * Checks that messageDigest is the digest of the encapsulated content and
 * that the signature over the DER SET of the signed attributes verifies
 * with the key of the signer certificate the message carries.
 *
 * SCEP_SIG_VALID: both hold.  SCEP_SIG_INVALID: one does not; detail says
 * which.  SCEP_SIG_UNCHECKED: a check could not be made (no signer
 * certificate, an algorithm not supported, a key scep_msg_signer_key()
 * refuses, nothing to compare the messageDigest with); detail says why.
 * detail is always a C string when size is not 0, empty for
 * SCEP_SIG_VALID.
 */
scep_sig_e scep_msg_verify(scep_key_cache_t *cache, const scep_msg_t *m,
    char *detail, size_t size);


/*
 * Whether the key of the signer certificate the message carries is one
 * scep_msg_verify() checks: RSA with a modulus of 2048 to 8192 bits and an
 * odd public exponent from 3 to 2^32 - 1, or EC on P-256, P-384 or P-521
 * named as such.  It is judged from the certificate's bytes, before a key
 * is made of them, and the verdict is kept with the key.  Returns 0 when
 * it is, or when no signer certificate is carried; -1 when it is not (of
 * another kind, outside those limits, or unreadable), with a sentence in
 * detail.  scep_msg_verify() runs no public-key operation with such a key.
 */
int scep_msg_signer_key(scep_key_cache_t *cache, const scep_msg_t *m,
    char *detail, size_t size);


/*
 * The signer's subject as RFC 2253 text, as "openssl x509 -nameopt RFC2253
 * -subject" prints it: ASCII, bytes above 0x7f escaped as \XX.  Copies at
 * most size - 1 bytes and a NUL to buf; returns the bytes copied, 0 when
 * the message carries no signer certificate or its subject is unreadable.
 */
size_t scep_msg_signer_subject(scep_key_cache_t *cache, const scep_msg_t *m,
    char *buf, size_t size);


/*
 * The SubjectPublicKeyInfo TLV of the signer certificate the message
 * carries, as its bytes: what tells one signer key from another.  Returns
 * 0, or -1 when no signer certificate is carried or it is unreadable.
 */
int scep_msg_signer_spki(const scep_msg_t *m, scep_bytes_t *spki);


#endif /* _SCEP_VERIFY_H_INCLUDED_ */
