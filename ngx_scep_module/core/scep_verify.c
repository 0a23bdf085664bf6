/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The signature of a pkiMessage: messageDigest against the encapsulated
 * content, and the SignerInfo signature against the key of the signer
 * certificate the message carries.  Whether that certificate deserves
 * trust is not judged here: SCEP requests are signed with self-signed or
 * soon-to-be-replaced certificates, and NDES decides.
 *
 * Reading a key is the expensive step: d2i_PUBKEY() and d2i_X509() go
 * through OpenSSL 3's decoder framework, about 110 us for RSA-2048, five
 * times a verification.  So the SubjectPublicKeyInfo is found with a small
 * DER walk and an RSA or EC key is built from its parts with
 * EVP_PKEY_fromdata() (5 us for RSA-2048, 20 us for P-256); anything else
 * falls back to d2i_PUBKEY().  Keys are then kept, keyed by the whole
 * certificate, because devices retry with the same one.
 *
 * What a verification costs is the key's: a 3072-bit RSA exponent makes it
 * a hundred times that of a real request, sect571r1 sixty.  So a key is
 * judged from its bytes before anything is made of them, and only the
 * kinds real clients have are verified: RSA of 2048 to 8192 bits with an
 * odd exponent from 3 to 2^32 - 1, ECDSA on P-256, P-384 and P-521 by
 * name.  Any other is refused unchecked (signer_key_unsupported): a key of
 * a kind not verified would let a message through unchecked.
 */


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "scep_verify.h"
#include "scep_ber.h"


#define SCEP_KEY_CACHE_MAX      1024     /* entries: a lookup scans them */
#define SCEP_KEY_CERT_MAX       16384    /* bigger certificates are not kept */
#define SCEP_KEY_RSA_MIN_BITS   2048
#define SCEP_KEY_RSA_MAX_BITS   8192     /* a 16384-bit key would cost 60
                                            times a 2048-bit one */
#define SCEP_KEY_RSA_MAX_E_BITS 32       /* real keys have 65537 */
#define SCEP_ATTRS_DER_MAX      1024     /* bytes of signed attributes
                                            re-encoded; real ones take 200
                                            to 300 */


typedef enum {
    SCEP_KEY_NONE = 0,
    SCEP_KEY_RSA,
    SCEP_KEY_EC
} scep_key_type_e;


typedef struct {
    const unsigned char       *oid;
    size_t                     oid_len;
    scep_key_type_e            type;
} scep_sig_alg_t;


/* the curves verified, by OID content bytes, and OpenSSL's names */

typedef struct {
    const unsigned char       *oid;
    size_t                     oid_len;
    const char                *name;
} scep_curve_t;


typedef struct {
    uint64_t                   hash;
    uint64_t                   used;       /* LRU clock; 0: a free slot */
    const unsigned char       *cert;       /* a copy, compared on a hit */
    size_t                     cert_len;

    EVP_PKEY                  *key;
    scep_key_type_e            key_type;
    char                      *subject;
    size_t                     subject_len;
    unsigned                   key_read:1;
    unsigned                   refused:1;  /* not a key that is verified */
    unsigned                   subject_read:1;
    unsigned                   borrowed:1; /* cert points into the message */

    char                       error[128]; /* why there is no key */
} scep_key_t;


struct scep_key_cache_s {
    unsigned                   entries;
    uint64_t                   clock;
    scep_key_t                *keys;
    scep_key_t                 once;       /* a certificate not kept */
    unsigned                   digests;
    EVP_MD                   **digest;     /* by scep_digest_algs index */
};


const char *const  scep_sig_names[SCEP_SIG_COUNT] = {
    "unchecked",
    "valid",
    "invalid",
};


/*
 * Signature algorithms by OID content bytes.  The digest always comes from
 * the SignerInfo digestAlgorithm, as OpenSSL's CMS does; the signature
 * algorithm only says which kind of key must verify it.
 */

