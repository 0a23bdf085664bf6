/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The differential check of the pkiMessage decoder: for each file, what
 * scep_msg_decode() returns next to what OpenSSL's CMS API reads from the
 * same bytes, one JSON line per file:
 *
 *   scep-diff FILE...
 *
 *   {"file":..., "reject":"", "type":"PKCSReq", "ber":false,
 *    "signer_key":"", "signature":"valid",
 *    "scep":{field: value...}, "openssl":{field: value...},
 *    "mismatch":[fields that differ], "openssl_error":"..." (on "parse")}
 *
 * or, for a message the decoder rejects,
 *
 *   {"file":..., "reject":"truncated", "detail":"...", "openssl_parses":false}
 *
 * Bytes are hex, or "sha256:<hex>/<length>" past 64 bytes; text is JSON
 * text.  Exits 1 when a message the decoder accepts differs in any field
 * (OpenSSL not parsing it at all is the field "parse"), 2 on an error.
 *
 * OpenSSL's side reads the first SignerInfo, as the decoder does; an
 * attribute is its first occurrence that has a value; pkiStatus and
 * failInfo are mapped through the module's tables, which are the one
 * definition of their codes.
 *
 * signer_key is why scep_msg_signer_key() refuses the signer's key (""
 * when it does not), signature what scep_msg_verify() then says, with a
 * cache of its own for each file.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "scep.h"
#include "scep_verify.h"


/* the fields, in the order they are printed */

typedef enum {
    DIFF_MESSAGE_TYPE = 0,
    DIFF_TRANSACTION_ID,
    DIFF_SENDER_NONCE,
    DIFF_RECIPIENT_NONCE,
    DIFF_PKI_STATUS,
    DIFF_FAIL_INFO,
    DIFF_DIGEST,
    DIFF_DIGEST_OID,
    DIFF_MESSAGE_DIGEST,
    DIFF_SIGNERS,
    DIFF_SIGNER_CERT,
    DIFF_SIGNER_SUBJECT,
    DIFF_CONTENT,
    DIFF_SIGNED_ATTRS,
    DIFF_SIGNATURE,
    DIFF_NDES_ERROR,
    DIFF_COUNT
} diff_field_e;


typedef struct {
    char                      *v[DIFF_COUNT];   /* JSON values */
} diff_side_t;


static const char  *diff_names[DIFF_COUNT] = {
    "message_type",
    "transaction_id",
    "sender_nonce",
    "recipient_nonce",
    "pki_status",
    "fail_info",
    "digest",
    "digest_oid",
    "message_digest",
    "signers",
    "signer_cert",
    "signer_subject",
    "content",
    "signed_attrs",
    "signature",
    "ndes_error",
};


static int diff_file(const char *path);
static int diff_prefixes(const char *path);
static void diff_scep(diff_side_t *s, const scep_msg_t *m);
static void diff_openssl(diff_side_t *s, CMS_ContentInfo *cms);
static void diff_openssl_error(char *buf, size_t size);
static ASN1_STRING *diff_attr(CMS_SignerInfo *si, const char *oid, int type);
static char *diff_code(ASN1_STRING *v, const scep_code_def_t *codes,
    int n);
static char *diff_ndes_error(CMS_SignerInfo *si);
static char *diff_bytes(const unsigned char *p, size_t len);
static char *diff_text(const unsigned char *p, size_t len);
static char *diff_name(const unsigned char *p, size_t len);
static char *diff_x509_name(X509_NAME *name);
static char *diff_digest_name(const char *name);
static char *diff_number(unsigned n);
static char *diff_strdup(const char *s);
static unsigned char *diff_read(const char *path, size_t *len);
static void diff_print_side(const char *name, diff_side_t *s);
static void diff_free(diff_side_t *s);


int
main(int argc, char **argv)
{
    int  i, rc, status;

    if (argc < 2) {
        fprintf(stderr, "usage: scep-diff [--prefixes] FILE...\n");
        return 2;
    }

    status = 0;

    if (strcmp(argv[1], "--prefixes") == 0) {
        for (i = 2; i < argc; i++) {
            rc = diff_prefixes(argv[i]);

            if (rc > status) {
                status = rc;
            }
        }

        return status;
    }

    for (i = 1; i < argc; i++) {
        rc = diff_file(argv[i]);

        if (rc > status) {
            status = rc;
        }
    }

    return status;
}


/*
 * Every proper prefix of a valid message must be rejected: prints
 * {"file":..., "prefixes":N, "accepted":K, "first_accepted":L} and
 * exits 1 when any was accepted.
 */

