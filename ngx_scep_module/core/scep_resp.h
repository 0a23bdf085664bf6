/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * Upstream answers other than CertRep: the certificates of GetCACert and
 * the capabilities of GetCACaps.  Plain C and OpenSSL, no nginx types.
 */


#ifndef _SCEP_RESP_H_INCLUDED_
#define _SCEP_RESP_H_INCLUDED_


#include "scep.h"


typedef enum {
    SCEP_CERT_OTHER = 0,
    SCEP_CERT_CA,
    SCEP_CERT_RA,
    SCEP_CERT_ROLE_COUNT
} scep_cert_role_e;


extern const char *const  scep_cert_roles[SCEP_CERT_ROLE_COUNT];


#define SCEP_MAX_CERTS         8
#define SCEP_MAX_CERTS_BODY    (1024 * 1024)   /* larger bodies: not read */

/* a CA or RA certificate this close to its notAfter is warned about */
#define SCEP_CERT_EXPIRY_WARN  (30 * 86400)


/* what a certificate's keyUsage allows that SCEP needs */
#define SCEP_KU_DIGITAL_SIGNATURE  0x01
#define SCEP_KU_KEY_ENCIPHERMENT   0x02
#define SCEP_KU_ANY                0x03     /* no keyUsage: any use */

/* what an RA certificate is meant for, by its NDES template or EKU */
#define SCEP_RA_ENCRYPT            0x01     /* CEPEncryption */
#define SCEP_RA_SIGN               0x02     /* EnrollmentAgentOffline, or
                                               the request agent EKU */

typedef struct {
    char                       subject[256];   /* RFC 2253, as "openssl x509
                                                  -nameopt RFC2253" prints
                                                  it: ASCII */
    char                       issuer[256];
    char                       serial[80];     /* lowercase hex, no
                                                  separators; '-' first
                                                  when negative */
    long long                  not_before;     /* seconds since the epoch */
    long long                  not_after;
    scep_cert_role_e           role;
    unsigned char              id[32];         /* SHA-256 of the DER */

    /*
     * For scep_certs_check(): SHA-256 of the subject and issuer Names'
     * DER, and of the key identifiers (SKI, the AKI's keyIdentifier);
     * keyUsage as SCEP_KU_* bits (none when the extension is there twice
     * or unreadable: no client can rely on it); ra_use as SCEP_RA_*.
     */
    unsigned char              subject_id[32];
    unsigned char              issuer_id[32];
    unsigned char              ski[32];
    unsigned char              aki[32];
    unsigned                   key_usage:2;
    unsigned                   ra_use:2;
    unsigned                   has_ski:1;
    unsigned                   has_aki:1;
} scep_cert_t;


typedef struct {
    unsigned                   n;              /* certificates read */
    unsigned                   total;          /* certificates the body
                                                  holds */
    scep_cert_t                certs[SCEP_MAX_CERTS];
    char                       detail[128];    /* why decoding failed */
} scep_certs_t;


/*
 * A GetCACert body: one DER certificate (application/x-x509-ca-cert) or a
 * degenerate PKCS#7/CMS SignedData of certificates, DER or BER
 * (application/x-x509-ca-ra-cert).  The first SCEP_MAX_CERTS certificates
 * are read, the others only counted.  Returns 0, or -1 with out->detail;
 * the OpenSSL error queue is left as it was.
 *
 * Roles: "ca" when basicConstraints says cA; "ra" when not a CA and the
 * body holds more than one certificate (RFC 8894: a CA/RA answer), or the
 * certificate names the Microsoft template CEPEncryption or
 * EnrollmentAgentOffline, or has the certificate request agent EKU (the
 * NDES "CEP Encryption" and "Exchange Enrollment Agent (Offline request)"
 * certificates); "other" otherwise.
 */
int scep_certs_decode(scep_certs_t *out, const unsigned char *p, size_t len);


/*
 * What a GetCACert answer says of RA certificates that cannot work, at
 * time now: a bit per scep_warning_e in warnings, and for each the index
 * of the first certificate concerned in cert[] (-1: the answer as a
 * whole).  Only the certificates read count, and the checks that need
 * them all (no_ca_cert, ra_cert_not_issued_by_ca) are not made when the
 * body holds more.
 *
 * ra_cert_expired, ra_cert_expiring: an RA certificate whose notAfter is
 * past, or within SCEP_CERT_EXPIRY_WARN.
 *
 * ra_cert_no_key_encipherment: the RA certificate a client encrypts to
 * has a keyUsage without keyEncipherment.  It is the one whose NDES
 * template is CEPEncryption, or, when the answer holds a single RA
 * certificate and it has no template nor the request agent EKU, that
 * one (it then serves both uses).  ra_cert_no_digital_signature: the
 * same for the RA certificate that signs the CertReps, NDES's
 * EnrollmentAgentOffline (or the request agent EKU), or the single RA.
 * Among several RA certificates one without template is not judged:
 * which use a client gives it is the client's choice (RFC 8894, 3.5.2).
 *
 * ra_cert_not_issued_by_ca: an RA certificate issued by none of the CA
 * certificates of the same answer: none has its issuer Name as subject,
 * with the RA's authority key identifier equal to the CA's subject key
 * identifier when both are there.  After a CA renewal the new CA keeps
 * its name: only the key identifiers tell that the RA still chains to
 * the old one.  The signature is not checked with the CA's key: its cost
 * is the key's, which the upstream chooses.  Not made when the answer
 * holds no CA certificate.
 *
 * no_ca_cert: an answer of several certificates, none with cA.
 */

typedef struct {
    unsigned                   warnings;
    int                        cert[SCEP_WARN_COUNT];
} scep_certs_warnings_t;

void scep_certs_check(const scep_certs_t *certs, long long now,
    scep_certs_warnings_t *w);


/*
 * The signer certificate of a pkiMessage as a CA lists it: its serial as
 * scep_cert_t's, and the SHA-256 of its DER.  Returns 0, or -1 when the
 * message carries no signer certificate.
 */

typedef struct {
    char                       serial[80];
    unsigned char              fingerprint[32];
} scep_signer_id_t;

int scep_signer_id(scep_signer_id_t *id, const scep_msg_t *m);


#define SCEP_MAX_CAPS          32
#define SCEP_MAX_CAP_LEN       64

typedef struct {
    unsigned                   n;
    unsigned                   more:1;         /* caps after the last kept */
    scep_bytes_t               caps[SCEP_MAX_CAPS];  /* into the body */
} scep_caps_t;


/*
 * A GetCACaps body: a capability a line (LF or CRLF), blank lines skipped,
 * surrounding white space trimmed; a line longer than SCEP_MAX_CAP_LEN or
 * with a byte that is not printable ASCII is skipped; at most
 * SCEP_MAX_CAPS are kept, and out->more says that there were others.
 */
void scep_caps_decode(scep_caps_t *out, const unsigned char *p, size_t len);


#endif /* _SCEP_RESP_H_INCLUDED_ */