static const scep_sig_alg_t  scep_sig_algs[] = {
    /* rsaEncryption, md5-, sha1-, sha224-, sha256-, sha384-, sha512WithRSA */
    { scep_oid(SCEP_OID_RSA_ENCRYPTION), SCEP_KEY_RSA },
    { scep_oid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04"), SCEP_KEY_RSA },
    { scep_oid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05"), SCEP_KEY_RSA },
    { scep_oid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e"), SCEP_KEY_RSA },
    { scep_oid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"), SCEP_KEY_RSA },
    { scep_oid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"), SCEP_KEY_RSA },
    { scep_oid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"), SCEP_KEY_RSA },

    /*
     * id-ecPublicKey: some signers name the key algorithm, as others do
     * with rsaEncryption; ecdsa-with-SHA1, -SHA224, -SHA256, -SHA384, -SHA512
     */
    { scep_oid(SCEP_OID_EC_PUBLIC_KEY), SCEP_KEY_EC },
    { scep_oid("\x2a\x86\x48\xce\x3d\x04\x01"), SCEP_KEY_EC },
    { scep_oid("\x2a\x86\x48\xce\x3d\x04\x03\x01"), SCEP_KEY_EC },
    { scep_oid("\x2a\x86\x48\xce\x3d\x04\x03\x02"), SCEP_KEY_EC },
    { scep_oid("\x2a\x86\x48\xce\x3d\x04\x03\x03"), SCEP_KEY_EC },
    { scep_oid("\x2a\x86\x48\xce\x3d\x04\x03\x04"), SCEP_KEY_EC },
};


static const scep_curve_t  scep_curves[] = {
    { scep_oid("\x2a\x86\x48\xce\x3d\x03\x01\x07"), "P-256" },
    { scep_oid("\x2b\x81\x04\x00\x22"), "P-384" },
    { scep_oid("\x2b\x81\x04\x00\x23"), "P-521" },
};


static const char *const  scep_key_type_names[] = {
    "unsupported", "RSA", "EC"
};


static scep_sig_e scep_verify_digest(EVP_MD_CTX *ctx, const EVP_MD *md,
    const scep_msg_t *m, char *detail, size_t size);
static scep_sig_e scep_verify_signature(EVP_MD_CTX *ctx, const EVP_MD *md,
    EVP_PKEY *key, const scep_msg_t *m, char *detail, size_t size);
static int scep_verify_attrs(EVP_MD_CTX *ctx, const EVP_MD *md,
    EVP_PKEY *key, const scep_bytes_t *sig, const unsigned char *attrs,
    size_t len);
static unsigned char *scep_attrs_der(const scep_bytes_t *attrs,
    size_t *len);
static scep_sig_e scep_result(scep_sig_e rc, char *detail, size_t size,
    const char *fmt, ...);

static scep_key_t *scep_key_get(scep_key_cache_t *cache,
    const scep_bytes_t *cert);
static void scep_key_release(scep_key_cache_t *cache, scep_key_t *k);
static void scep_key_clear(scep_key_t *k);
static uint64_t scep_key_hash(const unsigned char *p, size_t len);
static void scep_key_read(scep_key_t *k);
static EVP_PKEY *scep_key_spki(scep_key_t *k, const scep_tlv_t *spki);
static EVP_PKEY *scep_key_rsa(scep_key_t *k, const unsigned char *p,
    size_t len);
static EVP_PKEY *scep_key_ec(const char *group, const unsigned char *point,
    size_t len);
static int scep_key_rsa_limits(scep_key_t *k, size_t bits, size_t ebits,
    int odd);
static int scep_key_limits(scep_key_t *k, EVP_PKEY *key);
static void scep_key_refuse(scep_key_t *k, const char *fmt, ...);
static size_t scep_int_bits(const unsigned char *p, size_t len);
static void scep_key_subject(scep_key_t *k);
static int scep_cert_fields(const unsigned char *cert, size_t len,
    scep_tlv_t *subject, scep_tlv_t *spki);
static int scep_der(const unsigned char *p, const unsigned char *end,
    scep_tlv_t *t);
static int scep_der_is(const scep_tlv_t *t, const unsigned char *oid,
    size_t len);


scep_key_cache_t *
scep_key_cache_create(unsigned entries)
{
    unsigned           i;
    scep_key_cache_t  *cache;

    cache = calloc(1, sizeof(scep_key_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    if (entries == 0) {
        entries = 1;

    } else if (entries > SCEP_KEY_CACHE_MAX) {
        entries = SCEP_KEY_CACHE_MAX;
    }

    cache->entries = entries;

    cache->keys = calloc(entries, sizeof(scep_key_t));
    if (cache->keys == NULL) {
        goto failed;
    }

    /*
     * Digests are fetched once: an implicit fetch on each use costs a
     * lookup in the provider store.  The table's names are OpenSSL's.
     */

    i = 0;

    while (scep_digest_algs[i].name) {
        i++;
    }

    cache->digests = i;

    cache->digest = calloc(i + 1, sizeof(EVP_MD *));
    if (cache->digest == NULL) {
        goto failed;
    }

    ERR_set_mark();

    for (i = 0; i < cache->digests; i++) {
        /* NULL when the providers lack it, MD5 under FIPS for one */
        cache->digest[i] = EVP_MD_fetch(NULL, scep_digest_algs[i].name,
                                        NULL);
    }

    ERR_pop_to_mark();

    return cache;

failed:

    scep_key_cache_destroy(cache);

    return NULL;
}


void
scep_key_cache_destroy(scep_key_cache_t *cache)
{
    unsigned  i;

    if (cache == NULL) {
        return;
    }

    if (cache->keys) {
        for (i = 0; i < cache->entries; i++) {
            scep_key_clear(&cache->keys[i]);
        }

        free(cache->keys);
    }

    if (cache->digest) {
        for (i = 0; i < cache->digests; i++) {
            EVP_MD_free(cache->digest[i]);
        }

        free(cache->digest);
    }

    free(cache);
}


scep_sig_e
scep_msg_verify(scep_key_cache_t *cache, const scep_msg_t *m, char *detail,
    size_t size)
{
    char                   name[64];
    size_t                 i;
    scep_sig_e             rc;
    scep_key_t            *k;
    EVP_MD_CTX            *ctx;
    const EVP_MD          *md;
    scep_key_type_e        type;
    const scep_sig_alg_t  *alg;

    if (size) {
        detail[0] = '\0';
    }

    /* OpenSSL errors raised here must not surface in nginx's SSL logs */

    ERR_set_mark();

    k = NULL;
    ctx = NULL;

    if (m->signer_cert.len == 0) {
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size,
                         "no signer certificate carried");
        goto done;
    }

    if (m->digest_alg < 0 || (unsigned) m->digest_alg >= cache->digests) {
        scep_ber_oid_text(name, sizeof(name), m->digest_oid.data,
                          m->digest_oid.len, 1);
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size,
                         "digest algorithm %s not supported", name);
        goto done;
    }

    md = cache->digest[m->digest_alg];

    if (md == NULL) {
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size,
                         "digest algorithm %s not available",
                         scep_digest_algs[m->digest_alg].name);
        goto done;
    }

    type = SCEP_KEY_NONE;

    for (i = 0; i < sizeof(scep_sig_algs) / sizeof(scep_sig_algs[0]); i++) {
        alg = &scep_sig_algs[i];

        if (alg->oid_len == m->sig_alg_oid.len
            && memcmp(alg->oid, m->sig_alg_oid.data, alg->oid_len) == 0)
        {
            type = alg->type;
            break;
        }
    }

    if (type == SCEP_KEY_NONE) {
        scep_ber_oid_text(name, sizeof(name), m->sig_alg_oid.data,
                          m->sig_alg_oid.len, 1);
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size,
                         "signature algorithm %s not supported", name);
        goto done;
    }

    if (m->signature.data == NULL) {
        /* the decoder leaves a constructed (segmented) signature unread */
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size,
                         "segmented signature value not supported");
        goto done;
    }

    if (m->signed_attrs.len == 0) {
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size,
                         "no signed attributes");
        goto done;
    }

    k = scep_key_get(cache, &m->signer_cert);

    if (!k->key_read) {
        scep_key_read(k);
    }

    if (k->key == NULL) {
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size, "%s", k->error);
        goto done;
    }

    if (k->key_type != type) {
        scep_ber_oid_text(name, sizeof(name), m->sig_alg_oid.data,
                          m->sig_alg_oid.len, 1);
        rc = scep_result(SCEP_SIG_INVALID, detail, size,
                         "signature algorithm %s does not fit the signer's "
                         "%s key", name, scep_key_type_names[k->key_type]);
        goto done;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = scep_result(SCEP_SIG_UNCHECKED, detail, size, "out of memory");
        goto done;
    }

    /* the cheap check first: a mismatch spares the public key operation */

    rc = scep_verify_digest(ctx, md, m, detail, size);

    if (rc == SCEP_SIG_INVALID) {
        goto done;
    }

    /*
     * An invalid or unverifiable signature overrides the digest's verdict;
     * a valid one leaves it: valid, or unchecked with its detail.
     */

    switch (scep_verify_signature(ctx, md, k->key, m, detail, size)) {

    case SCEP_SIG_VALID:
        break;

    case SCEP_SIG_INVALID:
        rc = SCEP_SIG_INVALID;
        break;

    default:
        rc = SCEP_SIG_UNCHECKED;
        break;
    }

done:

    EVP_MD_CTX_free(ctx);

    if (k) {
        scep_key_release(cache, k);
    }

    ERR_pop_to_mark();

    return rc;
}


size_t
scep_msg_signer_subject(scep_key_cache_t *cache, const scep_msg_t *m,
    char *buf, size_t size)
{
    size_t       n;
    scep_key_t  *k;

    if (size == 0) {
        return 0;
    }

    buf[0] = '\0';

    if (m->signer_cert.len == 0) {
        return 0;
    }

    ERR_set_mark();

    k = scep_key_get(cache, &m->signer_cert);

    if (!k->subject_read) {
        scep_key_subject(k);
    }

    n = k->subject_len < size - 1 ? k->subject_len : size - 1;

    if (n) {
        memcpy(buf, k->subject, n);
        buf[n] = '\0';
    }

    scep_key_release(cache, k);
    ERR_pop_to_mark();

    return n;
}


int
scep_msg_signer_key(scep_key_cache_t *cache, const scep_msg_t *m,
    char *detail, size_t size)
{
    int          rc;
    scep_key_t  *k;

    if (size) {
        detail[0] = '\0';
    }

    if (m->signer_cert.len == 0) {
        return 0;
    }

    ERR_set_mark();

    k = scep_key_get(cache, &m->signer_cert);

    if (!k->key_read) {
        scep_key_read(k);
    }

    rc = 0;

    if (k->refused) {
        scep_result(SCEP_SIG_UNCHECKED, detail, size, "%s", k->error);
        rc = -1;
    }

    scep_key_release(cache, k);
    ERR_pop_to_mark();

    return rc;
}


/*
 * messageDigest must be the digest of the content octets, segment by
 * segment.  Without content (a CertRep PENDING or FAILURE, RFC 8894) it is
 * that of nothing; any other value stands for content sent elsewhere,
 * which there is nothing to compare with.
 */

static scep_sig_e
scep_verify_digest(EVP_MD_CTX *ctx, const EVP_MD *md, const scep_msg_t *m,
    char *detail, size_t size)
{
    int                   rc;
    unsigned int          n;
    scep_bytes_t          segment;
    scep_content_iter_t   it;
    unsigned char         digest[EVP_MAX_MD_SIZE];

    if (m->message_digest.data == NULL) {
        return scep_result(SCEP_SIG_UNCHECKED, detail, size,
                           "no messageDigest attribute");
    }

    if (EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
        goto failed;
    }

    rc = 0;

    if (m->content.len) {
        scep_content_init(&it, m);

        while ((rc = scep_content_next(&it, &segment)) == 1) {
            if (EVP_DigestUpdate(ctx, segment.data, segment.len) != 1) {
                goto failed;
            }
        }
    }

    if (rc < 0) {
        return scep_result(SCEP_SIG_UNCHECKED, detail, size,
                           "the encapsulated content's segments are "
                           "malformed");
    }

    if (EVP_DigestFinal_ex(ctx, digest, &n) != 1) {
        goto failed;
    }

    if (n == m->message_digest.len
        && memcmp(digest, m->message_digest.data, n) == 0)
    {
        return SCEP_SIG_VALID;
    }

    if (m->content.len == 0) {
        return scep_result(SCEP_SIG_UNCHECKED, detail, size,
                           "no encapsulated content to compare "
                           "messageDigest with");
    }

    if (n != m->message_digest.len) {
        return scep_result(SCEP_SIG_INVALID, detail, size,
                           "messageDigest has %zu bytes, a %s digest %u",
                           m->message_digest.len,
                           scep_digest_algs[m->digest_alg].name, n);
    }

    return scep_result(SCEP_SIG_INVALID, detail, size,
                       "messageDigest does not match the content");

failed:

    return scep_result(SCEP_SIG_UNCHECKED, detail, size, "%s digest failed",
                       EVP_MD_get0_name(md));
}


/*
 * The signature covers the signed attributes as a DER SET.  A message
 * that is BER somewhere may carry them otherwise: they are then
 * re-encoded attribute by attribute in their order, and the signature is
 * verified over that alone when it differs from what was carried, which
 * is what OpenSSL's CMS verification does; one public-key operation a
 * message, whatever its encoding.  Only up to SCEP_ATTRS_DER_MAX bytes of
 * them: re-encoding costs a fraction of a microsecond a TLV, and a
 * message may carry eight thousand, in as many attributes or in one.
 */

static scep_sig_e
scep_verify_signature(EVP_MD_CTX *ctx, const EVP_MD *md, EVP_PKEY *key,
    const scep_msg_t *m, char *detail, size_t size)
{
    int             rc, reencoded;
    size_t          len;
    unsigned char  *der;

    der = NULL;
    reencoded = 0;

    if (m->ber) {
        der = scep_attrs_der(&m->signed_attrs, &len);

        if (der && len == m->signed_attrs.len
            && memcmp(der, m->signed_attrs.data, len) == 0)
        {
            free(der);
            der = NULL;
        }
    }

    if (der) {
        reencoded = 1;
        rc = scep_verify_attrs(ctx, md, key, &m->signature, der, len);
        free(der);

    } else {
        rc = scep_verify_attrs(ctx, md, key, &m->signature,
                               m->signed_attrs.data, m->signed_attrs.len);
    }

    switch (rc) {

    case 1:
        return SCEP_SIG_VALID;

    case 0:
        return scep_result(SCEP_SIG_INVALID, detail, size,
                           "the signature does not verify with the signer "
                           "certificate's key%s",
                           reencoded ? ", over the signed attributes "
                                       "re-encoded as DER" : "");

    default:
        return scep_result(SCEP_SIG_UNCHECKED, detail, size,
                           "OpenSSL could not verify a %s signature with %s",
                           EVP_PKEY_get0_type_name(key),
                           EVP_MD_get0_name(md));
    }
}


/* 1: the signature verifies, 0: it does not, -1: no verification was made */

static int
scep_verify_attrs(EVP_MD_CTX *ctx, const EVP_MD *md, EVP_PKEY *key,
    const scep_bytes_t *sig, const unsigned char *attrs, size_t len)
{
    size_t         n, i, hlen;
    unsigned char  header[2 + sizeof(size_t)];

    /* the SET header the [0] IMPLICIT tag replaced */

    header[0] = SCEP_TAG_SET;

    if (len < 0x80) {
        header[1] = (unsigned char) len;
        hlen = 2;

    } else {
        for (n = 0, i = len; i; i >>= 8) {
            n++;
        }

        header[1] = (unsigned char) (0x80 | n);

        for (i = 0; i < n; i++) {
            header[2 + i] = (unsigned char) (len >> (8 * (n - 1 - i)));
        }

        hlen = 2 + n;
    }

    EVP_MD_CTX_reset(ctx);

    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1
        || EVP_DigestVerifyUpdate(ctx, header, hlen) != 1
        || EVP_DigestVerifyUpdate(ctx, attrs, len) != 1)
    {
        return -1;
    }

    /* a malformed signature fails with -1 like any other */

    return EVP_DigestVerifyFinal(ctx, sig->data, sig->len) == 1 ? 1 : 0;
}


