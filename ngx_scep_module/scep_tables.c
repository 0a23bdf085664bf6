
/*
 * The one definition of each SCEP fact the module reports: operations and
 * reject reasons.  Order follows the enums in scep.h.
 */


#include "scep.h"


const scep_op_def_t  scep_ops[SCEP_OP_COUNT] = {
    { "none", 0 },
    { "unknown", 0 },
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
    { "missing_sender_nonce", 400,
      "the signed attributes have no senderNonce" },
    { "bad_sender_nonce", 400,
      "the senderNonce is not 16 bytes" },
    { "signature_invalid", 400,
      "the SignerInfo signature does not verify" },
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
