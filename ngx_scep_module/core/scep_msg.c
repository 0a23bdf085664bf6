/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * pkiMessage decoding: a bounded, zero-copy reader of the BER or DER of a
 * CMS ContentInfo holding SignedData, down to the SCEP signed attributes.
 *
 * Nothing is allocated and nothing is copied: every length is checked
 * against the bytes that remain, nesting is bounded by SCEP_MAX_DEPTH, and
 * the only recursion (finding the end of indefinite lengths) is bounded
 * by it too.  The encrypted envelope inside is never opened.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scep.h"
#include "scep_ber.h"


typedef struct {
    scep_msg_t               *msg;
    scep_ber_t                ber;
} scep_msg_dec_t;


/*
 * A real pkiMessage has a few hundred TLVs, read at most a few times each
 * (indefinite lengths are walked once per enclosing level); thousands of
 * empty ones nested in indefinite lengths would make a 64 KB message cost
 * milliseconds.
 */

#define SCEP_MSG_TLV_BUDGET  8192


/* N in the OIDs of the SCEP attributes, 2.16.840.1.113733.1.9.N */

#define SCEP_ATTR_MESSAGE_TYPE     2
#define SCEP_ATTR_PKI_STATUS       3
#define SCEP_ATTR_FAIL_INFO        4
#define SCEP_ATTR_SENDER_NONCE     5
#define SCEP_ATTR_RECIPIENT_NONCE  6
#define SCEP_ATTR_TRANSACTION_ID   7

/* a bit of the attributes seen, beside those of the SCEP attributes */
#define SCEP_ATTR_SEEN_SIGNING_TIME  (1u << 16)


static scep_reject_e scep_msg_fail(scep_msg_dec_t *d, scep_reject_e reason,
    const char *fmt, ...);
static scep_reject_e scep_msg_tlv(scep_msg_dec_t *d, const unsigned char *p,
    const unsigned char *end, unsigned depth, scep_tlv_t *t);
static scep_reject_e scep_msg_expect(scep_msg_dec_t *d, const unsigned char *p,
    const unsigned char *end, unsigned depth, unsigned char tag,
    scep_tlv_t *t, const char *what);
static scep_reject_e scep_msg_algorithm(scep_msg_dec_t *d,
    const unsigned char *p, const unsigned char *end, scep_tlv_t *alg,
    scep_bytes_t *oid, const char *what);
static scep_reject_e scep_msg_signed_data(scep_msg_dec_t *d, scep_tlv_t *sd);
static scep_reject_e scep_msg_content_check(scep_msg_dec_t *d);
static scep_reject_e scep_msg_signer_info(scep_msg_dec_t *d, scep_tlv_t *si,
    scep_tlv_t *sid);
static scep_reject_e scep_msg_attributes(scep_msg_dec_t *d, scep_tlv_t *attrs);
static scep_reject_e scep_msg_attribute(scep_msg_dec_t *d, unsigned n,
    scep_tlv_t *value, unsigned *seen);
static void scep_msg_ndes_error(scep_msg_t *m, scep_tlv_t *value);
static int scep_msg_string(scep_tlv_t *t);
static void scep_msg_signing_time(scep_msg_dec_t *d, scep_tlv_t *values,
    scep_tlv_t *value, unsigned *seen);
static void scep_msg_signer_fields(scep_msg_dec_t *d, scep_tlv_t *cert);
static void scep_msg_signer_cert(scep_msg_dec_t *d, scep_tlv_t *certs,
    scep_tlv_t *sid);
static int scep_msg_cert_matches(scep_msg_dec_t *d, scep_tlv_t *cert,
    scep_tlv_t *sid, scep_bytes_t *subject);
static int scep_msg_tlv_equal(scep_msg_dec_t *d, scep_tlv_t *a, scep_tlv_t *b,
    unsigned depth);
static int scep_msg_bytes_eq(const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen);


/* the characters of PrintableString (X.680) */