/*
 * The signed attributes re-encoded as DER, or NULL if they do not parse or
 * are longer than SCEP_ATTRS_DER_MAX.
 */

static unsigned char *
scep_attrs_der(const scep_bytes_t *attrs, size_t *len)
{
    int                          n;
    size_t                       total;
    unsigned char               *der, *q;
    X509_ATTRIBUTE              *attr;
    const unsigned char         *p, *end;
    STACK_OF(X509_ATTRIBUTE)    *list;

    if (attrs->len > SCEP_ATTRS_DER_MAX) {
        return NULL;
    }

    list = sk_X509_ATTRIBUTE_new_null();
    if (list == NULL) {
        return NULL;
    }

    der = NULL;
    total = 0;

    p = attrs->data;
    end = p + attrs->len;

    while (p < end) {
        attr = d2i_X509_ATTRIBUTE(NULL, &p, end - p);
        if (attr == NULL) {
            goto done;
        }

        if (!sk_X509_ATTRIBUTE_push(list, attr)) {
            X509_ATTRIBUTE_free(attr);
            goto done;
        }

        n = i2d_X509_ATTRIBUTE(attr, NULL);
        if (n <= 0) {
            goto done;
        }

        total += n;
    }

    der = malloc(total ? total : 1);
    if (der == NULL) {
        goto done;
    }

    q = der;

    for (n = 0; n < sk_X509_ATTRIBUTE_num(list); n++) {
        if (i2d_X509_ATTRIBUTE(sk_X509_ATTRIBUTE_value(list, n), &q) <= 0) {
            free(der);
            der = NULL;
            goto done;
        }
    }

    *len = total;

done:

    sk_X509_ATTRIBUTE_pop_free(list, X509_ATTRIBUTE_free);

    return der;
}