static int
diff_prefixes(const char *path)
{
    long            first;
    size_t          len, n, accepted;
    scep_msg_t      m;
    unsigned char  *p;

    p = diff_read(path, &len);
    if (p == NULL) {
        return 2;
    }

    accepted = 0;
    first = -1;

    for (n = 0; n < len; n++) {
        if (scep_msg_decode(&m, p, n) == SCEP_REJECT_NONE) {
            if (accepted++ == 0) {
                first = (long) n;
            }
        }
    }

    printf("{\"file\":\"%s\",\"prefixes\":%zu,\"accepted\":%zu,"
           "\"first_accepted\":%ld}\n", path, len, accepted, first);

    free(p);

    return accepted ? 1 : 0;
}


static int
diff_file(const char *path)
{
    int                   i, n;
    char                 *file, error[256], key[128];
    scep_sig_e            sig;
    scep_key_cache_t     *cache;
    size_t                len;
    scep_msg_t            m;
    diff_side_t           ours, theirs;
    scep_reject_e         rc;
    unsigned char        *p;
    CMS_ContentInfo      *cms;
    const unsigned char  *q;

    p = diff_read(path, &len);
    if (p == NULL) {
        return 2;
    }

    rc = scep_msg_decode(&m, p, len);

    q = p;
    ERR_clear_error();
    cms = d2i_CMS_ContentInfo(NULL, &q, len);

    if (cms == NULL) {
        diff_openssl_error(error, sizeof(error));

    } else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        CMS_ContentInfo_free(cms);
        cms = NULL;
        snprintf(error, sizeof(error), "not signedData");
    }

    file = diff_text((const unsigned char *) path, strlen(path));

    if (rc != SCEP_REJECT_NONE) {
        printf("{\"file\":%s,\"reject\":\"%s\",\"detail\":", file,
               scep_rejects[rc].name);
        free(file);

        file = diff_text((const unsigned char *) m.detail, strlen(m.detail));
        printf("%s,\"openssl_parses\":%s}\n", file,
               cms != NULL ? "true" : "false");

        free(file);
        free(p);
        CMS_ContentInfo_free(cms);
        ERR_clear_error();

        return 0;
    }

    memset(&ours, 0, sizeof(diff_side_t));
    memset(&theirs, 0, sizeof(diff_side_t));

    diff_scep(&ours, &m);

    if (cms != NULL) {
        diff_openssl(&theirs, cms);
    }

    printf("{\"file\":%s,\"reject\":\"\",\"type\":\"%s\",\"ber\":%s,",
           file, scep_msg_types[m.type].name, m.ber ? "true" : "false");

    cache = scep_key_cache_create(1);
    if (cache == NULL) {
        return 2;
    }

    if (scep_msg_signer_key(cache, &m, key, sizeof(key)) == 0) {
        key[0] = '\0';
    }

    sig = scep_msg_verify(cache, &m, NULL, 0);
    scep_key_cache_destroy(cache);

    free(file);
    file = diff_text((const unsigned char *) key, strlen(key));
    printf("\"signer_key\":%s,\"signature\":\"%s\",", file,
           scep_sig_names[sig]);

    diff_print_side("scep", &ours);
    printf(",");
    diff_print_side("openssl", &theirs);

    printf(",\"mismatch\":[");
    n = 0;

    if (cms == NULL) {
        printf("\"parse\"");
        n++;

    } else {
        for (i = 0; i < DIFF_COUNT; i++) {
            if (strcmp(ours.v[i], theirs.v[i]) != 0) {
                printf("%s\"%s\"", n++ ? "," : "", diff_names[i]);
            }
        }
    }

    printf("]");

    if (cms == NULL) {
        free(file);
        file = diff_text((const unsigned char *) error, strlen(error));
        printf(",\"openssl_error\":%s", file);
    }

    printf("}\n");

    if (n) {
        fprintf(stderr, "scep-diff: %s: %d field(s) differ from OpenSSL\n",
                path, n);
    }

    diff_free(&ours);
    diff_free(&theirs);
    free(file);
    free(p);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();

    return n ? 1 : 0;
}