static const char  scep_printable[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    " '()+,-./:=?";


scep_reject_e
scep_msg_decode(scep_msg_t *m, const unsigned char *p, size_t len)
{
    char                  oid[64];
    scep_tlv_t            ci, type, content, sd;
    scep_msg_dec_t        d;
    scep_reject_e         rc;
    const unsigned char  *end;

    memset(m, 0, sizeof(scep_msg_t));
    m->size = len;
    m->digest_alg = -1;

    d.msg = m;
    scep_ber_init(&d.ber, p, SCEP_MSG_TLV_BUDGET, m->detail,
                  sizeof(m->detail));

    /* an empty body has no buffer at all: p may be NULL */

    if (len == 0 || p[0] != SCEP_TAG_SEQUENCE) {
        return scep_msg_fail(&d, SCEP_REJECT_NOT_CMS,
                             len ? "starts with tag 0x%02x, not a SEQUENCE"
                                 : "empty message",
                             len ? p[0] : 0);
    }

    end = p + len;

    /* what the message says of its size: a cut one is told by it */

    m->declared = scep_ber_declared(p, len);

    /* ContentInfo ::= SEQUENCE { contentType OID, [0] EXPLICIT content } */

    rc = scep_msg_tlv(&d, p, end, 0, &ci);
    if (rc) {
        return rc;
    }

    rc = scep_msg_tlv(&d, ci.content, ci.content_end, 1, &type);
    if (rc) {
        return rc;
    }

    if (type.tag != SCEP_TAG_OID) {
        return scep_msg_fail(&d, SCEP_REJECT_NOT_CMS,
                             "ContentInfo starts with tag 0x%02x, not an OID",
                             type.tag);
    }

    if (!scep_msg_bytes_eq(type.content, type.content_end - type.content,
                           scep_oid(SCEP_OID_SIGNED_DATA)))
    {
        scep_ber_oid_text(oid, sizeof(oid), type.content,
                          type.content_end - type.content, 0);
        return scep_msg_fail(&d, SCEP_REJECT_NOT_SIGNED_DATA,
                             "content type %s is not signedData", oid);
    }

    rc = scep_msg_expect(&d, type.end, ci.content_end, 1, SCEP_TAG_CTX0,
                         &content, "ContentInfo content");
    if (rc) {
        return rc;
    }

    rc = scep_msg_expect(&d, content.content, content.content_end, 2,
                         SCEP_TAG_SEQUENCE, &sd, "SignedData");
    if (rc) {
        return rc;
    }

    rc = scep_msg_signed_data(&d, &sd);

    if (rc == SCEP_REJECT_NONE) {
        /* a failed look at a certificate may have left words here */
        m->detail[0] = '\0';
    }

    return rc;
}


/*
 * SignedData ::= SEQUENCE { version, digestAlgorithms SET,
 *     encapContentInfo SEQUENCE { eContentType, [0] EXPLICIT OCTET STRING },
 *     [0] IMPLICIT certificates, [1] IMPLICIT crls, signerInfos SET }
 */

static scep_reject_e
scep_msg_signed_data(scep_msg_dec_t *d, scep_tlv_t *sd)
{
    scep_tlv_t            t, eci, ect, econtent, octets, certs, sis, si, sid;
    scep_msg_t           *m;
    scep_reject_e         rc;
    const unsigned char  *p, *end;

    m = d->msg;
    end = sd->content_end;

    memset(&si, 0, sizeof(scep_tlv_t));
    memset(&certs, 0, sizeof(scep_tlv_t));

    rc = scep_msg_expect(d, sd->content, end, 3, SCEP_TAG_INTEGER, &t,
                         "SignedData version");
    if (rc) {
        return rc;
    }

    rc = scep_msg_expect(d, t.end, end, 3, SCEP_TAG_SET, &t,
                         "SignedData digestAlgorithms");
    if (rc) {
        return rc;
    }

    rc = scep_msg_expect(d, t.end, end, 3, SCEP_TAG_SEQUENCE, &eci,
                         "SignedData encapContentInfo");
    if (rc) {
        return rc;
    }

    rc = scep_msg_expect(d, eci.content, eci.content_end, 4, SCEP_TAG_OID,
                         &ect, "eContentType");
    if (rc) {
        return rc;
    }

    if (ect.end < eci.content_end) {
        rc = scep_msg_expect(d, ect.end, eci.content_end, 4, SCEP_TAG_CTX0,
                             &econtent, "eContent");
        if (rc) {
            return rc;
        }

        rc = scep_msg_tlv(d, econtent.content, econtent.content_end, 5,
                          &octets);
        if (rc) {
            return rc;
        }

        if (octets.tag == SCEP_TAG_OCTETS_C) {
            m->ber = 1;

        } else if (octets.tag != SCEP_TAG_OCTETS) {
            return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                                 "eContent has tag 0x%02x, not an OCTET "
                                 "STRING", octets.tag);
        }

        m->content.data = octets.start;
        m->content.len = octets.end - octets.start;

        if (octets.tag == SCEP_TAG_OCTETS_C) {
            rc = scep_msg_content_check(d);
            if (rc) {
                return rc;
            }
        }
    }

    rc = scep_msg_tlv(d, eci.end, end, 3, &t);
    if (rc) {
        return rc;
    }

    if (t.tag == SCEP_TAG_CTX0) {
        certs = t;

        for (p = certs.content; p < certs.content_end; p = t.end) {
            rc = scep_msg_tlv(d, p, certs.content_end, 4, &t);
            if (rc) {
                return rc;
            }

            m->certificates++;
        }

        rc = scep_msg_tlv(d, certs.end, end, 3, &t);
        if (rc) {
            return rc;
        }
    }

    if (t.tag == SCEP_TAG_CTX1) {
        rc = scep_msg_tlv(d, t.end, end, 3, &t);
        if (rc) {
            return rc;
        }
    }

    if (t.tag != SCEP_TAG_SET) {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "SignedData signerInfos has tag 0x%02x, "
                             "not a SET", t.tag);
    }

    sis = t;

    for (p = sis.content; p < sis.content_end; p = t.end) {
        rc = scep_msg_tlv(d, p, sis.content_end, 4, &t);
        if (rc) {
            return rc;
        }

        if (m->signers++ == 0) {
            si = t;
        }
    }

    if (m->signers == 0) {
        return scep_msg_fail(d, SCEP_REJECT_NO_SIGNER,
                             "the SignedData has no SignerInfo");
    }

    if (si.tag != SCEP_TAG_SEQUENCE) {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "SignerInfo has tag 0x%02x, not a SEQUENCE",
                             si.tag);
    }

    rc = scep_msg_signer_info(d, &si, &sid);
    if (rc) {
        return rc;
    }

    if (certs.start) {
        scep_msg_signer_cert(d, &certs, &sid);
    }

    return SCEP_REJECT_NONE;
}