static scep_sig_e
scep_result(scep_sig_e rc, char *detail, size_t size, const char *fmt, ...)
{
    va_list  args;

    if (size) {
        va_start(args, fmt);
        vsnprintf(detail, size, fmt, args);
        va_end(args);
    }

    return rc;
}


/*
 * The entry for a certificate: found by hash, length and all its bytes,
 * or made from the least recently used slot.  Never NULL: a certificate
 * too large to keep, or one whose copy fails, gets the "once" entry,
 * cleared on release.
 */

static scep_key_t *
scep_key_get(scep_key_cache_t *cache, const scep_bytes_t *cert)
{
    unsigned        i;
    uint64_t        hash;
    scep_key_t     *k, *victim;
    unsigned char  *copy;

    hash = scep_key_hash(cert->data, cert->len);
    victim = NULL;

    for (i = 0; i < cache->entries; i++) {
        k = &cache->keys[i];

        if (k->used
            && k->hash == hash
            && k->cert_len == cert->len
            && memcmp(k->cert, cert->data, cert->len) == 0)
        {
            k->used = ++cache->clock;
            return k;
        }

        /* free slots have used == 0 and go first */

        if (victim == NULL || k->used < victim->used) {
            victim = k;
        }
    }

    copy = NULL;

    if (cert->len <= SCEP_KEY_CERT_MAX) {
        copy = malloc(cert->len);
    }

    if (copy == NULL) {
        victim = &cache->once;
        scep_key_clear(victim);

        victim->cert = cert->data;
        victim->borrowed = 1;

    } else {
        scep_key_clear(victim);

        memcpy(copy, cert->data, cert->len);
        victim->cert = copy;
    }

    victim->hash = hash;
    victim->cert_len = cert->len;
    victim->used = ++cache->clock;

    return victim;
}


