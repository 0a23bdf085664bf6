/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * GetCACert and GetCACaps answers.
 *
 * GetCACert answers are rare (once per enrolment, a few KB), so each
 * certificate is read with d2i_X509() and described with OpenSSL's own
 * functions: the names are then exactly what "openssl x509 -nameopt
 * RFC2253" prints.  Only the PKCS#7 around them is walked here, with a
 * small bounded BER reader, so that a body of thousands of certificates
 * costs a walk, not thousands of X509 objects.
 */


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep_resp.h"
#include "scep_ber.h"


#define SCEP_RESP_TLV_BUDGET  (1 << 20)   /* TLV headers read per body */


typedef struct {
    scep_certs_t              *out;
    scep_ber_t                 ber;
    unsigned char              is_ca[SCEP_MAX_CERTS];
    unsigned char              ndes_ra[SCEP_MAX_CERTS];
} scep_resp_dec_t;


const char *const  scep_cert_roles[SCEP_CERT_ROLE_COUNT] = {
    "other",
    "ca",
    "ra",
};


/* the templates of the NDES RA certificates, and what each is for */
static const char *const  scep_ndes_templates[] = {
    "CEPEncryption",
    "EnrollmentAgentOffline",
    NULL
};

static const unsigned  scep_ndes_template_uses[] = {
    SCEP_RA_ENCRYPT,
    SCEP_RA_SIGN
};


static int scep_resp_fail(scep_resp_dec_t *d, const char *fmt, ...);
static int scep_resp_tlv(scep_resp_dec_t *d, const unsigned char *p,
    const unsigned char *end, unsigned depth, scep_tlv_t *t);
static int scep_resp_child(scep_resp_dec_t *d, const scep_tlv_t *parent,
    const unsigned char **pos, unsigned depth, scep_tlv_t *t);
static int scep_resp_pkcs7(scep_resp_dec_t *d, const scep_tlv_t *ci);
static int scep_resp_cert(scep_resp_dec_t *d, const unsigned char *p,
    size_t len);
static void scep_resp_name(char *buf, size_t size, const X509_NAME *name);
static void scep_resp_serial(char *buf, size_t size,
    const ASN1_INTEGER *serial);
static int scep_resp_time(long long *t, const ASN1_TIME *at);
static unsigned scep_resp_ndes_ra(X509 *x);
static unsigned scep_resp_key_usage(X509 *x);
static void scep_resp_key_id(unsigned char *md, unsigned *has,
    const ASN1_OCTET_STRING *id);
static int scep_resp_issued_by_ca(const scep_certs_t *certs,
    const scep_cert_t *ra);
static int scep_resp_template_is(const ASN1_OCTET_STRING *value,
    const char *name);


int
scep_certs_decode(scep_certs_t *out, const unsigned char *p, size_t len)
{
    int               rc;
    unsigned          i;
    scep_tlv_t        outer, first;
    scep_resp_dec_t   d;
    const unsigned char  *pos;

    memset(out, 0, sizeof(scep_certs_t));
    memset(&d, 0, sizeof(scep_resp_dec_t));
    d.out = out;
    scep_ber_init(&d.ber, p, SCEP_RESP_TLV_BUDGET, out->detail,
                  sizeof(out->detail));

    if (len == 0) {
        return scep_resp_fail(&d, "the body is empty");
    }

    if (len > SCEP_MAX_CERTS_BODY) {
        return scep_resp_fail(&d, "the body of %zu bytes is larger than"
                              " %d", len, SCEP_MAX_CERTS_BODY);
    }

    ERR_set_mark();

    rc = scep_resp_tlv(&d, p, p + len, 0, &outer);
    if (rc != 0) {
        goto done;
    }

    if (outer.tag != SCEP_TAG_SEQUENCE) {
        rc = scep_resp_fail(&d, "the body is neither a certificate nor"
                            " PKCS#7 (tag 0x%02x)", outer.tag);
        goto done;
    }

    if (outer.end != p + len) {
        rc = scep_resp_fail(&d, "%zu bytes follow the outer SEQUENCE",
                            (size_t) (p + len - outer.end));
        goto done;
    }

    pos = outer.content;

    rc = scep_resp_child(&d, &outer, &pos, 1, &first);
    if (rc != 0) {
        rc = rc < 0 ? -1 : scep_resp_fail(&d, "the outer SEQUENCE is empty");
        goto done;
    }

    if (first.tag == SCEP_TAG_SEQUENCE) {
        /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, ... } */
        out->total = 1;
        rc = scep_resp_cert(&d, p, len);

    } else if (first.tag == SCEP_TAG_OID) {
        rc = scep_resp_pkcs7(&d, &outer);

    } else {
        rc = scep_resp_fail(&d, "the body is neither a certificate nor"
                            " PKCS#7");
    }

    if (rc == 0 && out->total == 0) {
        rc = scep_resp_fail(&d, "the PKCS#7 holds no certificate");
    }

    if (rc == 0) {
        for (i = 0; i < out->n; i++) {
            if (d.is_ca[i]) {
                out->certs[i].role = SCEP_CERT_CA;

            } else if (out->total > 1 || d.ndes_ra[i]) {
                out->certs[i].role = SCEP_CERT_RA;

            } else {
                out->certs[i].role = SCEP_CERT_OTHER;
            }
        }
    }

