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