static void
scep_key_release(scep_key_cache_t *cache, scep_key_t *k)
{
    /* the once entry points into a message that is about to go */

    if (k == &cache->once) {
        scep_key_clear(k);
    }
}


static void
scep_key_clear(scep_key_t *k)
{
    if (!k->borrowed) {
        free((void *) k->cert);
    }

    EVP_PKEY_free(k->key);
    free(k->subject);

    memset(k, 0, sizeof(scep_key_t));
}


/*
 * A fast 64-bit hash over 8-byte words.  It only spreads entries: a hit
 * is confirmed by comparing every byte, so a collision costs a memcmp().
 */

static uint64_t
scep_key_hash(const unsigned char *p, size_t len)
{
    uint64_t  h, w;

    h = 0x9e3779b97f4a7c15ULL ^ len;

    for ( /* void */ ; len >= 8; p += 8, len -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }

    w = 0;
    memcpy(&w, p, len);

    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;

    return h;
}


/*
 * The key of the certificate, judged before it is made and once again as
 * OpenSSL holds it: a certificate or key that is not plain DER comes from
 * d2i, which nothing judged.  A key that cannot be read is refused as
 * well: nothing could check what it signed.
 */

static void
scep_key_read(scep_key_t *k)
{
    X509                 *x;
    EVP_PKEY             *key;
    scep_tlv_t            subject, spki;
    const unsigned char  *p;

    k->key_read = 1;

    if (scep_cert_fields(k->cert, k->cert_len, &subject, &spki) == 0) {
        key = scep_key_spki(k, &spki);

    } else {
        /* not plain DER: let OpenSSL read it, at ten times the cost */

        p = k->cert;
        x = d2i_X509(NULL, &p, k->cert_len);

        key = x ? X509_get0_pubkey(x) : NULL;

        if (key) {
            EVP_PKEY_up_ref(key);
        }

        X509_free(x);
    }

    if (k->refused) {
        EVP_PKEY_free(key);
        return;
    }

    if (key == NULL) {
        scep_key_refuse(k, "the signer certificate's key is unreadable");
        return;
    }

    if (scep_key_limits(k, key) != 0) {
        EVP_PKEY_free(key);
        return;
    }

    k->key = key;
}