/*
 * A constructed eContent must be OCTET STRINGs all the way down, or its
 * bytes could not be digested as the signer did.
 */

static scep_reject_e
scep_msg_content_check(scep_msg_dec_t *d)
{
    int                   rc;
    scep_bytes_t          segment;
    scep_content_iter_t   it;

    scep_content_init(&it, d->msg);

    do {
        if (d->ber.budget == 0) {
            return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                                 "more than %d TLVs to read",
                                 SCEP_MSG_TLV_BUDGET);
        }

        d->ber.budget--;

        rc = scep_content_next(&it, &segment);

    } while (rc == 1);

    if (rc < 0) {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "the eContent holds something other than OCTET "
                             "STRING segments");
    }

    return SCEP_REJECT_NONE;
}


/*
 * SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm,
 *     [0] IMPLICIT signedAttrs, signatureAlgorithm, signature OCTET STRING,
 *     [1] IMPLICIT unsignedAttrs }
 */

static scep_reject_e
scep_msg_signer_info(scep_msg_dec_t *d, scep_tlv_t *si, scep_tlv_t *sid)
{
    int                   i;
    size_t                n;
    scep_tlv_t            t, alg, attrs, sig;
    scep_msg_t           *m;
    scep_reject_e         rc;
    const unsigned char  *end;

    m = d->msg;
    end = si->content_end;

    rc = scep_msg_expect(d, si->content, end, 5, SCEP_TAG_INTEGER, &t,
                         "SignerInfo version");
    if (rc) {
        return rc;
    }

    rc = scep_msg_tlv(d, t.end, end, 5, sid);
    if (rc) {
        return rc;
    }

    if (sid->tag != SCEP_TAG_SEQUENCE && sid->tag != SCEP_TAG_CTX0_PRIM) {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "SignerInfo sid has tag 0x%02x", sid->tag);
    }

    rc = scep_msg_algorithm(d, sid->end, end, &alg, &m->digest_oid,
                            "digestAlgorithm");
    if (rc) {
        return rc;
    }

    for (i = 0; scep_digest_algs[i].name; i++) {
        if (scep_msg_bytes_eq(m->digest_oid.data, m->digest_oid.len,
                              scep_digest_algs[i].oid,
                              scep_digest_algs[i].oid_len))
        {
            m->digest_alg = i;
            break;
        }
    }

    rc = scep_msg_tlv(d, alg.end, end, 5, &attrs);
    if (rc) {
        return rc;
    }

    if (attrs.tag != SCEP_TAG_CTX0) {
        return scep_msg_fail(d, SCEP_REJECT_MISSING_MESSAGE_TYPE,
                             "the SignerInfo has no signed attributes");
    }

    m->signed_attrs.data = attrs.content;
    m->signed_attrs.len = attrs.content_end - attrs.content;

    rc = scep_msg_algorithm(d, attrs.end, end, &alg, &m->sig_alg_oid,
                            "signatureAlgorithm");
    if (rc) {
        return rc;
    }

    rc = scep_msg_tlv(d, alg.end, end, 5, &sig);
    if (rc) {
        return rc;
    }

    if (sig.tag == SCEP_TAG_OCTETS) {
        m->signature.data = sig.content;
        m->signature.len = sig.content_end - sig.content;

    } else if (sig.tag == SCEP_TAG_OCTETS_C) {
        /* a segmented signature: BER allows it, nobody sends it */
        m->ber = 1;

    } else {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "SignerInfo signature has tag 0x%02x", sig.tag);
    }

    rc = scep_msg_attributes(d, &attrs);
    if (rc) {
        return rc;
    }

    n = m->sender_nonce.len;

    if (m->type == SCEP_MSG_NONE) {
        return scep_msg_fail(d, SCEP_REJECT_MISSING_MESSAGE_TYPE,
                             "the signed attributes have no messageType");
    }

    if (m->transaction_id.data == NULL) {
        return scep_msg_fail(d, SCEP_REJECT_MISSING_TRANSACTION_ID,
                             "the signed attributes have no transactionID");
    }

    if (m->sender_nonce.data == NULL) {
        return scep_msg_fail(d, SCEP_REJECT_MISSING_SENDER_NONCE,
                             "the signed attributes have no senderNonce");
    }

    if (n != SCEP_NONCE_LEN) {
        return scep_msg_fail(d, SCEP_REJECT_BAD_SENDER_NONCE,
                             "senderNonce of %zu bytes, not %d", n,
                             SCEP_NONCE_LEN);
    }

    return SCEP_REJECT_NONE;
}


/* Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY } */

static scep_reject_e
scep_msg_attributes(scep_msg_dec_t *d, scep_tlv_t *attrs)
{
    unsigned              seen, ndes;
    scep_tlv_t            attr, oid, values, value;
    scep_reject_e         rc;
    const unsigned char  *p, *q;

    seen = 0;
    ndes = 0;

    for (p = attrs->content; p < attrs->content_end; p = attr.end) {

        rc = scep_msg_expect(d, p, attrs->content_end, 6, SCEP_TAG_SEQUENCE,
                             &attr, "signed attribute");
        if (rc) {
            return rc;
        }

        rc = scep_msg_expect(d, attr.content, attr.content_end, 7,
                             SCEP_TAG_OID, &oid, "attribute type");
        if (rc) {
            return rc;
        }

        rc = scep_msg_expect(d, oid.end, attr.content_end, 7, SCEP_TAG_SET,
                             &values, "attribute values");
        if (rc) {
            return rc;
        }

        if (values.content == values.content_end) {
            continue;
        }

        rc = scep_msg_tlv(d, values.content, values.content_end, 8, &value);
        if (rc) {
            return rc;
        }

        q = oid.content;

        if (oid.content_end - q == scep_oid_len(SCEP_OID_SCEP_ATTR) + 1
            && memcmp(q, SCEP_OID_SCEP_ATTR,
                      scep_oid_len(SCEP_OID_SCEP_ATTR)) == 0)
        {
            rc = scep_msg_attribute(d, q[scep_oid_len(SCEP_OID_SCEP_ATTR)],
                                    &value, &seen);
            if (rc) {
                return rc;
            }

            continue;
        }

        if (scep_msg_bytes_eq(q, oid.content_end - q,
                              scep_oid(SCEP_OID_MESSAGE_DIGEST))
            && value.tag == SCEP_TAG_OCTETS)
        {
            d->msg->message_digest.data = value.content;
            d->msg->message_digest.len = value.content_end - value.content;
            continue;
        }

        if (scep_msg_bytes_eq(q, oid.content_end - q,
                              scep_oid(SCEP_OID_SIGNING_TIME)))
        {
            scep_msg_signing_time(d, &values, &value, &seen);
        }

        /*
         * NDES's error code twice, or two values of it: which one NDES
         * meant cannot be told, so neither is reported
         */

        if (scep_msg_bytes_eq(q, oid.content_end - q,
                              scep_oid(SCEP_OID_MS_SCEP_ERROR)))
        {
            if (++ndes == 1 && value.end == values.content_end) {
                scep_msg_ndes_error(d->msg, &value);

            } else {
                d->msg->has_ndes_error = 0;
            }
        }
    }

    return SCEP_REJECT_NONE;
}


/*
 * NDES writes its HRESULT as a signed 32-bit INTEGER (0x80070057 as
 * -2147024809); the same 32 bits as a positive INTEGER are taken too.  A
 * value that is not a valid INTEGER (another tag, no content bytes, not
 * the shortest form X.690 8.3.2 asks for) or does not fit 32 bits is not
 * an HRESULT: it is left out, and the message decoded as if it were not
 * there.
 */

static void
scep_msg_ndes_error(scep_msg_t *m, scep_tlv_t *value)
{
    size_t                len, i;
    uint32_t              h;
    const unsigned char  *p;

    p = value->content;
    len = value->content_end - value->content;

    if (value->tag != SCEP_TAG_INTEGER || len == 0 || len > 5) {
        return;
    }

    if (len > 1 && ((p[0] == 0x00 && !(p[1] & 0x80))
                    || (p[0] == 0xff && (p[1] & 0x80))))
    {
        return;
    }

    if (len == 5) {
        if (p[0] != 0x00) {
            return;                       /* more than 32 bits */
        }

        p++;
        len--;
    }

    /* sign-extended: -1 as 0x02 0x01 0xff is 0xffffffff */

    h = (p[0] & 0x80) ? 0xffffffff : 0;

    for (i = 0; i < len; i++) {
        h = (h << 8) | p[i];
    }

    m->has_ndes_error = 1;
    m->ndes_error = h;
}