done:

    ERR_pop_to_mark();

    if (rc != 0) {
        out->n = 0;
    }

    return rc;
}


static int
scep_resp_fail(scep_resp_dec_t *d, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(d->out->detail, sizeof(d->out->detail), fmt, args);
    va_end(args);

    return -1;
}


/* one TLV, read by the core's reader */

static int
scep_resp_tlv(scep_resp_dec_t *d, const unsigned char *p,
    const unsigned char *end, unsigned depth, scep_tlv_t *t)
{
    return scep_ber_tlv(&d->ber, p, end, depth, t);
}


/* the next child of parent at *pos; 1 when there is none */

static int
scep_resp_child(scep_resp_dec_t *d, const scep_tlv_t *parent,
    const unsigned char **pos, unsigned depth, scep_tlv_t *t)
{
    if (*pos >= parent->content_end) {
        return 1;
    }

    if (scep_resp_tlv(d, *pos, parent->content_end, depth, t) != 0) {
        return -1;
    }

    *pos = t->end;

    return 0;
}


/*
 * ContentInfo ::= SEQUENCE { contentType signedData, [0] EXPLICIT
 *   SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo
 *   SEQUENCE, certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT
 *   OPTIONAL, signerInfos SET } }
 */

static int
scep_resp_pkcs7(scep_resp_dec_t *d, const scep_tlv_t *ci)
{
    int                   rc;
    unsigned              i;
    scep_tlv_t            oid, wrap, sd, t, cert;
    const unsigned char  *pos, *spos, *cpos;

    static const unsigned char  sd_tags[] = {
        SCEP_TAG_INTEGER, SCEP_TAG_SET, SCEP_TAG_SEQUENCE
    };

    pos = ci->content;

    if (scep_resp_child(d, ci, &pos, 1, &oid) != 0) {
        return -1;
    }

    if (oid.content_end - oid.content != scep_oid_len(SCEP_OID_SIGNED_DATA)
        || memcmp(oid.content, SCEP_OID_SIGNED_DATA,
                  scep_oid_len(SCEP_OID_SIGNED_DATA)) != 0)
    {
        return scep_resp_fail(d, "the ContentInfo does not hold"
                              " signedData");
    }

    rc = scep_resp_child(d, ci, &pos, 1, &wrap);
    if (rc != 0 || wrap.tag != SCEP_TAG_CTX0) {
        return rc < 0 ? -1 : scep_resp_fail(d, "the ContentInfo has no"
                                            " content");
    }

    if (pos != ci->content_end) {
        return scep_resp_fail(d, "the ContentInfo has more than two"
                              " fields");
    }

    spos = wrap.content;

    rc = scep_resp_child(d, &wrap, &spos, 2, &sd);
    if (rc != 0 || sd.tag != SCEP_TAG_SEQUENCE || spos != wrap.content_end) {
        return rc < 0 ? -1 : scep_resp_fail(d, "the content is not one"
                                            " SignedData");
    }

    pos = sd.content;

    for (i = 0; i < sizeof(sd_tags); i++) {
        rc = scep_resp_child(d, &sd, &pos, 3, &t);
        if (rc != 0 || t.tag != sd_tags[i]) {
            return rc < 0 ? -1 : scep_resp_fail(d, "SignedData field %u"
                                                " is missing or not of tag"
                                                " 0x%02x", i + 1,
                                                sd_tags[i]);
        }
    }

    rc = scep_resp_child(d, &sd, &pos, 3, &t);

    if (rc == 0 && t.tag == SCEP_TAG_CTX0) {
        cpos = t.content;

        for ( ;; ) {
            rc = scep_resp_child(d, &t, &cpos, 4, &cert);
            if (rc < 0) {
                return -1;
            }

            if (rc == 1) {
                break;
            }

            /* other CertificateChoices (attribute certificates) are left */

            if (cert.tag != SCEP_TAG_SEQUENCE) {
                continue;
            }

            if (d->out->total == UINT32_MAX) {
                return scep_resp_fail(d, "too many certificates");
            }

            d->out->total++;

            if (d->out->n < SCEP_MAX_CERTS
                && scep_resp_cert(d, cert.start, cert.end - cert.start) != 0)
            {
                return -1;
            }
        }

        rc = scep_resp_child(d, &sd, &pos, 3, &t);
    }

    if (rc == 0 && t.tag == SCEP_TAG_CTX1) {
        rc = scep_resp_child(d, &sd, &pos, 3, &t);
    }

    if (rc != 0 || t.tag != SCEP_TAG_SET) {
        return rc < 0 ? -1 : scep_resp_fail(d, "SignedData has no"
                                            " signerInfos");
    }

    if (pos != sd.content_end) {
        return scep_resp_fail(d, "SignedData has fields after"
                              " signerInfos");
    }

    return 0;
}