/*
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, params },
 *     subjectPublicKey BIT STRING }
 */

static EVP_PKEY *
scep_key_spki(scep_key_t *k, const scep_tlv_t *spki)
{
    char                  name[64];
    size_t                i;
    EVP_PKEY             *key;
    scep_tlv_t            alg, oid, params, bits;
    const unsigned char  *p;

    if (scep_der(spki->content, spki->end, &alg) != 0
        || alg.tag != SCEP_TAG_SEQUENCE
        || scep_der(alg.content, alg.end, &oid) != 0
        || oid.tag != SCEP_TAG_OID
        || scep_der(alg.end, spki->end, &bits) != 0
        || bits.tag != SCEP_TAG_BIT_STRING
        || bits.end - bits.content < 2
        || bits.content[0] != 0)
    {
        goto slow;
    }

    if (scep_der_is(&oid, scep_oid(SCEP_OID_RSA_ENCRYPTION))) {
        key = scep_key_rsa(k, bits.content + 1, bits.end - bits.content - 1);

    } else if (scep_der_is(&oid, scep_oid(SCEP_OID_EC_PUBLIC_KEY))) {

        if (scep_der(oid.end, alg.end, &params) != 0) {
            goto slow;
        }

        /* a curve of the sender's making: what it costs is its choice */

        if (params.tag == SCEP_TAG_SEQUENCE) {
            scep_key_refuse(k, "the signer's EC key gives its curve by "
                               "explicit parameters, not by name");
            return NULL;
        }

        if (params.tag != SCEP_TAG_OID) {
            goto slow;
        }

        for (i = 0; i < sizeof(scep_curves) / sizeof(scep_curves[0]); i++) {
            if (scep_der_is(&params, scep_curves[i].oid,
                            scep_curves[i].oid_len))
            {
                break;
            }
        }

        if (i == sizeof(scep_curves) / sizeof(scep_curves[0])) {
            scep_ber_oid_text(name, sizeof(name), params.content,
                              params.end - params.content, 1);
            scep_key_refuse(k, "the signer's EC key is on the curve %s, "
                               "not P-256, P-384 or P-521", name);
            return NULL;
        }

        key = scep_key_ec(scep_curves[i].name, bits.content + 1,
                          bits.end - bits.content - 1);

    } else {
        scep_ber_oid_text(name, sizeof(name), oid.content,
                          oid.end - oid.content, 1);
        scep_key_refuse(k, "the signer's key algorithm %s is not RSA or EC",
                        name);
        return NULL;
    }

    if (key || k->refused) {
        return key;
    }

slow:

    p = spki->start;

    return d2i_PUBKEY(NULL, &p, spki->end - spki->start);
}