static scep_reject_e
scep_msg_attribute(scep_msg_dec_t *d, unsigned n, scep_tlv_t *value,
    unsigned *seen)
{
    int            i;
    char           text[17];
    size_t         len;
    scep_msg_t    *m;
    scep_bytes_t   s;

    if (n < SCEP_ATTR_MESSAGE_TYPE || n > SCEP_ATTR_TRANSACTION_ID) {
        return SCEP_REJECT_NONE;
    }

    m = d->msg;

    s.data = value->content;
    s.len = value->content_end - value->content;

    if (*seen & (1u << n)) {
        switch (n) {
        case SCEP_ATTR_MESSAGE_TYPE:
            return scep_msg_fail(d, SCEP_REJECT_UNKNOWN_MESSAGE_TYPE,
                                 "messageType appears twice");
        case SCEP_ATTR_TRANSACTION_ID:
            return scep_msg_fail(d, SCEP_REJECT_MISSING_TRANSACTION_ID,
                                 "transactionID appears twice");
        case SCEP_ATTR_SENDER_NONCE:
            return scep_msg_fail(d, SCEP_REJECT_BAD_SENDER_NONCE,
                                 "senderNonce appears twice");
        default:
            return SCEP_REJECT_NONE;
        }
    }

    *seen |= 1u << n;

    switch (n) {

    case SCEP_ATTR_MESSAGE_TYPE:
        if (!scep_msg_string(value)) {
            return scep_msg_fail(d, SCEP_REJECT_UNKNOWN_MESSAGE_TYPE,
                                 "messageType has tag 0x%02x, not a "
                                 "PrintableString", value->tag);
        }

        m->message_type = s;

        for (i = SCEP_MSG_NONE + 1; i < SCEP_MSG_COUNT; i++) {
            len = strlen(scep_msg_types[i].code);

            if (scep_msg_bytes_eq(s.data, s.len, (const unsigned char *)
                                  scep_msg_types[i].code, len))
            {
                m->type = i;
                return SCEP_REJECT_NONE;
            }
        }

        /* the detail reaches logs: only printable bytes of it */

        for (len = 0; len < s.len && len < sizeof(text) - 1; len++) {
            text[len] = (s.data[len] >= 0x20 && s.data[len] < 0x7f
                         && s.data[len] != '"' && s.data[len] != '\\')
                        ? (char) s.data[len] : '?';
        }

        text[len] = '\0';

        return scep_msg_fail(d, SCEP_REJECT_UNKNOWN_MESSAGE_TYPE,
                             "messageType \"%s\" is not a SCEP message type",
                             text);

    case SCEP_ATTR_TRANSACTION_ID:
        if (!scep_msg_string(value)) {
            return scep_msg_fail(d, SCEP_REJECT_MISSING_TRANSACTION_ID,
                                 "transactionID has tag 0x%02x, not a "
                                 "PrintableString", value->tag);
        }

        m->transaction_id = s;
        return SCEP_REJECT_NONE;

    case SCEP_ATTR_SENDER_NONCE:
    case SCEP_ATTR_RECIPIENT_NONCE:
        if (value->tag != SCEP_TAG_OCTETS) {
            if (n == SCEP_ATTR_RECIPIENT_NONCE) {
                return SCEP_REJECT_NONE;
            }

            return scep_msg_fail(d, SCEP_REJECT_BAD_SENDER_NONCE,
                                 "senderNonce has tag 0x%02x, not an OCTET "
                                 "STRING", value->tag);
        }

        if (n == SCEP_ATTR_SENDER_NONCE) {
            m->sender_nonce = s;

        } else {
            m->recipient_nonce = s;
        }

        return SCEP_REJECT_NONE;

    default: /* pkiStatus, failInfo */

        if (!scep_msg_string(value)) {
            return SCEP_REJECT_NONE;
        }

        if (n == SCEP_ATTR_PKI_STATUS) {
            for (i = SCEP_STATUS_NONE + 1; i < SCEP_STATUS_COUNT; i++) {
                if (scep_msg_bytes_eq(s.data, s.len, (const unsigned char *)
                                      scep_pki_statuses[i].code, 1))
                {
                    m->pki_status = i;
                }
            }

        } else {
            for (i = SCEP_FAIL_NONE + 1; i < SCEP_FAIL_COUNT; i++) {
                if (scep_msg_bytes_eq(s.data, s.len, (const unsigned char *)
                                      scep_fail_infos[i].code, 1))
                {
                    m->fail_info = i;
                }
            }
        }

        return SCEP_REJECT_NONE;
    }
}