/* the next certificate of the answer, out of the bytes p, len */

static int
scep_resp_cert(scep_resp_dec_t *d, const unsigned char *p, size_t len)
{
    int                   rc;
    X509                 *x;
    size_t                der_len;
    unsigned              i, has;
    scep_cert_t          *c;
    AUTHORITY_KEYID      *akid;
    BASIC_CONSTRAINTS    *bc;
    const unsigned char  *q, *der;

    i = d->out->n;
    c = &d->out->certs[i];

    q = p;
    x = d2i_X509(NULL, &q, (long) len);

    if (x == NULL || q != p + len) {
        X509_free(x);
        return scep_resp_fail(d, "certificate %u is not X.509", i + 1);
    }

    rc = 0;

    scep_resp_name(c->subject, sizeof(c->subject),
                   X509_get_subject_name(x));
    scep_resp_name(c->issuer, sizeof(c->issuer), X509_get_issuer_name(x));
    scep_resp_serial(c->serial, sizeof(c->serial),
                     X509_get0_serialNumber(x));

    if (scep_resp_time(&c->not_before, X509_get0_notBefore(x)) != 0
        || scep_resp_time(&c->not_after, X509_get0_notAfter(x)) != 0)
    {
        rc = scep_resp_fail(d, "certificate %u has an invalid validity"
                            " time", i + 1);
        goto done;
    }

    SHA256(p, len, c->id);

    bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    d->is_ca[i] = bc != NULL && bc->ca;
    BASIC_CONSTRAINTS_free(bc);

    d->ndes_ra[i] = (unsigned char) scep_resp_ndes_ra(x);
    c->ra_use = d->ndes_ra[i];
    c->key_usage = scep_resp_key_usage(x);

    if (X509_NAME_get0_der(X509_get_subject_name(x), &der, &der_len)) {
        SHA256(der, der_len, c->subject_id);
    }

    if (X509_NAME_get0_der(X509_get_issuer_name(x), &der, &der_len)) {
        SHA256(der, der_len, c->issuer_id);
    }

    scep_resp_key_id(c->ski, &has, X509_get0_subject_key_id(x));
    c->has_ski = has;

    akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
    scep_resp_key_id(c->aki, &has, akid ? akid->keyid : NULL);
    c->has_aki = has;
    AUTHORITY_KEYID_free(akid);

    d->out->n++;

done:

    X509_free(x);

    return rc;
}