/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */

static EVP_PKEY *
scep_key_rsa(scep_key_t *k, const unsigned char *p, size_t len)
{
    BIGNUM          *n, *e;
    EVP_PKEY        *key;
    scep_tlv_t       seq, modulus, exponent;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx;
    OSSL_PARAM_BLD  *bld;

    if (scep_der(p, p + len, &seq) != 0
        || seq.tag != SCEP_TAG_SEQUENCE
        || seq.end != p + len
        || scep_der(seq.content, seq.end, &modulus) != 0
        || modulus.tag != SCEP_TAG_INTEGER
        || scep_der(modulus.end, seq.end, &exponent) != 0
        || exponent.tag != SCEP_TAG_INTEGER
        || exponent.end != seq.end
        || modulus.content == modulus.end
        || exponent.content == exponent.end
        || (modulus.content[0] & 0x80)
        || (exponent.content[0] & 0x80))
    {
        return NULL;
    }

    /* judged by the lengths, before a number is made of the bytes */

    if (scep_key_rsa_limits(k,
                            scep_int_bits(modulus.content,
                                          modulus.end - modulus.content),
                            scep_int_bits(exponent.content,
                                          exponent.end - exponent.content),
                            exponent.end[-1] & 1)
        != 0)
    {
        return NULL;
    }

    key = NULL;
    params = NULL;
    ctx = NULL;

    n = BN_bin2bn(modulus.content, modulus.end - modulus.content, NULL);
    e = BN_bin2bn(exponent.content, exponent.end - exponent.content, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (n == NULL || e == NULL || bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
    {
        goto done;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        key = NULL;
    }

done:

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    return key;
}


/* the curve by OpenSSL's name, the point as it is encoded; it is checked */

static EVP_PKEY *
scep_key_ec(const char *group, const unsigned char *point, size_t len)
{
    EVP_PKEY      *key;
    OSSL_PARAM     params[3];
    EVP_PKEY_CTX  *ctx;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *) group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  (void *) point, len);
    params[2] = OSSL_PARAM_construct_end();

    key = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

    if (ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        key = NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    return key;
}


static int
scep_key_rsa_limits(scep_key_t *k, size_t bits, size_t ebits, int odd)
{
    if (bits < SCEP_KEY_RSA_MIN_BITS || bits > SCEP_KEY_RSA_MAX_BITS) {
        scep_key_refuse(k, "the signer's RSA modulus of %zu bits is outside "
                           "%d to %d", bits, SCEP_KEY_RSA_MIN_BITS,
                        SCEP_KEY_RSA_MAX_BITS);
        return -1;
    }

    if (ebits > SCEP_KEY_RSA_MAX_E_BITS) {
        scep_key_refuse(k, "the signer's RSA public exponent is %zu bits "
                           "long, over %d", ebits, SCEP_KEY_RSA_MAX_E_BITS);
        return -1;
    }

    if (!odd) {
        scep_key_refuse(k, "the signer's RSA public exponent is even");
        return -1;
    }

    /* odd and of fewer than 2 bits: 1 */

    if (ebits < 2) {
        scep_key_refuse(k, "the signer's RSA public exponent is below 3");
        return -1;
    }

    return 0;
}


/* the key as OpenSSL holds it: its kind, and the limits of that kind */

static int
scep_key_limits(scep_key_t *k, EVP_PKEY *key)
{
    int       rc, nid;
    char      name[64];
    size_t    i;
    BIGNUM   *e;

    if (EVP_PKEY_is_a(key, "RSA")) {
        e = NULL;

        if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
            scep_key_refuse(k, "the signer certificate's key is unreadable");
            return -1;
        }

        rc = scep_key_rsa_limits(k, EVP_PKEY_get_bits(key), BN_num_bits(e),
                                 BN_is_odd(e));
        BN_free(e);

        if (rc != 0) {
            return -1;
        }

        k->key_type = SCEP_KEY_RSA;

        return 0;
    }

    if (!EVP_PKEY_is_a(key, "EC")) {
        scep_key_refuse(k, "the signer's key algorithm %s is not RSA or EC",
                        EVP_PKEY_get0_type_name(key));
        return -1;
    }

    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
                                       name, sizeof(name), NULL)
        && strcmp(name, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 0)
    {
        scep_key_refuse(k, "the signer's EC key gives its curve by explicit "
                           "parameters, not by name");
        return -1;
    }

    if (!EVP_PKEY_get_group_name(key, name, sizeof(name), NULL)) {
        scep_key_refuse(k, "the signer's EC key names no curve");
        return -1;
    }

    nid = OBJ_sn2nid(name);

    for (i = 0; i < sizeof(scep_curves) / sizeof(scep_curves[0]); i++) {
        if (nid != NID_undef && nid == EC_curve_nist2nid(scep_curves[i].name))
        {
            k->key_type = SCEP_KEY_EC;
            return 0;
        }
    }

    scep_key_refuse(k, "the signer's EC key is on the curve %s, not P-256, "
                       "P-384 or P-521", name);

    return -1;
}