/* RFC 8894 says PrintableString; some clients send UTF8String or IA5 */

static int
scep_msg_string(scep_tlv_t *t)
{
    return t->tag == SCEP_TAG_PRINTABLE || t->tag == SCEP_TAG_UTF8
           || t->tag == SCEP_TAG_IA5;
}


scep_reject_e
scep_msg_check_transaction_id(scep_msg_t *m)
{
    size_t                i;
    const unsigned char  *p;

    p = m->transaction_id.data;

    if (m->transaction_id.len > SCEP_MAX_TRANSACTION_ID) {
        snprintf(m->detail, sizeof(m->detail),
                 "transactionID of %zu bytes, more than %d",
                 m->transaction_id.len, SCEP_MAX_TRANSACTION_ID);
        return SCEP_REJECT_BAD_TRANSACTION_ID;
    }

    for (i = 0; i < m->transaction_id.len; i++) {
        if (p[i] == '\0' || strchr(scep_printable, p[i]) == NULL) {
            snprintf(m->detail, sizeof(m->detail),
                     "transactionID has byte 0x%02x at offset %zu, not a "
                     "PrintableString character", p[i], i);
            return SCEP_REJECT_BAD_TRANSACTION_ID;
        }
    }

    return SCEP_REJECT_NONE;
}


/*
 * signingTime (RFC 5652, 11.3): what the device's clock said.  An
 * attribute there twice, or of more than one value, or a time that is
 * not DER's, says nothing that can be trusted: none is kept, and the
 * message is not refused for it, as NDES does not read it.
 */

static void
scep_msg_signing_time(scep_msg_dec_t *d, scep_tlv_t *values,
    scep_tlv_t *value, unsigned *seen)
{
    scep_msg_t  *m;

    m = d->msg;

    if (*seen & SCEP_ATTR_SEEN_SIGNING_TIME) {
        m->has_signing_time = 0;
        return;
    }

    *seen |= SCEP_ATTR_SEEN_SIGNING_TIME;

    if (value->end != values->content_end
        || scep_ber_time(value, &m->signing_time) != 0)
    {
        return;
    }

    m->has_signing_time = 1;
}


/*
 * The signer certificate's serialNumber, whether it is self-issued, and
 * its notBefore: what matches it with the CA's records, and what a
 * device that made its own certificate thought the time was.
 */

static void
scep_msg_signer_fields(scep_msg_dec_t *d, scep_tlv_t *cert)
{
    scep_tlv_t   tbs, t, serial, issuer, validity, subject, nb;
    scep_msg_t  *m;

    m = d->msg;

    if (scep_msg_tlv(d, cert->content, cert->content_end, 5, &tbs)
        || scep_msg_tlv(d, tbs.content, tbs.content_end, 6, &t))
    {
        return;
    }

    if (t.tag == SCEP_TAG_CTX0
        && scep_msg_tlv(d, t.end, tbs.content_end, 6, &t))
    {
        return;
    }

    serial = t;

    if (serial.tag != SCEP_TAG_INTEGER
        || scep_msg_tlv(d, serial.end, tbs.content_end, 6, &t)
        || scep_msg_tlv(d, t.end, tbs.content_end, 6, &issuer)
        || scep_msg_tlv(d, issuer.end, tbs.content_end, 6, &validity)
        || scep_msg_tlv(d, validity.end, tbs.content_end, 6, &subject))
    {
        return;
    }

    m->signer_serial.data = serial.content;
    m->signer_serial.len = serial.content_end - serial.content;

    m->signer_self_issued = scep_msg_tlv_equal(d, &issuer, &subject, 7);

    if (validity.tag == SCEP_TAG_SEQUENCE
        && validity.content < validity.content_end
        && scep_msg_tlv(d, validity.content, validity.content_end, 7, &nb)
           == SCEP_REJECT_NONE
        && scep_ber_time(&nb, &m->signer_not_before) == 0)
    {
        m->has_signer_not_before = 1;
    }
}


/*
 * The certificate the SignerInfo names, by issuer and serial number or by
 * subject key identifier; none is guessed when none matches.
 */

static void
scep_msg_signer_cert(scep_msg_dec_t *d, scep_tlv_t *certs, scep_tlv_t *sid)
{
    scep_tlv_t            cert;
    scep_bytes_t          subject;
    const unsigned char  *p;

    for (p = certs->content; p < certs->content_end; p = cert.end) {

        if (scep_msg_tlv(d, p, certs->content_end, 4, &cert)
            != SCEP_REJECT_NONE)
        {
            return;
        }

        if (scep_msg_cert_matches(d, &cert, sid, &subject)) {
            d->msg->signer_cert.data = cert.start;
            d->msg->signer_cert.len = cert.end - cert.start;
            d->msg->signer_subject = subject;
            scep_msg_signer_fields(d, &cert);
            return;
        }
    }
}