/*
 * RFC 2253 as OpenSSL prints it, bytes above 0x7f escaped, so ASCII; cut
 * at size - 1 bytes, and then before an escape the cut would split.
 */

static void
scep_resp_name(char *buf, size_t size, const X509_NAME *name)
{
    int    n, cut;
    BIO   *bio;
    char   tmp[4];

    buf[0] = '\0';

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return;
    }

    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
        BIO_free(bio);
        return;
    }

    n = BIO_read(bio, buf, (int) size - 1);
    buf[n > 0 ? n : 0] = '\0';

    cut = n > 0 && BIO_read(bio, tmp, 1) > 0;

    BIO_free(bio);

    if (cut) {
        /* "\XX" or "\," can be split after the backslash or one digit */
        for (n = (int) strlen(buf); n > 0 && n > (int) strlen(buf) - 3; n--) {
            if (buf[n - 1] == '\\') {
                buf[n - 1] = '\0';
                break;
            }
        }
    }
}


/* from the INTEGER's DER content, as the signer's serial is read */

static void
scep_resp_serial(char *buf, size_t size, const ASN1_INTEGER *serial)
{
    int             len;
    scep_tlv_t      t;
    unsigned char  *der;

    der = NULL;
    len = i2d_ASN1_INTEGER(serial, &der);

    if (len <= 0 || scep_ber_header(der, der + len, &t) == NULL
        || t.content_end == NULL)
    {
        scep_ber_serial(buf, size, NULL, 0);

    } else {
        scep_ber_serial(buf, size, t.content, t.content_end - t.content);
    }

    OPENSSL_free(der);
}


/* UTCTime or GeneralizedTime, as ASN1_TIME_to_tm() checks them */

static int
scep_resp_time(long long *t, const ASN1_TIME *at)
{
    struct tm  tm;

    memset(&tm, 0, sizeof(struct tm));

    if (at == NULL || !ASN1_TIME_to_tm(at, &tm)) {
        return -1;
    }

    *t = scep_ber_days((long long) tm.tm_year + 1900,
                        (unsigned) tm.tm_mon + 1, (unsigned) tm.tm_mday)
         * 86400
         + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;

    return 0;
}


/*
 * The NDES RA template names, or the certificate request agent EKU: what
 * the certificate is for, as SCEP_RA_* bits, 0 when neither says.
 */

static unsigned
scep_resp_ndes_ra(X509 *x)
{
    int                    i, n;
    unsigned               found;
    ASN1_OBJECT           *obj;
    X509_EXTENSION        *ext;
    const char *const     *name;
    EXTENDED_KEY_USAGE    *eku;

    found = 0;
    n = X509_get_ext_count(x);

    for (i = 0; i < n && !found; i++) {
        ext = X509_get_ext(x, i);
        obj = X509_EXTENSION_get_object(ext);

        if ((size_t) OBJ_length(obj) != scep_oid_len(SCEP_OID_MS_TEMPLATE_NAME)
            || memcmp(OBJ_get0_data(obj), SCEP_OID_MS_TEMPLATE_NAME,
                      scep_oid_len(SCEP_OID_MS_TEMPLATE_NAME)) != 0)
        {
            continue;
        }

        for (name = scep_ndes_templates; *name; name++) {
            if (scep_resp_template_is(X509_EXTENSION_get_data(ext), *name)) {
                found = scep_ndes_template_uses[name - scep_ndes_templates];
                break;
            }
        }
    }

    if (found) {
        return found;
    }

    eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    if (eku == NULL) {
        return 0;
    }

    for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        obj = sk_ASN1_OBJECT_value(eku, i);

        if ((size_t) OBJ_length(obj) == scep_oid_len(SCEP_OID_MS_REQUEST_AGENT)
            && memcmp(OBJ_get0_data(obj), SCEP_OID_MS_REQUEST_AGENT,
                      scep_oid_len(SCEP_OID_MS_REQUEST_AGENT)) == 0)
        {
            found = SCEP_RA_SIGN;
            break;
        }
    }

    EXTENDED_KEY_USAGE_free(eku);

    return found;
}


