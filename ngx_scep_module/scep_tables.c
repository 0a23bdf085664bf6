
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