/*
 * TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature,
 *     issuer, validity, subject, subjectPublicKeyInfo, [1], [2],
 *     [3] extensions }
 */

static int
scep_msg_cert_matches(scep_msg_dec_t *d, scep_tlv_t *cert, scep_tlv_t *sid,
    scep_bytes_t *subject)
{
    scep_tlv_t            tbs, t, serial, issuer, subj, ext, oid, id;
    scep_tlv_t            sid_issuer, sid_serial;
    const unsigned char  *p, *end;

    if (scep_msg_expect(d, cert->content, cert->content_end, 5,
                        SCEP_TAG_SEQUENCE, &tbs, "TBSCertificate"))
    {
        return 0;
    }

    end = tbs.content_end;

    if (scep_msg_tlv(d, tbs.content, end, 6, &t)) {
        return 0;
    }

    if (t.tag == SCEP_TAG_CTX0) {
        if (scep_msg_tlv(d, t.end, end, 6, &t)) {
            return 0;
        }
    }

    serial = t;

    if (scep_msg_tlv(d, serial.end, end, 6, &t)             /* signature */
        || scep_msg_tlv(d, t.end, end, 6, &issuer)
        || scep_msg_tlv(d, issuer.end, end, 6, &t)          /* validity */
        || scep_msg_tlv(d, t.end, end, 6, &subj))
    {
        return 0;
    }

    subject->data = subj.start;
    subject->len = subj.end - subj.start;

    if (sid->tag == SCEP_TAG_SEQUENCE) {

        /* IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serial } */

        if (scep_msg_tlv(d, sid->content, sid->content_end, 6, &sid_issuer)
            || scep_msg_tlv(d, sid_issuer.end, sid->content_end, 6,
                            &sid_serial))
        {
            return 0;
        }

        return scep_msg_tlv_equal(d, &sid_issuer, &issuer, 7)
               && scep_msg_tlv_equal(d, &sid_serial, &serial, 7);
    }

    /* [0] SubjectKeyIdentifier: look for the extension 2.5.29.14 */

    for (p = subj.end; p < end; p = t.end) {
        if (scep_msg_tlv(d, p, end, 6, &t)) {
            return 0;
        }

        if (t.tag != SCEP_TAG_CTX3) {
            continue;
        }

        if (scep_msg_expect(d, t.content, t.content_end, 7, SCEP_TAG_SEQUENCE,
                            &t, "extensions"))
        {
            return 0;
        }

        for (p = t.content; p < t.content_end; p = ext.end) {
            if (scep_msg_tlv(d, p, t.content_end, 8, &ext)
                || scep_msg_tlv(d, ext.content, ext.content_end, 9, &oid))
            {
                return 0;
            }

            if (!scep_msg_bytes_eq(oid.content, oid.content_end - oid.content,
                                   scep_oid(SCEP_OID_SKI)))
            {
                continue;
            }

            /* extnID, [critical], extnValue OCTET STRING { OCTET STRING } */

            for (id = oid; id.end < ext.content_end; ) {
                if (scep_msg_tlv(d, id.end, ext.content_end, 9, &id)) {
                    return 0;
                }

                if (id.tag == SCEP_TAG_OCTETS) {
                    if (scep_msg_tlv(d, id.content, id.content_end, 10, &id)) {
                        return 0;
                    }

                    return scep_msg_bytes_eq(id.content,
                                             id.content_end - id.content,
                                             sid->content,
                                             sid->content_end - sid->content);
                }
            }

            return 0;
        }

        return 0;
    }

    return 0;
}


/* one TLV, its failure told as a reject reason */

static scep_reject_e
scep_msg_tlv(scep_msg_dec_t *d, const unsigned char *p,
    const unsigned char *end, unsigned depth, scep_tlv_t *t)
{
    int  rc;

    rc = scep_ber_tlv(&d->ber, p, end, depth, t);

    /* a cut message is BER as far as it was read */

    if (d->ber.ber) {
        d->msg->ber = 1;
    }

    if (rc != 0) {
        return d->ber.truncated ? SCEP_REJECT_TRUNCATED : SCEP_REJECT_NOT_CMS;
    }

    return SCEP_REJECT_NONE;
}