static void
scep_key_refuse(scep_key_t *k, const char *fmt, ...)
{
    va_list  args;

    k->refused = 1;

    va_start(args, fmt);
    vsnprintf(k->error, sizeof(k->error), fmt, args);
    va_end(args);
}


/* the bits of a non-negative INTEGER's content octets */

static size_t
scep_int_bits(const unsigned char *p, size_t len)
{
    size_t    bits;
    unsigned  c;

    while (len && *p == 0) {
        p++;
        len--;
    }

    if (len == 0) {
        return 0;
    }

    bits = (len - 1) * 8;

    for (c = *p; c; c >>= 1) {
        bits++;
    }

    return bits;
}


static void
scep_key_subject(scep_key_t *k)
{
    long                  len;
    char                 *data;
    BIO                  *bio;
    X509                 *x;
    X509_NAME            *name;
    scep_tlv_t            subject, spki;
    const unsigned char  *p;

    k->subject_read = 1;

    if (scep_cert_fields(k->cert, k->cert_len, &subject, &spki) == 0) {
        p = subject.start;
        name = d2i_X509_NAME(NULL, &p, subject.end - subject.start);

    } else {
        p = k->cert;
        x = d2i_X509(NULL, &p, k->cert_len);
        name = x ? X509_NAME_dup(X509_get_subject_name(x)) : NULL;
        X509_free(x);
    }

    if (name == NULL) {
        return;
    }

    bio = BIO_new(BIO_s_mem());

    if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        len = BIO_get_mem_data(bio, &data);

        if (len > 0) {
            k->subject = malloc(len);

            if (k->subject) {
                memcpy(k->subject, data, len);
                k->subject_len = len;
            }
        }
    }

    BIO_free(bio);
    X509_NAME_free(name);
}


int
scep_msg_signer_spki(const scep_msg_t *m, scep_bytes_t *spki)
{
    scep_tlv_t  subject, t;

    if (m->signer_cert.data == NULL
        || scep_cert_fields(m->signer_cert.data, m->signer_cert.len, &subject,
                            &t)
           != 0)
    {
        return -1;
    }

    spki->data = t.start;
    spki->len = t.end - t.start;

    return 0;
}


/*
 * Certificate ::= SEQUENCE { TBSCertificate SEQUENCE { [0] version,
 *     serialNumber, signature, issuer, validity, subject,
 *     subjectPublicKeyInfo, ... }, ... }
 */

static int
scep_cert_fields(const unsigned char *cert, size_t len, scep_tlv_t *subject,
    scep_tlv_t *spki)
{
    int                   i;
    scep_tlv_t            t, tbs;
    const unsigned char  *p;

    if (scep_der(cert, cert + len, &t) != 0
        || t.tag != SCEP_TAG_SEQUENCE
        || scep_der(t.content, t.end, &tbs) != 0
        || tbs.tag != SCEP_TAG_SEQUENCE
        || scep_der(tbs.content, tbs.end, &t) != 0)
    {
        return -1;
    }

    p = (t.tag == SCEP_TAG_CTX0) ? t.end : t.start;

    /* serialNumber, signature, issuer, validity */

    for (i = 0; i < 4; i++) {
        if (scep_der(p, tbs.end, &t) != 0) {
            return -1;
        }

        p = t.end;
    }

    if (scep_der(p, tbs.end, subject) != 0
        || subject->tag != SCEP_TAG_SEQUENCE
        || scep_der(subject->end, tbs.end, spki) != 0
        || spki->tag != SCEP_TAG_SEQUENCE)
    {
        return -1;
    }

    return 0;
}


/*
 * One TLV with a definite length and a one-byte tag.  Certificates are
 * DER; whatever else comes is left to OpenSSL's parser.
 */

static int
scep_der(const unsigned char *p, const unsigned char *end, scep_tlv_t *t)
{
    /* certificates are DER: an indefinite length is not read here */

    if (scep_ber_header(p, end, t) == NULL || t->indefinite) {
        return -1;
    }

    return 0;
}


static int
scep_der_is(const scep_tlv_t *t, const unsigned char *oid, size_t len)
{
    return (size_t) (t->end - t->content) == len
           && memcmp(t->content, oid, len) == 0;
}
