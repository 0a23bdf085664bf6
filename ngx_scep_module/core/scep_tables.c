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
    { "", "" },

    { "ndes_reachable",
      "NDES answered 403 to the bare SCEP URL: the answer of a healthy NDES, "
      "nothing to fix" },

    { "ndes_internal_error",
      "NDES answered 500: give IIS_IUSRS the user right \"Impersonate a "
      "client after authentication\" (secpol.msc); unlock the NDES service "
      "account or reset its expired password; renew expired MSCEP-RA "
      "certificates (CEP Encryption, Exchange Enrollment Agent (Offline "
      "request)); then iisreset" },

    { "ndes_ra_cert_expired",
      "NDES answered 500 and its RA certificate in the last GetCACert answer "
      "has expired: request new CEP Encryption and Exchange Enrollment Agent "
      "(Offline request) certificates, grant the NDES service account read "
      "on their keys, then iisreset" },

    { "ndes_app_pool_stopped",
      "NDES answered 503: the SCEP application pool is stopped (w3wp.exe "
      "crashes): remove intermediate CAs from the Trusted Root store, make "
      "the CRL URLs reachable, disable Windows authentication on "
      "CertificateRegistrationSvc, renew an expired NDESPolicy certificate; "
      "then start the pool" },

    { "ndes_gateway_timeout",
      "the upstream did not answer in time (504): start the Azure AD "
      "Application Proxy connector service (startup type Automatic) and "
      "check the path to NDES" },

    { "ndes_unreachable",
      "the upstream refused or reset the connection (502): the NDES host or "
      "IIS is down or unreachable" },

    { "ndes_uri_too_long",
      "NDES answered 414: set IIS request filtering maxUrl and "
      "maxQueryString to 65534, and HTTP.sys MaxFieldLength and "
      "MaxRequestBytes to 65534 (DWORD, decimal)" },

    { "proxy_uri_too_long",
      "this proxy answered 414: raise large_client_header_buffers (4 64k) "
      "and scep_max_uri_length to fit the ~10 KB PKIOperation GETs of iOS" },

    { "scep_failure",
      "CertRep FAILURE without failInfo: see the NDES and CA event logs" },

    { "scep_failure_bad_alg",
      "CertRep FAILURE badAlg: the CA does not take the device's algorithm; "
      "compare GetCACaps with the SCEP profile's hash algorithm" },

    { "scep_failure_bad_message_check",
      "CertRep FAILURE badMessageCheck: NDES could not check the message, "
      "often encrypted to a stale RA certificate; renew the RA certificates "
      "together and let the device fetch GetCACert again" },

    { "scep_failure_bad_request",
      "CertRep FAILURE badRequest: NDES refused the request, most often a "
      "challenge password that was rejected or has expired; check the "
      "Intune certificate connector and the challenge's validity" },

    { "scep_failure_bad_time",
      "CertRep FAILURE badTime: the message time is outside NDES's window; "
      "check the device's and the servers' clocks" },

    { "scep_failure_bad_cert_id",
      "CertRep FAILURE badCertId: no certificate matches the identifier "
      "(CertPoll, GetCert); the request may have expired at the CA" },

    { "scep_pending",
      "CertRep PENDING: the request waits for manual approval at the CA; "
      "the device polls with CertPoll" },
};


scep_diag_e
scep_diagnose(const scep_situation_t *s)
{
    if (s->proxy_uri_too_long) {
        return SCEP_DIAG_PROXY_URI_TOO_LONG;
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
        return s->ra_expired ? SCEP_DIAG_NDES_RA_CERT_EXPIRED
                             : SCEP_DIAG_NDES_INTERNAL_ERROR;

    case 502:
        return SCEP_DIAG_NDES_UNREACHABLE;

    case 503:
        return SCEP_DIAG_NDES_APP_POOL_STOPPED;

    case 504:
        return SCEP_DIAG_NDES_GATEWAY_TIMEOUT;
    }

    if (s->pki_status == SCEP_STATUS_PENDING) {
        return SCEP_DIAG_SCEP_PENDING;
    }

    if (s->pki_status == SCEP_STATUS_FAILURE) {
        /* the failInfo diagnoses follow scep_fail_info_e, NONE first */
        return SCEP_DIAG_SCEP_FAILURE + s->fail_info;
    }

    return SCEP_DIAG_NONE;
}


const char  *scep_undecoded_names[SCEP_UNDECODED_COUNT] = {
    "", "too_large", "encoded", "malformed", "empty", "incomplete", "partial"
};


const char  *scep_outcomes[SCEP_OUTCOME_COUNT] = {
    "", "issued", "pending", "failed", "rejected"
};


const char  *scep_joins[SCEP_JOIN_COUNT] = {
    "new", "transaction", "connection", "address"
};
