/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The one definition of each SCEP fact the module reports: operations,
 * reject reasons, message types, statuses, digests and the NDES diagnosis.
 * Order follows the enums in scep.h.
 */


#include "scep.h"


const scep_op_def_t  scep_ops[SCEP_OP_COUNT] = {
    { "none", 0 },
    { "unknown", 0 },
    { "admin", 0 },
    { "GetCACert", 1 },
    { "GetNextCACert", 1 },
    { "GetCACaps", 1 },
    { "PKIOperation", 0 },
};


const scep_reject_def_t  scep_rejects[SCEP_REJECT_COUNT] = {
    { "", 0, "" },
    { "uri_too_long", 414,
      "the request URI is longer than scep_max_uri_length" },
    { "message_too_large", 413,
      "the decoded PKIOperation message is larger than scep_max_message_size"
      " (414 over GET)" },
    { "missing_operation", 400,
      "the request has no operation parameter" },
    { "unknown_operation", 400,
      "the operation parameter names no SCEP operation" },
    { "ambiguous_query", 400,
      "more than one parameter names operation, or message, once case is "
      "folded and the name percent-decoded: the upstream may read another" },
    { "method_not_allowed", 405,
      "the HTTP method does not fit the operation" },
    { "missing_message", 400,
      "a PKIOperation without a message" },
    { "bad_encoding", 400,
      "the message is not valid URL or base64 encoding" },
    { "not_cms", 400,
      "the message is not a CMS ContentInfo" },
    { "truncated", 400,
      "the message ends before its declared lengths" },
    { "not_signed_data", 400,
      "the ContentInfo does not hold SignedData" },
    { "no_signer", 400,
      "the SignedData has no SignerInfo" },
    { "missing_message_type", 400,
      "the signed attributes have no messageType" },
    { "unknown_message_type", 400,
      "the messageType is not a SCEP request type" },
    { "message_type_not_allowed", 403,
      "the messageType is not in scep_message_types" },
    { "missing_transaction_id", 400,
      "the signed attributes have no transactionID" },
    { "bad_transaction_id", 400,
      "the transactionID is longer than 128 bytes, or has a character "
      "outside PrintableString (A-Z a-z 0-9 space ' ( ) + , - . / : = ?), "
      "whatever its string tag" },
    { "missing_sender_nonce", 400,
      "the signed attributes have no senderNonce" },
    { "bad_sender_nonce", 400,
      "the senderNonce is not 16 bytes" },
    { "signature_invalid", 400,
      "the SignerInfo signature does not verify" },
    { "signer_key_unsupported", 400,
      "the signer certificate's key is not one the module verifies (RSA of "
      "2048 to 8192 bits with an odd exponent from 3 to 2^32 - 1, ECDSA on "
      "P-256, P-384 or P-521 by name): refused unchecked, its cost being "
      "the sender's choice" },
    { "replay", 403,
      "the senderNonce was seen before within the flow timeout, zone-wide, "
      "in another message than the one that first carried it "
      "(scep_reject_replay; a client's retry of the same bytes is "
      "forwarded)" },
    { "admin_page", 403,
      "the path names NDES's admin page (/mscep_admin), which hands out "
      "enrolment challenge passwords: refused whatever scep_reject says" },
};


const scep_msg_type_def_t  scep_msg_types[SCEP_MSG_COUNT] = {
    { "", "", 0 },
    { "PKCSReq", "19", 1 },
    { "RenewalReq", "17", 1 },
    { "UpdateReq", "18", 1 },
    { "CertPoll", "20", 1 },
    { "GetCert", "21", 1 },
    { "GetCRL", "22", 1 },
    { "CertRep", "3", 0 },
};


const scep_code_def_t  scep_pki_statuses[SCEP_STATUS_COUNT] = {
    { "", "" },
    { "SUCCESS", "0" },
    { "FAILURE", "2" },
    { "PENDING", "3" },
};