static scep_reject_e
scep_msg_expect(scep_msg_dec_t *d, const unsigned char *p,
    const unsigned char *end, unsigned depth, unsigned char tag, scep_tlv_t *t,
    const char *what)
{
    scep_reject_e  rc;

    if (p >= end) {
        return scep_msg_fail(d, SCEP_REJECT_TRUNCATED, "%s is missing", what);
    }

    rc = scep_msg_tlv(d, p, end, depth, t);
    if (rc) {
        return rc;
    }

    if (t->tag != tag) {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "%s has tag 0x%02x, not 0x%02x", what, t->tag,
                             tag);
    }

    return SCEP_REJECT_NONE;
}


/*
 * A SignerInfo AlgorithmIdentifier: its OID, and its parameters, when
 * there are some, read as one TLV that must end the SEQUENCE.
 */

static scep_reject_e
scep_msg_algorithm(scep_msg_dec_t *d, const unsigned char *p,
    const unsigned char *end, scep_tlv_t *alg, scep_bytes_t *oid,
    const char *what)
{
    scep_tlv_t     t, params;
    scep_reject_e  rc;

    rc = scep_msg_expect(d, p, end, 5, SCEP_TAG_SEQUENCE, alg, what);
    if (rc) {
        return rc;
    }

    rc = scep_msg_expect(d, alg->content, alg->content_end, 6, SCEP_TAG_OID,
                         &t, what);
    if (rc) {
        return rc;
    }

    oid->data = t.content;
    oid->len = t.content_end - t.content;

    if (t.end == alg->content_end) {
        return SCEP_REJECT_NONE;
    }

    rc = scep_msg_tlv(d, t.end, alg->content_end, 6, &params);
    if (rc) {
        return rc;
    }

    if (params.end != alg->content_end) {
        return scep_msg_fail(d, SCEP_REJECT_NOT_CMS,
                             "%s has bytes after its parameters", what);
    }

    return SCEP_REJECT_NONE;
}


static scep_reject_e
scep_msg_fail(scep_msg_dec_t *d, scep_reject_e reason, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(d->msg->detail, sizeof(d->msg->detail), fmt, args);
    va_end(args);

    return reason;
}


/*
 * The same value whatever the length encoding: the SignerInfo and the
 * certificate may spell an issuer Name in BER and DER.
 */

static int
scep_msg_tlv_equal(scep_msg_dec_t *d, scep_tlv_t *a, scep_tlv_t *b,
    unsigned depth)
{
    scep_tlv_t            ca, cb;
    const unsigned char  *p, *q;

    if (a->tag != b->tag) {
        return 0;
    }

    if (!(a->tag & 0x20)) {
        return scep_msg_bytes_eq(a->content, a->content_end - a->content,
                                 b->content, b->content_end - b->content);
    }

    p = a->content;
    q = b->content;

    while (p < a->content_end && q < b->content_end) {
        if (scep_msg_tlv(d, p, a->content_end, depth + 1, &ca)
            || scep_msg_tlv(d, q, b->content_end, depth + 1, &cb)
            || !scep_msg_tlv_equal(d, &ca, &cb, depth + 1))
        {
            return 0;
        }

        p = ca.end;
        q = cb.end;
    }

    return p == a->content_end && q == b->content_end;
}


static int
scep_msg_bytes_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}


void
scep_content_init(scep_content_iter_t *it, const scep_msg_t *m)
{
    /* no content: NULL, and NULL + 0 is undefined in C */

    it->p = m->content.data;
    it->end = m->content.data ? m->content.data + m->content.len : NULL;
    it->depth = 0;
}


/*
 * The primitive segments of the content, in order: a DER OCTET STRING is
 * one; a BER constructed one nests others, definite or indefinite.
 * Returns 1 with a segment, 0 at the end, -1 on malformed content.
 */

int
scep_content_next(scep_content_iter_t *it, scep_bytes_t *segment)
{
    scep_tlv_t            t;
    const unsigned char  *limit, *q;

    for ( ;; ) {
        limit = it->depth ? it->stack[it->depth - 1] : it->end;

        if (limit == NULL) {
            /* inside an indefinite length: until end-of-contents */

            if (it->end - it->p >= 2 && it->p[0] == 0 && it->p[1] == 0) {
                it->p += 2;
                it->depth--;
                continue;
            }

            limit = it->end;

        } else if (it->p >= limit) {
            if (it->depth == 0) {
                return 0;
            }

            it->depth--;
            continue;
        }

        q = scep_ber_header(it->p, limit, &t);
        if (q == NULL) {
            return -1;
        }

        if (t.tag == SCEP_TAG_OCTETS && !t.indefinite) {
            segment->data = t.content;
            segment->len = t.content_end - t.content;
            it->p = t.end;
            return 1;
        }

        if (t.tag != SCEP_TAG_OCTETS_C || it->depth == SCEP_MAX_DEPTH) {
            return -1;
        }

        it->stack[it->depth++] = t.content_end;
        it->p = q;
    }
}