/*
 * keyUsage's digitalSignature and keyEncipherment; without the extension,
 * any use.  One that is there twice or unreadable allows none: OpenSSL
 * marks such a certificate invalid, and clients refuse it.
 */

static unsigned
scep_resp_key_usage(X509 *x)
{
    int               crit;
    unsigned          ku;
    ASN1_BIT_STRING  *bits;

    bits = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);

    if (bits == NULL) {
        return crit == -1 ? SCEP_KU_ANY : 0;
    }

    ku = 0;

    if (ASN1_BIT_STRING_get_bit(bits, 0)) {
        ku |= SCEP_KU_DIGITAL_SIGNATURE;
    }

    if (ASN1_BIT_STRING_get_bit(bits, 2)) {
        ku |= SCEP_KU_KEY_ENCIPHERMENT;
    }

    ASN1_BIT_STRING_free(bits);

    return ku;
}


/* a key identifier of any length, kept as its SHA-256 */

static void
scep_resp_key_id(unsigned char *md, unsigned *has,
    const ASN1_OCTET_STRING *id)
{
    *has = 0;

    if (id == NULL || ASN1_STRING_length(id) <= 0) {
        return;
    }

    SHA256(ASN1_STRING_get0_data(id), (size_t) ASN1_STRING_length(id), md);
    *has = 1;
}


void
scep_certs_check(const scep_certs_t *certs, long long now,
    scep_certs_warnings_t *w)
{
    int                 k;
    unsigned            i, nra, nca, use, all, found;
    const scep_cert_t  *c;

    w->warnings = 0;

    for (k = 0; k < SCEP_WARN_COUNT; k++) {
        w->cert[k] = -1;
    }

    nra = 0;
    nca = 0;

    for (i = 0; i < certs->n; i++) {
        nra += (certs->certs[i].role == SCEP_CERT_RA);
        nca += (certs->certs[i].role == SCEP_CERT_CA);
    }

    /* what needs every certificate of the answer is not judged on part */

    all = (certs->n == certs->total);

    if (all && certs->n > 1 && nca == 0) {
        w->warnings |= 1u << SCEP_WARN_NO_CA_CERT;
    }

    for (i = 0; i < certs->n; i++) {
        c = &certs->certs[i];

        if (c->role != SCEP_CERT_RA) {
            continue;
        }

        /* a bit per warning, and the first certificate it concerns */

        found = 0;

        if (c->not_after < now) {
            found |= 1u << SCEP_WARN_RA_CERT_EXPIRED;

        } else if (c->not_after - now <= SCEP_CERT_EXPIRY_WARN) {
            found |= 1u << SCEP_WARN_RA_CERT_EXPIRING;
        }

        use = c->ra_use;

        if (use == 0 && nra == 1) {
            use = SCEP_RA_ENCRYPT | SCEP_RA_SIGN;
        }

        if ((use & SCEP_RA_ENCRYPT)
            && !(c->key_usage & SCEP_KU_KEY_ENCIPHERMENT))
        {
            found |= 1u << SCEP_WARN_RA_CERT_NO_KEY_ENCIPHERMENT;
        }

        if ((use & SCEP_RA_SIGN)
            && !(c->key_usage & SCEP_KU_DIGITAL_SIGNATURE))
        {
            found |= 1u << SCEP_WARN_RA_CERT_NO_DIGITAL_SIGNATURE;
        }

        if (all && nca && !scep_resp_issued_by_ca(certs, c)) {
            found |= 1u << SCEP_WARN_RA_CERT_NOT_ISSUED_BY_CA;
        }

        for (k = 0; k < SCEP_WARN_COUNT; k++) {
            if ((found & (1u << k)) && !(w->warnings & (1u << k))) {
                w->warnings |= 1u << k;
                w->cert[k] = (int) i;
            }
        }
    }
}