static void
diff_scep(diff_side_t *s, const scep_msg_t *m)
{
    int                        rc, len;
    char                       code[16];
    size_t                     n, total, hdr;
    scep_bytes_t               seg;
    unsigned char             *buf, *der;
    scep_content_iter_t        it;
    const unsigned char       *q;
    STACK_OF(X509_ATTRIBUTE)  *attrs;

    s->v[DIFF_MESSAGE_TYPE] = diff_text(m->message_type.data,
                                        m->message_type.len);
    s->v[DIFF_TRANSACTION_ID] = diff_text(m->transaction_id.data,
                                          m->transaction_id.len);
    s->v[DIFF_SENDER_NONCE] = diff_bytes(m->sender_nonce.data,
                                         m->sender_nonce.len);
    s->v[DIFF_RECIPIENT_NONCE] = diff_bytes(m->recipient_nonce.data,
                                            m->recipient_nonce.len);

    s->v[DIFF_PKI_STATUS] =
        diff_text((const unsigned char *) scep_pki_statuses[m->pki_status].code,
                  strlen(scep_pki_statuses[m->pki_status].code));
    s->v[DIFF_FAIL_INFO] =
        diff_text((const unsigned char *) scep_fail_infos[m->fail_info].code,
                  strlen(scep_fail_infos[m->fail_info].code));

    s->v[DIFF_DIGEST] = diff_digest_name(m->digest_alg >= 0
                                         ? scep_digest_algs[m->digest_alg].name
                                         : "");
    s->v[DIFF_DIGEST_OID] = diff_bytes(m->digest_oid.data, m->digest_oid.len);
    s->v[DIFF_MESSAGE_DIGEST] = diff_bytes(m->message_digest.data,
                                           m->message_digest.len);
    s->v[DIFF_SIGNERS] = diff_number(m->signers);

    s->v[DIFF_SIGNER_CERT] = diff_bytes(m->signer_cert.data,
                                        m->signer_cert.len);
    s->v[DIFF_SIGNER_SUBJECT] = diff_name(m->signer_subject.data,
                                          m->signer_subject.len);

    /* the content as the module reads it: its segments, in order */

    if (m->content.data == NULL) {
        s->v[DIFF_CONTENT] = diff_strdup("null");

    } else {
        buf = malloc(m->content.len + 1);
        total = 0;

        scep_content_init(&it, m);

        while ((rc = scep_content_next(&it, &seg)) == 1) {
            memcpy(buf + total, seg.data, seg.len);
            total += seg.len;
        }

        s->v[DIFF_CONTENT] = rc == 0 ? diff_bytes(buf, total)
                                     : diff_strdup("\"malformed\"");
        free(buf);
    }

    /* what the signature covers: the attributes as a SET */

    n = m->signed_attrs.len;
    buf = malloc(n + 6);
    buf[0] = 0x31;

    if (n < 0x80) {
        buf[1] = (unsigned char) n;
        hdr = 2;

    } else if (n < 0x100) {
        buf[1] = 0x81;
        buf[2] = (unsigned char) n;
        hdr = 3;

    } else if (n < 0x10000) {
        buf[1] = 0x82;
        buf[2] = (unsigned char) (n >> 8);
        buf[3] = (unsigned char) n;
        hdr = 4;

    } else {
        buf[1] = 0x83;
        buf[2] = (unsigned char) (n >> 16);
        buf[3] = (unsigned char) (n >> 8);
        buf[4] = (unsigned char) n;
        hdr = 5;
    }

    memcpy(buf + hdr, m->signed_attrs.data, n);

    /*
     * Attributes sent in BER are signed in DER (RFC 5652, 5.4): what the
     * signature covers is then their DER re-encoding, made from the
     * decoder's bytes as OpenSSL makes it of its own.
     */

    q = buf;
    attrs = (STACK_OF(X509_ATTRIBUTE) *)
            ASN1_item_d2i(NULL, &q, hdr + n, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
    der = NULL;
    len = attrs ? ASN1_item_i2d((ASN1_VALUE *) attrs, &der,
                                ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY))
                : 0;

    if (len > 0 && ((size_t) len != hdr + n || memcmp(der, buf, len) != 0)) {
        s->v[DIFF_SIGNED_ATTRS] = diff_bytes(der, len);

    } else {
        s->v[DIFF_SIGNED_ATTRS] = diff_bytes(buf, hdr + n);
    }

    OPENSSL_free(der);
    sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
    ERR_clear_error();
    free(buf);

    s->v[DIFF_SIGNATURE] = diff_bytes(m->signature.data, m->signature.len);

    if (m->has_ndes_error) {
        snprintf(code, sizeof(code), "\"0x%08x\"", (unsigned) m->ndes_error);
        s->v[DIFF_NDES_ERROR] = diff_strdup(code);

    } else {
        s->v[DIFF_NDES_ERROR] = diff_strdup("null");
    }
}