const scep_code_def_t  scep_fail_infos[SCEP_FAIL_COUNT] = {
    { "", "" },
    { "badAlg", "0" },
    { "badMessageCheck", "1" },
    { "badRequest", "2" },
    { "badTime", "3" },
    { "badCertId", "4" },
};


/* OID content bytes; the list ends with a NULL name */

static const unsigned char  scep_oid_md5[] =
    { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05 };
static const unsigned char  scep_oid_sha1[] =
    { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const unsigned char  scep_oid_sha224[] =
    { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04 };
static const unsigned char  scep_oid_sha256[] =
    { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
static const unsigned char  scep_oid_sha384[] =
    { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
static const unsigned char  scep_oid_sha512[] =
    { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 };


const scep_oid_def_t  scep_digest_algs[] = {
    { "md5", scep_oid_md5, sizeof(scep_oid_md5) },
    { "sha1", scep_oid_sha1, sizeof(scep_oid_sha1) },
    { "sha224", scep_oid_sha224, sizeof(scep_oid_sha224) },
    { "sha256", scep_oid_sha256, sizeof(scep_oid_sha256) },
    { "sha384", scep_oid_sha384, sizeof(scep_oid_sha384) },
    { "sha512", scep_oid_sha512, sizeof(scep_oid_sha512) },
    { NULL, NULL, 0 }
};


const scep_diag_def_t  scep_diagnoses[SCEP_DIAG_COUNT] = {
    { "", "", 0, NULL },

    { "ndes_reachable",
      "NDES answered 403 to the bare SCEP URL: the answer of a healthy NDES, "
      "nothing to fix",
      0, NULL },

    { "ndes_internal_error",
      "NDES answered 500: give IIS_IUSRS the user right \"Impersonate a "
      "client after authentication\" (secpol.msc); unlock the NDES service "
      "account or reset its expired password; renew expired MSCEP-RA "
      "certificates (CEP Encryption, Exchange Enrollment Agent (Offline "
      "request)); then iisreset",
      0, NULL },

    { "ndes_ra_cert_expired",
      "NDES answered 500 and its RA certificate in the last GetCACert answer "
      "has expired: request new CEP Encryption and Exchange Enrollment Agent "
      "(Offline request) certificates, grant the NDES service account read "
      "on their keys, then iisreset",
      0, NULL },

    { "ndes_app_pool_stopped",
      "NDES answered 503: the SCEP application pool is stopped (w3wp.exe "
      "crashes): remove intermediate CAs from the Trusted Root store, make "
      "the CRL URLs reachable, disable Windows authentication on "
      "CertificateRegistrationSvc, renew an expired NDESPolicy certificate; "
      "then start the pool",
      0, NULL },

    { "ndes_gateway_timeout",
      "the upstream did not answer in time (504): start the Azure AD "
      "Application Proxy connector service (startup type Automatic) and "
      "check the path to NDES",
      0, NULL },

    { "ndes_unreachable",
      "the upstream refused or reset the connection (502): the NDES host or "
      "IIS is down or unreachable",
      0, NULL },

    { "ndes_uri_too_long",
      "NDES answered 414: set IIS request filtering maxUrl and "
      "maxQueryString to 65534, and HTTP.sys MaxFieldLength and "
      "MaxRequestBytes to 65534 (DWORD, decimal)",
      0, NULL },

    { "proxy_uri_too_long",
      "this proxy answered 414: raise large_client_header_buffers (4 64k) "
      "and scep_max_uri_length to fit the ~10 KB PKIOperation GETs of iOS",
      0, NULL },

    { "scep_failure",
      "CertRep FAILURE without failInfo: see the NDES and CA event logs",
      0, NULL },

    { "scep_failure_bad_alg",
      "CertRep FAILURE badAlg: the CA does not take the device's algorithm; "
      "compare GetCACaps with the SCEP profile's hash algorithm",
      0, NULL },

    { "scep_failure_bad_message_check",
      "CertRep FAILURE badMessageCheck: NDES could not check the message, "
      "often encrypted to a stale RA certificate; renew the RA certificates "
      "together and let the device fetch GetCACert again",
      0, NULL },

    { "scep_failure_bad_request",
      "CertRep FAILURE badRequest: NDES refused the request, most often a "
      "challenge password that was rejected or has expired; check the "
      "Intune certificate connector and the challenge's validity",
      0, NULL },

    { "scep_failure_bad_time",
      "CertRep FAILURE badTime: the message time is outside NDES's window; "
      "check the device's and the servers' clocks",
      0, NULL },

    { "scep_failure_bad_cert_id",
      "CertRep FAILURE badCertId: no certificate matches the identifier "
      "(CertPoll, GetCert); the request may have expired at the CA",
      0, NULL },

    { "scep_pending",
      "CertRep PENDING: the request waits for manual approval at the CA; "
      "the device polls with CertPoll",
      0, NULL },

    { "ndes_bad_gateway",
      "a proxy in front of NDES answered 502 (the upstream did answer, it "
      "could not reach NDES behind it): look at that proxy's log and at "
      "its path to NDES",
      0, NULL },

    { "ndes_tls_failed",
      "the TLS handshake with the upstream failed (NDES is up): its "
      "certificate does not match proxy_ssl_name or does not chain to "
      "proxy_ssl_trusted_certificate, or the two ends share no protocol or "
      "cipher; the error log says which",
      0, NULL },

    { "ndes_connect_timeout",
      "the connection to the upstream timed out (proxy_connect_timeout): "
      "the NDES host is down, or a firewall drops the packets on the way",
      0, NULL },

    { "ndes_read_timeout",
      "this edge's proxy_read_timeout fired: NDES or the CA behind it is "
      "slow to answer (the application pool or the CA's RPC); raise "
      "proxy_read_timeout only once NDES's own logs show why",
      0, NULL },

    { "operation_not_supported",
      "the server does not implement this operation (NDES has no GetCert, "
      "GetCRL or GetNextCACert): not a fault of IIS; the client should "
      "fetch CRLs from the certificate's CRL distribution point",
      0, NULL },

    { "client_raw_plus",
      "the client put a raw '+' in the GET message and the upstream, "
      "which reads '+' in a query as a space, failed it: set "
      "scep_normalize_message on, or have the client percent-encode (or "
      "POST) the message",
      0, NULL },

    { "client_base64url",
      "the client sent its GET message in base64url ('-' and '_', as "
      "micromdm's scepclient does) and the upstream, which reads standard "
      "base64, failed it: set scep_normalize_message on, or have the "
      "client send standard base64 (or POST)",
      0, NULL },

    { "message_truncated",
      "the message ends before its declared length: a proxy, an "
      "application proxy or a URL length limit between the device and "
      "this edge cut it; compare the bytes received with those declared",
      0, NULL },

    { "device_clock_behind",
      "the device's clock is more than five minutes behind (signingTime or "
      "its signer certificate's notBefore): a freshly reset or Autopilot "
      "device; its new certificate will not be valid yet on it; let it "
      "sync its time (NTP) before it enrols",
      0, NULL },

    { "device_clock_ahead",
      "the device's clock is more than five minutes ahead (signingTime or "
      "its signer certificate's notBefore): let it sync its time (NTP); "
      "NDES may refuse the message as badTime",
      0, NULL },

    { "retry_after_timeout",
      "NDES refused a transaction whose earlier attempt timed out or "
      "failed upstream, or a message it had already received: the first "
      "may have been issued and its challenge spent; look the "
      "transactionID up at the CA before blaming the challenge",
      0, NULL },

    { "ra_cert_expiring",
      "an RA certificate in the GetCACert answer expires within 30 days: "
      "renew the CEP Encryption and Exchange Enrollment Agent (Offline "
      "request) certificates together, then iisreset",
      0, NULL },

    { "ra_cert_no_key_encipherment",
      "the RA certificate for encryption lacks keyUsage keyEncipherment: "
      "devices cannot encrypt to it, or NDES fails to decrypt; reissue "
      "the CEP Encryption certificate from its template",
      0, NULL },

    { "ra_cert_no_digital_signature",
      "the RA certificate for signing lacks keyUsage digitalSignature: "
      "devices refuse NDES's signed answers; reissue the Exchange "
      "Enrollment Agent (Offline request) certificate from its template",
      0, NULL },

    { "ra_cert_not_issued_by_ca",
      "an RA certificate is not issued by a CA of the same GetCACert "
      "answer: after a CA renewal the RA still chains to the old CA; "
      "request new RA certificates from the current CA, then iisreset",
      0, NULL },

    { "no_ca_cert",
      "the GetCACert answer holds no CA certificate (none says cA in "
      "basicConstraints): devices cannot build a chain; check NDES's CA "
      "configuration and the certificates it serves",
      0, NULL },

    { "ndes_error_unknown",
      "NDES's error code is not one the module knows: look it up in "
      "winerror.h (certutil -error 0x...) and in the NDES event log",
      0, NULL },

    { "ndes_error_unsupported_cert_type",
      "the CA does not issue the template NDES asked for: add the SCEP "
      "template to the CA's Certificate Templates to Issue, and check the "
      "template names in HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP",
      0x80094800, "CERTSRV_E_UNSUPPORTED_CERT_TYPE" },

    { "ndes_error_no_cert_type",
      "the request names no template: set EncryptionTemplate, "
      "GeneralPurposeTemplate and SignatureTemplate in "
      "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP, then iisreset",
      0x80094801, "CERTSRV_E_NO_CERT_TYPE" },

    { "ndes_error_template_denied",
      "the NDES service account may not enrol for the template: grant it "
      "Read and Enroll on the SCEP template's Security tab",
      0x80094012, "CERTSRV_E_TEMPLATE_DENIED" },

    { "ndes_error_enroll_denied",
      "the CA denied the enrolment: grant the NDES service account "
      "Request Certificates on the CA, check Certificate Managers "
      "restrictions",
      0x80094011, "CERTSRV_E_ENROLL_DENIED" },

    { "ndes_error_bad_requestsubject",
      "the CA refused the request's subject: the template must take the "
      "subject from the request (Supply in the request), and the SCEP "
      "profile's subject name format must fit it",
      0x80094001, "CERTSRV_E_BAD_REQUESTSUBJECT" },

    { "ndes_error_key_length",
      "the key is shorter than the template's minimum key size: match the "
      "SCEP profile's key size to the template",
      0x80094811, "CERTSRV_E_KEY_LENGTH" },

    { "ndes_error_no_request",
      "the CA has no such request (CertPoll): it was denied, deleted or "
      "never reached the CA; the device must enrol anew",
      0x80094002, "CERTSRV_E_NO_REQUEST" },

    { "ndes_error_admin_denied_request",
      "a CA manager denied the pending request: see the CA's Failed "
      "Requests",
      0x80094014, "CERTSRV_E_ADMIN_DENIED_REQUEST" },

    { "ndes_error_untrustedroot",
      "a chain ends in a root NDES does not trust: put the CA's root in "
      "the NDES server's Trusted Root store, and intermediate CAs in the "
      "Intermediate store, not the Root one",
      0x800b0109, "CERT_E_UNTRUSTEDROOT" },

    { "ndes_error_chaining",
      "NDES could not build a chain to a trusted root: install the CA's "
      "intermediate certificates on NDES and make the AIA URLs reachable",
      0x800b010a, "CERT_E_CHAINING" },

    { "ndes_error_expired",
      "a certificate NDES needed is expired or not yet valid by NDES's "
      "clock: the RA certificates, the CA's, or the device's signer",
      0x800b0101, "CERT_E_EXPIRED" },

    { "ndes_error_revoked",
      "a certificate of the chain is revoked: the device's signer (a "
      "renewal) or an RA certificate",
      0x80092010, "CRYPT_E_REVOKED" },

    { "ndes_error_revocation_offline",
      "the revocation server was offline: NDES could not fetch a CRL of "
      "the chain; make the CRL distribution points reachable from NDES and "
      "publish a fresh CRL (an unreachable CRL also stops the application "
      "pool: 503)",
      0x80092013, "CRYPT_E_REVOCATION_OFFLINE" },

    { "ndes_error_no_revocation_check",
      "revocation could not be checked: a certificate of the chain has no "
      "CRL distribution point, or its CRL is not published",
      0x80092012, "CRYPT_E_NO_REVOCATION_CHECK" },

    { "ndes_error_bad_data",
      "NDES could not decrypt or parse the request, often encrypted to a "
      "stale RA certificate: renew the RA certificates together and let "
      "the device fetch GetCACert again",
      0x80090005, "NTE_BAD_DATA" },

    { "ndes_error_bad_signature",
      "the request's signature did not verify at NDES",
      0x80090006, "NTE_BAD_SIGNATURE" },

    { "ndes_error_bad_keyset",
      "NDES cannot open an RA certificate's private key: grant the NDES "
      "service account Read on the keys of the CEP Encryption and "
      "Exchange Enrollment Agent (Offline request) certificates",
      0x80090016, "NTE_BAD_KEYSET" },

    { "ndes_error_not_found",
      "NDES did not find an object it needs, such as its RA certificate "
      "in the machine's Personal store",
      0x80092004, "CRYPT_E_NOT_FOUND" },

    { "ndes_error_invalidarg",
      "NDES found a parameter invalid: its answer to operations it does "
      "not implement (GetCRL, GetCert) and to requests it cannot read; "
      "check what the client sent",
      0x80070057, "E_INVALIDARG" },

    { "ndes_error_accessdenied",
      "access denied: the NDES service account lacks a right on the CA or "
      "on the RA keys, or is locked",
      0x80070005, "E_ACCESSDENIED" },

    { "ndes_error_rpc_server_unavailable",
      "NDES could not reach the CA over RPC: the CA service (certsvc) is "
      "stopped, or a firewall closes RPC between NDES and the CA",
      0x800706ba, "RPC_S_SERVER_UNAVAILABLE" },

    { "ndes_error_fail",
      "NDES reports an unspecified failure: see the NDES (and Intune "
      "certificate connector) event logs at that time",
      0x80004005, "E_FAIL" },
};


const char  *scep_upstream_errors[SCEP_UPSTREAM_ERROR_COUNT] = {
    "", "refused", "reset", "tls", "connect_timeout", "read_timeout", "http"
};


const scep_warning_def_t  scep_warnings[SCEP_WARN_COUNT] = {
    { "ra_cert_expired", "expired on",
      SCEP_DIAG_NDES_RA_CERT_EXPIRED, 1 },
    { "ra_cert_expiring", "expires on",
      SCEP_DIAG_RA_CERT_EXPIRING, 0 },
    { "ra_cert_no_key_encipherment",
      "has no keyEncipherment, which encrypting to it needs",
      SCEP_DIAG_RA_CERT_NO_KEY_ENCIPHERMENT, 1 },
    { "ra_cert_no_digital_signature",
      "has no digitalSignature, which signing CertReps needs",
      SCEP_DIAG_RA_CERT_NO_DIGITAL_SIGNATURE, 1 },
    { "ra_cert_not_issued_by_ca",
      "is issued by no CA certificate of the answer",
      SCEP_DIAG_RA_CERT_NOT_ISSUED_BY_CA, 1 },
    { "no_ca_cert", "holds no CA certificate",
      SCEP_DIAG_NO_CA_CERT, 1 },
};


static scep_diag_e scep_diagnose_failure(const scep_situation_t *s);
static scep_diag_e scep_diagnose_clock(const scep_situation_t *s);
static scep_diag_e scep_diagnose_warnings(unsigned warnings,
    unsigned failure);


/*
 * The rules, first match wins: what this edge saw of the request (its
 * 414, a cut message), then how the upstream failed, then what its answer
 * said, then what the device's clock and the RA certificates say.
 */

scep_diag_e
scep_diagnose(const scep_situation_t *s)
{
    scep_diag_e  d;

    if (s->proxy_uri_too_long) {
        return SCEP_DIAG_PROXY_URI_TOO_LONG;
    }

    if (s->reject == SCEP_REJECT_TRUNCATED && !s->message_whole) {
        return SCEP_DIAG_MESSAGE_TRUNCATED;
    }

    switch (s->upstream_error) {

    case SCEP_UPSTREAM_REFUSED:
    case SCEP_UPSTREAM_RESET:
        return SCEP_DIAG_NDES_UNREACHABLE;

    case SCEP_UPSTREAM_TLS:
        return SCEP_DIAG_NDES_TLS_FAILED;

    case SCEP_UPSTREAM_CONNECT_TIMEOUT:
        return SCEP_DIAG_NDES_CONNECT_TIMEOUT;

    case SCEP_UPSTREAM_READ_TIMEOUT:
        return SCEP_DIAG_NDES_READ_TIMEOUT;

    default:
        break;
    }

    /*
     * a raw '+' that the upstream read as a space, or base64url it does
     * not read: the failure follows
     */

    if ((s->raw_plus || s->base64url)
        && ((s->upstream_status >= 400 && s->upstream_status <= 500
             && s->upstream_status != 403 && s->upstream_status != 414)
            || s->pki_status == SCEP_STATUS_FAILURE))
    {
        return s->raw_plus ? SCEP_DIAG_CLIENT_RAW_PLUS
                           : SCEP_DIAG_CLIENT_BASE64URL;
    }

    switch (s->upstream_status) {

    case 403:
        if (s->bare_url) {
            return SCEP_DIAG_NDES_REACHABLE;
        }

        break;

    case 414:
        return SCEP_DIAG_NDES_URI_TOO_LONG;

    case 500:
        if (s->op == SCEP_OP_GETNEXTCACERT
            || s->msg_type == SCEP_MSG_GETCERT
            || s->msg_type == SCEP_MSG_GETCRL)
        {
            return SCEP_DIAG_OPERATION_NOT_SUPPORTED;
        }

        if (s->ra_expired) {
            return SCEP_DIAG_NDES_RA_CERT_EXPIRED;
        }

        d = scep_diagnose_warnings(s->ra_warnings, 1);

        return d ? d : SCEP_DIAG_NDES_INTERNAL_ERROR;

    case 501:
        return SCEP_DIAG_OPERATION_NOT_SUPPORTED;

    case 502:
        return s->upstream_error == SCEP_UPSTREAM_HTTP
               ? SCEP_DIAG_NDES_BAD_GATEWAY : SCEP_DIAG_NDES_UNREACHABLE;

    case 503:
        return SCEP_DIAG_NDES_APP_POOL_STOPPED;

    case 504:
        return SCEP_DIAG_NDES_GATEWAY_TIMEOUT;
    }

    if (s->pki_status == SCEP_STATUS_FAILURE) {
        return scep_diagnose_failure(s);
    }

    if (s->pki_status == SCEP_STATUS_PENDING) {
        return SCEP_DIAG_SCEP_PENDING;
    }

    d = scep_diagnose_clock(s);

    if (d) {
        return d;
    }

    return scep_diagnose_warnings(s->answer_warnings, 0);
}


static scep_diag_e
scep_diagnose_failure(const scep_situation_t *s)
{
    scep_diag_e  d;

    if (s->retry) {
        return SCEP_DIAG_RETRY_AFTER_TIMEOUT;
    }

    /* NDES answers GetCRL and GetCert, which it lacks, FAILURE badRequest */

    if ((s->msg_type == SCEP_MSG_GETCRL || s->msg_type == SCEP_MSG_GETCERT)
        && s->fail_info == SCEP_FAIL_BADREQUEST)
    {
        return SCEP_DIAG_OPERATION_NOT_SUPPORTED;
    }

    if (s->has_ndes_error) {
        return scep_ndes_error_lookup(s->ndes_error);
    }

    if (s->fail_info == SCEP_FAIL_BADTIME) {
        d = scep_diagnose_clock(s);

        if (d) {
            return d;
        }
    }

    if (s->fail_info == SCEP_FAIL_BADMESSAGECHECK) {
        d = scep_diagnose_warnings(s->ra_warnings, 1);

        if (d) {
            return d;
        }
    }

    /* the failInfo diagnoses follow scep_fail_info_e, NONE first */

    return SCEP_DIAG_SCEP_FAILURE + s->fail_info;
}


static scep_diag_e
scep_diagnose_clock(const scep_situation_t *s)
{
    if (!s->has_clock_skew) {
        return SCEP_DIAG_NONE;
    }

    if (s->clock_skew < -SCEP_CLOCK_SKEW_MAX) {
        return SCEP_DIAG_DEVICE_CLOCK_BEHIND;
    }

    if (s->clock_skew > SCEP_CLOCK_SKEW_MAX) {
        return SCEP_DIAG_DEVICE_CLOCK_AHEAD;
    }

    return SCEP_DIAG_NONE;
}


/* the first warning, in scep_warnings[] order, that may explain it */

static scep_diag_e
scep_diagnose_warnings(unsigned warnings, unsigned failure)
{
    int  i;

    for (i = 0; i < SCEP_WARN_COUNT; i++) {
        if ((warnings & (1u << i))
            && (!failure || scep_warnings[i].explains_failure))
        {
            return scep_warnings[i].diagnosis;
        }
    }

    return SCEP_DIAG_NONE;
}


scep_diag_e
scep_ndes_error_lookup(uint32_t hresult)
{
    int  i;

    for (i = SCEP_DIAG_NDES_ERROR_UNKNOWN + 1; i < SCEP_DIAG_COUNT; i++) {
        if (scep_diagnoses[i].hresult == hresult) {
            return i;
        }
    }

    return SCEP_DIAG_NDES_ERROR_UNKNOWN;
}


const char  *scep_undecoded_names[SCEP_UNDECODED_COUNT] = {
    "", "too_large", "encoded", "malformed", "empty", "incomplete", "partial"
};


const char  *scep_query_encodings[SCEP_QENC_COUNT] = {
    "percent", "raw", "raw_plus", "base64url", "line_breaks"
};


const char  *scep_outcomes[SCEP_OUTCOME_COUNT] = {
    "", "issued", "pending", "failed", "rejected"
};


const char  *scep_joins[SCEP_JOIN_COUNT] = {
    "new", "transaction", "connection", "address"
};


const char  *scep_clients[SCEP_CLIENT_COUNT] = {
    "other", "ios", "macos", "android", "windows", "network", "certmonger",
    "sscep"
};


/*
 * In order, the first that matches (NDES-NOTES.md has the real ones):
 * the names that say themselves first; then macOS's, before the
 * CFNetwork and Darwin that macOS's mdmclient shares with iOS's
 * profiled; a NULL has ends the table.
 */

const scep_client_pattern_t  scep_client_patterns[] = {
    { "profiled/", NULL, SCEP_CLIENT_IOS },
    { "iPhone", NULL, SCEP_CLIENT_IOS },
    { "iPad", NULL, SCEP_CLIENT_IOS },
    { "NDES client", NULL, SCEP_CLIENT_WINDOWS },
    { "Dalvik/", NULL, SCEP_CLIENT_ANDROID },
    { "Android", NULL, SCEP_CLIENT_ANDROID },
    { "certmonger", NULL, SCEP_CLIENT_CERTMONGER },
    { "sscep", NULL, SCEP_CLIENT_SSCEP },
    { "Cisco", NULL, SCEP_CLIENT_NETWORK },
    { "Juniper", NULL, SCEP_CLIENT_NETWORK },
    { "Macintosh", NULL, SCEP_CLIENT_MACOS },
    { "Mac OS X", NULL, SCEP_CLIENT_MACOS },
    { "macOS", NULL, SCEP_CLIENT_MACOS },
    { "mdmclient/", NULL, SCEP_CLIENT_MACOS },
    { "CFNetwork/", "Darwin/", SCEP_CLIENT_IOS },
    { NULL, NULL, SCEP_CLIENT_OTHER }
};