static int
scep_resp_issued_by_ca(const scep_certs_t *certs, const scep_cert_t *ra)
{
    unsigned            i;
    const scep_cert_t  *ca;

    for (i = 0; i < certs->n; i++) {
        ca = &certs->certs[i];

        if (ca->role != SCEP_CERT_CA
            || memcmp(ca->subject_id, ra->issuer_id, 32) != 0)
        {
            continue;
        }

        if (!ra->has_aki || !ca->has_ski
            || memcmp(ra->aki, ca->ski, 32) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
scep_signer_id(scep_signer_id_t *id, const scep_msg_t *m)
{
    if (m->signer_cert.len == 0) {
        return -1;
    }

    scep_ber_serial(id->serial, sizeof(id->serial), m->signer_serial.data,
                    m->signer_serial.len);
    SHA256(m->signer_cert.data, m->signer_cert.len, id->fingerprint);

    return 0;
}


/*
 * The extension value: a BMPString as Windows writes it, or an 8-bit
 * string as some other CAs do; compared without regard to ASCII case.
 */

static int
scep_resp_template_is(const ASN1_OCTET_STRING *value, const char *name)
{
    int                   wide;
    size_t                len, hl, n, i, c;
    const unsigned char  *p;

    p = ASN1_STRING_get0_data(value);
    len = (size_t) ASN1_STRING_length(value);

    if (len < 2 || p[1] >= 0x80) {
        return 0;
    }

    hl = 2;
    n = p[1];

    if (n != len - hl) {
        return 0;
    }

    switch (p[0]) {
    case SCEP_TAG_BMP:
        wide = 1;
        break;
    case SCEP_TAG_UTF8:
    case SCEP_TAG_PRINTABLE:
    case SCEP_TAG_IA5:
        wide = 0;
        break;
    default:
        return 0;
    }

    p += hl;

    if (n != strlen(name) << wide) {
        return 0;
    }

    for (i = 0; name[i]; i++) {
        if (wide) {
            if (p[2 * i] != 0) {
                return 0;
            }

            c = p[2 * i + 1];

        } else {
            c = p[i];
        }

        if (c >= 'A' && c <= 'Z') {
            c += 'a' - 'A';
        }

        if (c != (size_t) (name[i] >= 'A' && name[i] <= 'Z'
                           ? name[i] + 'a' - 'A' : name[i]))
        {
            return 0;
        }
    }

    return 1;
}


static int
scep_resp_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}


void
scep_caps_decode(scep_caps_t *out, const unsigned char *p, size_t len)
{
    size_t                i;
    const unsigned char  *end, *line, *eol, *s, *e;

    memset(out, 0, sizeof(scep_caps_t));

    end = p + len;

    /* a UTF-8 byte order mark, as some editors save a static answer */
    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        p += 3;
    }

    for (line = p; line < end; line = eol + 1) {
        eol = memchr(line, '\n', end - line);
        if (eol == NULL) {
            eol = end;
        }

        for (s = line; s < eol && scep_resp_space(*s); s++) { /* void */ }
        for (e = eol; e > s && scep_resp_space(e[-1]); e--) { /* void */ }

        if (e == s || (size_t) (e - s) > SCEP_MAX_CAP_LEN) {
            continue;
        }

        for (i = 0; i < (size_t) (e - s); i++) {
            if (s[i] < 0x20 || s[i] > 0x7e) {
                break;
            }
        }

        if (i < (size_t) (e - s)) {
            continue;
        }

        if (out->n == SCEP_MAX_CAPS) {
            out->more = 1;
            return;
        }

        out->caps[out->n].data = s;
        out->caps[out->n].len = e - s;
        out->n++;
    }
}