static void
diff_openssl(diff_side_t *s, CMS_ContentInfo *cms)
{
    int                        i, n;
    X509                      *signer;
    unsigned char             *der;
    ASN1_STRING               *v;
    CMS_SignerInfo            *si;
    X509_ALGOR                *dig;
    ASN1_OCTET_STRING        **content, *sig;
    const ASN1_OBJECT         *obj;
    STACK_OF(CMS_SignerInfo)  *sis;
    STACK_OF(X509_ATTRIBUTE)  *attrs;

    sis = CMS_get0_SignerInfos(cms);
    n = sk_CMS_SignerInfo_num(sis);

    s->v[DIFF_SIGNERS] = diff_number(n > 0 ? n : 0);

    if (n <= 0) {
        for (i = 0; i < DIFF_COUNT; i++) {
            if (s->v[i] == NULL) {
                s->v[i] = diff_strdup("null");
            }
        }

        return;
    }

    si = sk_CMS_SignerInfo_value(sis, 0);

    v = diff_attr(si, "2.16.840.1.113733.1.9.2", -1);
    s->v[DIFF_MESSAGE_TYPE] = v ? diff_text(v->data, v->length)
                                : diff_strdup("null");

    v = diff_attr(si, "2.16.840.1.113733.1.9.7", -1);
    s->v[DIFF_TRANSACTION_ID] = v ? diff_text(v->data, v->length)
                                  : diff_strdup("null");

    v = diff_attr(si, "2.16.840.1.113733.1.9.5", V_ASN1_OCTET_STRING);
    s->v[DIFF_SENDER_NONCE] = v ? diff_bytes(v->data, v->length)
                                : diff_strdup("null");

    v = diff_attr(si, "2.16.840.1.113733.1.9.6", V_ASN1_OCTET_STRING);
    s->v[DIFF_RECIPIENT_NONCE] = v ? diff_bytes(v->data, v->length)
                                   : diff_strdup("null");

    v = diff_attr(si, "2.16.840.1.113733.1.9.3", -1);
    s->v[DIFF_PKI_STATUS] = diff_code(v, scep_pki_statuses,
                                      SCEP_STATUS_COUNT);

    v = diff_attr(si, "2.16.840.1.113733.1.9.4", -1);
    s->v[DIFF_FAIL_INFO] = diff_code(v, scep_fail_infos, SCEP_FAIL_COUNT);

    v = diff_attr(si, "1.2.840.113549.1.9.4", V_ASN1_OCTET_STRING);
    s->v[DIFF_MESSAGE_DIGEST] = v ? diff_bytes(v->data, v->length)
                                  : diff_strdup("null");

    signer = NULL;
    dig = NULL;

    /* the signer among the message's own certificates, as OpenSSL finds it */

    CMS_set1_signers_certs(cms, NULL, 0);
    CMS_SignerInfo_get0_algs(si, NULL, &signer, &dig, NULL);

    if (dig != NULL) {
        X509_ALGOR_get0(&obj, NULL, NULL, dig);
        s->v[DIFF_DIGEST_OID] = diff_bytes(OBJ_get0_data(obj),
                                           OBJ_length(obj));
        s->v[DIFF_DIGEST] =
            diff_digest_name(OBJ_obj2nid(obj) != NID_undef
                             ? OBJ_nid2sn(OBJ_obj2nid(obj)) : "");

    } else {
        s->v[DIFF_DIGEST_OID] = diff_strdup("null");
        s->v[DIFF_DIGEST] = diff_strdup("\"\"");
    }

    if (signer != NULL) {
        der = NULL;
        n = i2d_X509(signer, &der);
        s->v[DIFF_SIGNER_CERT] = diff_bytes(der, n > 0 ? n : 0);
        OPENSSL_free(der);

        s->v[DIFF_SIGNER_SUBJECT] =
            diff_x509_name(X509_get_subject_name(signer));

    } else {
        s->v[DIFF_SIGNER_CERT] = diff_strdup("null");
        s->v[DIFF_SIGNER_SUBJECT] = diff_strdup("null");
    }

    content = CMS_get0_content(cms);
    s->v[DIFF_CONTENT] = (content && *content)
                         ? diff_bytes((*content)->data, (*content)->length)
                         : diff_strdup("null");

    /*
     * The attributes re-encoded in the order they came, as OpenSSL does
     * to verify the signature (CMS_Attributes_Verify is PKCS7_ATTR_VERIFY).
     */

    attrs = sk_X509_ATTRIBUTE_new_null();
    n = CMS_signed_get_attr_count(si);

    for (i = 0; i < n; i++) {
        sk_X509_ATTRIBUTE_push(attrs, CMS_signed_get_attr(si, i));
    }

    der = NULL;
    n = ASN1_item_i2d((ASN1_VALUE *) attrs, &der,
                      ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
    s->v[DIFF_SIGNED_ATTRS] = n > 0 ? diff_bytes(der, n)
                                    : diff_strdup("null");
    OPENSSL_free(der);
    sk_X509_ATTRIBUTE_free(attrs);

    sig = CMS_SignerInfo_get0_signature(si);
    s->v[DIFF_SIGNATURE] = sig ? diff_bytes(sig->data, sig->length)
                               : diff_strdup("null");

    s->v[DIFF_NDES_ERROR] = diff_ndes_error(si);
}


/*
 * NDES's error code as OpenSSL reads it: one attribute of one INTEGER
 * value from -2^31 to 2^32 - 1, its low 32 bits; null otherwise.
 */

static char *
diff_ndes_error(CMS_SignerInfo *si)
{
    int              i, n;
    char             code[16];
    int64_t          v;
    ASN1_TYPE       *t;
    ASN1_OBJECT     *obj;
    X509_ATTRIBUTE  *attr;

    obj = OBJ_txt2obj("1.3.6.1.4.1.311.21.33", 1);
    attr = NULL;
    n = 0;

    for (i = -1; (i = CMS_signed_get_attr_by_OBJ(si, obj, i)) >= 0; n++) {
        attr = CMS_signed_get_attr(si, i);
    }

    ASN1_OBJECT_free(obj);

    if (n != 1 || X509_ATTRIBUTE_count(attr) != 1) {
        return diff_strdup("null");
    }

    t = X509_ATTRIBUTE_get0_type(attr, 0);

    if (t->type != V_ASN1_INTEGER
        || !ASN1_INTEGER_get_int64(&v, t->value.integer)
        || v < -2147483648LL || v > 4294967295LL)
    {
        ERR_clear_error();
        return diff_strdup("null");
    }

    snprintf(code, sizeof(code), "\"0x%08x\"", (unsigned) (uint32_t) v);

    return diff_strdup(code);
}


/* the first error OpenSSL queued, the innermost: "reason (Field=...)" */

static void
diff_openssl_error(char *buf, size_t size)
{
    int            flags;
    const char    *data, *reason;
    unsigned long  e;

    e = ERR_peek_error_all(NULL, NULL, NULL, &data, &flags);
    reason = ERR_reason_error_string(e);

    snprintf(buf, size, "%s%s%s%s", reason ? reason : "unknown error",
             (flags & ERR_TXT_STRING) ? " (" : "",
             (flags & ERR_TXT_STRING) ? data : "",
             (flags & ERR_TXT_STRING) ? ")" : "");
}


/*
 * The first value of the first attribute of that type that has one;
 * type -1 takes the string types the decoder takes (RFC 8894 says
 * PrintableString; clients send UTF8String and IA5String too).
 */

static ASN1_STRING *
diff_attr(CMS_SignerInfo *si, const char *oid, int type)
{
    int              i;
    ASN1_TYPE       *t;
    ASN1_OBJECT     *obj;
    X509_ATTRIBUTE  *attr;

    obj = OBJ_txt2obj(oid, 1);
    t = NULL;

    for (i = -1; ; ) {
        i = CMS_signed_get_attr_by_OBJ(si, obj, i);
        if (i < 0) {
            break;
        }

        attr = CMS_signed_get_attr(si, i);

        if (X509_ATTRIBUTE_count(attr) > 0) {
            t = X509_ATTRIBUTE_get0_type(attr, 0);
            break;
        }
    }

    ASN1_OBJECT_free(obj);

    if (t == NULL) {
        return NULL;
    }

    if (type == -1) {
        if (t->type == V_ASN1_PRINTABLESTRING || t->type == V_ASN1_UTF8STRING
            || t->type == V_ASN1_IA5STRING)
        {
            return t->value.asn1_string;
        }

        return NULL;
    }

    return t->type == type ? t->value.asn1_string : NULL;
}


static char *
diff_code(ASN1_STRING *v, const scep_code_def_t *codes, int n)
{
    int  i;

    for (i = 1; v != NULL && i < n; i++) {
        if ((size_t) v->length == strlen(codes[i].code)
            && memcmp(v->data, codes[i].code, v->length) == 0)
        {
            return diff_text((const unsigned char *) codes[i].code,
                             v->length);
        }
    }

    return diff_strdup("\"\"");
}


/* lower case, and "" for a digest the module's table does not name */

static char *
diff_digest_name(const char *name)
{
    int   i;
    char  lower[32];

    for (i = 0; name[i] && i < (int) sizeof(lower) - 1; i++) {
        lower[i] = (char) tolower((unsigned char) name[i]);
    }

    lower[i] = '\0';

    for (i = 0; scep_digest_algs[i].name; i++) {
        if (strcmp(scep_digest_algs[i].name, lower) == 0) {
            return diff_text((const unsigned char *) lower, strlen(lower));
        }
    }

    return diff_strdup("\"\"");
}


/* hex, or the SHA-256 and length of what is longer than 64 bytes */

static char *
diff_bytes(const unsigned char *p, size_t len)
{
    char           *s, *d;
    size_t          i;
    unsigned char   md[32];

    if (p == NULL) {
        return diff_strdup("null");
    }

    if (len > 64) {
        EVP_Digest(p, len, md, NULL, EVP_sha256(), NULL);

        s = malloc(2 * sizeof(md) + 40);
        d = s + sprintf(s, "\"sha256:");

        for (i = 0; i < sizeof(md); i++) {
            d += sprintf(d, "%02x", md[i]);
        }

        sprintf(d, "/%zu\"", len);
        return s;
    }

    s = malloc(2 * len + 3);
    d = s;
    *d++ = '"';

    for (i = 0; i < len; i++) {
        d += sprintf(d, "%02x", p[i]);
    }

    *d++ = '"';
    *d = '\0';

    return s;
}


static char *
diff_text(const unsigned char *p, size_t len)
{
    char    *s, *d;
    size_t   i;

    if (p == NULL) {
        return diff_strdup("null");
    }

    s = malloc(6 * len + 3);
    d = s;
    *d++ = '"';

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\') {
            d += sprintf(d, "\\u%04x", p[i]);

        } else {
            *d++ = (char) p[i];
        }
    }

    *d++ = '"';
    *d = '\0';

    return s;
}


/* the decoder's subject Name TLV, printed by OpenSSL as RFC 2253 */

static char *
diff_name(const unsigned char *p, size_t len)
{
    char                 *s;
    X509_NAME            *name;
    const unsigned char  *q;

    if (p == NULL) {
        return diff_strdup("null");
    }

    q = p;
    name = d2i_X509_NAME(NULL, &q, len);

    if (name == NULL || q != p + len) {
        X509_NAME_free(name);
        return diff_strdup("\"unparsable Name\"");
    }

    s = diff_x509_name(name);
    X509_NAME_free(name);

    return s;
}


static char *
diff_x509_name(X509_NAME *name)
{
    BIO   *bio;
    char  *data, *s;
    long   n;

    bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    n = BIO_get_mem_data(bio, &data);
    s = diff_text((const unsigned char *) data, n > 0 ? (size_t) n : 0);
    BIO_free(bio);

    return s;
}


static char *
diff_number(unsigned n)
{
    char  buf[16];

    snprintf(buf, sizeof(buf), "%u", n);

    return diff_strdup(buf);
}


static char *
diff_strdup(const char *s)
{
    char  *d;

    d = strdup(s);

    if (d == NULL) {
        fprintf(stderr, "scep-diff: out of memory\n");
        exit(2);
    }

    return d;
}


static unsigned char *
diff_read(const char *path, size_t *len)
{
    long            size;
    FILE           *f;
    unsigned char  *p;

    f = fopen(path, "rb");

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        perror(path);

        if (f) {
            fclose(f);
        }

        return NULL;
    }

    /* an exact copy: a read past the end is past the allocation */

    p = malloc(size ? size : 1);

    if (p == NULL || fread(p, 1, size, f) != (size_t) size) {
        perror(path);
        fclose(f);
        free(p);
        return NULL;
    }

    fclose(f);
    *len = size;

    return p;
}


static void
diff_print_side(const char *name, diff_side_t *s)
{
    int  i;

    printf("\"%s\":{", name);

    for (i = 0; i < DIFF_COUNT; i++) {
        printf("%s\"%s\":%s", i ? "," : "", diff_names[i],
               s->v[i] ? s->v[i] : "null");
    }

    printf("}");
}


static void
diff_free(diff_side_t *s)
{
    int  i;

    for (i = 0; i < DIFF_COUNT; i++) {
        free(s->v[i]);
    }
}
