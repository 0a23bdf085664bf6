/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * SCEP decoding core: plain C and OpenSSL, no nginx types, so that every
 * parser of untrusted bytes here is unit-tested and fuzzed on its own.
 */


#ifndef _SCEP_H_INCLUDED_
#define _SCEP_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* SCEP operations (RFC 8894, section 4) as named by the query string */

typedef enum {
    SCEP_OP_NONE = 0,                 /* no operation: the bare-URL probe */
    SCEP_OP_UNKNOWN,
    SCEP_OP_ADMIN,                    /* NDES's admin page, never passed */
    SCEP_OP_GETCACERT,
    SCEP_OP_GETNEXTCACERT,
    SCEP_OP_GETCACAPS,
    SCEP_OP_PKIOPERATION,
    SCEP_OP_COUNT
} scep_op_e;


typedef struct {
    const char                *name;
    unsigned                   ca_ident:1;  /* message= names the CA */
} scep_op_def_t;


/*
 * Reasons a request is rejected.  The table in scep_tables.c is the one
 * definition of their names, HTTP statuses and meanings; the JSON record,
 * the variables, the metrics and the documentation derive from it.
 */

typedef enum {
    SCEP_REJECT_NONE = 0,
    SCEP_REJECT_URI_TOO_LONG,
    SCEP_REJECT_MESSAGE_TOO_LARGE,
    SCEP_REJECT_MISSING_OPERATION,
    SCEP_REJECT_UNKNOWN_OPERATION,
    SCEP_REJECT_AMBIGUOUS_QUERY,
    SCEP_REJECT_METHOD_NOT_ALLOWED,
    SCEP_REJECT_MISSING_MESSAGE,
    SCEP_REJECT_BAD_ENCODING,
    SCEP_REJECT_NOT_CMS,
    SCEP_REJECT_TRUNCATED,
    SCEP_REJECT_NOT_SIGNED_DATA,
    SCEP_REJECT_NO_SIGNER,
    SCEP_REJECT_MISSING_MESSAGE_TYPE,
    SCEP_REJECT_UNKNOWN_MESSAGE_TYPE,
    SCEP_REJECT_MESSAGE_TYPE_NOT_ALLOWED,
    SCEP_REJECT_MISSING_TRANSACTION_ID,
    SCEP_REJECT_BAD_TRANSACTION_ID,
    SCEP_REJECT_MISSING_SENDER_NONCE,
    SCEP_REJECT_BAD_SENDER_NONCE,
    SCEP_REJECT_SIGNATURE_INVALID,
    SCEP_REJECT_SIGNER_KEY_UNSUPPORTED,
    SCEP_REJECT_REPLAY,
    SCEP_REJECT_ADMIN_PAGE,
    SCEP_REJECT_COUNT
} scep_reject_e;


typedef struct {
    const char                *name;
    int                        status;
    const char                *meaning;
} scep_reject_def_t;


extern const scep_op_def_t      scep_ops[SCEP_OP_COUNT];
extern const scep_reject_def_t  scep_rejects[SCEP_REJECT_COUNT];


/* what the query string of a SCEP request says */

typedef struct {
    scep_op_e                  op;
    const unsigned char       *operation;   /* raw value of operation= */
    size_t                     operation_len;
    const unsigned char       *message;     /* raw value of message= */
    size_t                     message_len;

    /* the parameters' names as spelled, "OPERATION" or "m%65ssage" */
    const unsigned char       *operation_name;
    size_t                     operation_name_len;
    const unsigned char       *message_name;
    size_t                     message_name_len;

    unsigned                   has_message:1;

    /*
     * More than one parameter names operation (or message) once case is
     * folded and the name percent-decoded: the upstream may read another
     * one than the module, so such a query is refused.  The first still
     * gives the fields, for the record.
     */
    unsigned                   ambiguous_operation:1;
    unsigned                   ambiguous_message:1;
} scep_query_t;


void scep_query_parse(scep_query_t *q, const unsigned char *p, size_t len,
    int truncated);
scep_op_e scep_op_lookup(const unsigned char *p, size_t len);


/* percent-decoding: '+' becomes a space in form fields, stays in base64 */

#define SCEP_UNESCAPE_FORM    1

size_t scep_unescape(unsigned char *dst, const unsigned char *src, size_t len,
    int flags);

/*
 * Copies src to dst as valid UTF-8: each byte that does not start a valid
 * sequence becomes U+FFFD.  dst must hold 3 * len bytes.
 */
size_t scep_utf8_sanitize(unsigned char *dst, const unsigned char *src,
    size_t len);

/*
 * Text safe in a header or a line of a log: valid UTF-8 as above, each
 * control byte written \u00XX, as JSON writes it, and a backslash twice,
 * so that no escape can be forged.  dst must hold 6 * len bytes.
 */
size_t scep_text_safe(unsigned char *dst, const unsigned char *src,
    size_t len);


/* pkiMessage types (RFC 8894, section 3.2.1.2), in scep_msg_types[] */

typedef enum {
    SCEP_MSG_NONE = 0,
    SCEP_MSG_PKCSREQ,                 /* "19" */
    SCEP_MSG_RENEWALREQ,              /* "17" */
    SCEP_MSG_UPDATEREQ,               /* "18" */
    SCEP_MSG_CERTPOLL,                /* "20", GetCertInitial */
    SCEP_MSG_GETCERT,                 /* "21" */
    SCEP_MSG_GETCRL,                  /* "22" */
    SCEP_MSG_CERTREP,                 /* "3" */
    SCEP_MSG_COUNT
} scep_msg_type_e;


typedef struct {
    const char                *name;
    const char                *code;
    unsigned                   request:1;
} scep_msg_type_def_t;


/* pkiStatus and failInfo of a CertRep (RFC 8894, section 3.2.1.3-4) */

typedef enum {
    SCEP_STATUS_NONE = 0,
    SCEP_STATUS_SUCCESS,              /* "0" */
    SCEP_STATUS_FAILURE,              /* "2" */
    SCEP_STATUS_PENDING,              /* "3" */
    SCEP_STATUS_COUNT
} scep_pki_status_e;


typedef enum {
    SCEP_FAIL_NONE = 0,
    SCEP_FAIL_BADALG,                 /* "0" */
    SCEP_FAIL_BADMESSAGECHECK,        /* "1" */
    SCEP_FAIL_BADREQUEST,             /* "2" */
    SCEP_FAIL_BADTIME,                /* "3" */
    SCEP_FAIL_BADCERTID,              /* "4" */
    SCEP_FAIL_COUNT
} scep_fail_info_e;


typedef struct {
    const char                *name;
    const char                *code;
} scep_code_def_t;


/* digest algorithms a SignerInfo may name, by OID content bytes */

typedef struct {
    const char                *name;
    const unsigned char       *oid;
    size_t                     oid_len;
} scep_oid_def_t;


extern const scep_msg_type_def_t  scep_msg_types[SCEP_MSG_COUNT];
extern const scep_code_def_t      scep_pki_statuses[SCEP_STATUS_COUNT];
extern const scep_code_def_t      scep_fail_infos[SCEP_FAIL_COUNT];
extern const scep_oid_def_t       scep_digest_algs[];


typedef struct {
    const unsigned char       *data;
    size_t                     len;
} scep_bytes_t;


#define SCEP_NONCE_LEN         16
#define SCEP_MAX_DEPTH         32
#define SCEP_MAX_TRANSACTION_ID  128


/*
 * What scep_msg_decode() reads of a pkiMessage: pointers into the message
 * bytes, which must outlive it; nothing is allocated.
 */

typedef struct {
    size_t                     size;
    size_t                     declared;     /* the ContentInfo's own
                                                length, header included;
                                                0 when indefinite or
                                                unreadable */
    unsigned                   ber:1;        /* indefinite or long-form
                                                lengths, constructed
                                                strings: not DER */
    unsigned                   signers;      /* SignerInfos; the first
                                                is read */
    unsigned                   certificates;

    scep_msg_type_e            type;
    scep_bytes_t               message_type; /* as carried */
    scep_bytes_t               transaction_id;
    scep_bytes_t               sender_nonce;
    scep_bytes_t               recipient_nonce;
    scep_pki_status_e          pki_status;
    scep_fail_info_e           fail_info;

    /*
     * NDES's error code, an HRESULT (1.3.6.1.4.1.311.21.33): set only for
     * one attribute of one INTEGER value from -2^31 to 2^32 - 1
     */
    unsigned                   has_ndes_error:1;
    uint32_t                   ndes_error;

    int                        digest_alg;   /* index in scep_digest_algs,
                                                -1 if not known */
    scep_bytes_t               digest_oid;   /* OID content bytes */
    scep_bytes_t               sig_alg_oid;
    scep_bytes_t               signature;    /* OCTET STRING content */
    scep_bytes_t               message_digest;

    /*
     * The signed attributes' content, without the [0] header: the
     * signature covers them DER-encoded as a SET (tag 0x31).
     */
    scep_bytes_t               signed_attrs;

    /*
     * The encapsulated content: the whole OCTET STRING TLV, primitive
     * (DER) or constructed of segments (BER); scep_content_next() walks
     * its bytes.  Empty when the SignedData carries no content.
     */
    scep_bytes_t               content;

    scep_bytes_t               signer_cert;  /* Certificate TLV matching the
                                                SignerInfo, if carried */
    scep_bytes_t               signer_subject; /* its subject Name TLV */
    scep_bytes_t               signer_serial;  /* its serialNumber's
                                                  content octets */
    long long                  signer_not_before;  /* seconds since the
                                                      epoch */
    long long                  signing_time;   /* the signingTime
                                                  attribute */
    unsigned                   signer_self_issued:1;  /* issuer is
                                                         subject */
    unsigned                   has_signer_not_before:1;
    /* one signingTime attribute of one value, a Time as DER writes it */
    unsigned                   has_signing_time:1;

    char                       detail[128];  /* why decoding failed */
} scep_msg_t;


/*
 * Decodes a pkiMessage (CMS ContentInfo holding SignedData, BER or DER).
 * Returns SCEP_REJECT_NONE, or the reason with a sentence in m->detail.
 * It checks the structure and the attributes every pkiMessage must carry
 * (messageType, transactionID, a 16-byte senderNonce); whether the type
 * fits the direction (request or CertRep) is the caller's to judge.
 */
scep_reject_e scep_msg_decode(scep_msg_t *m, const unsigned char *p,
    size_t len);


/*
 * A request's transactionID: at most SCEP_MAX_TRANSACTION_ID bytes, each
 * a PrintableString character, whatever string tag carries it.  Returns
 * SCEP_REJECT_NONE, or SCEP_REJECT_BAD_TRANSACTION_ID with a sentence in
 * m->detail.  Not part of scep_msg_decode(): a CertRep echoes what the
 * request carried, and is still read.
 */
scep_reject_e scep_msg_check_transaction_id(scep_msg_t *m);


/* walks the segments of m->content: 1 while there is one, 0 at the end */

typedef struct {
    const unsigned char       *p;
    const unsigned char       *end;
    unsigned                   depth;
    const unsigned char       *stack[SCEP_MAX_DEPTH];
} scep_content_iter_t;

void scep_content_init(scep_content_iter_t *it, const scep_msg_t *m);
int scep_content_next(scep_content_iter_t *it, scep_bytes_t *segment);


/*
 * base64 as SCEP clients send it: line breaks, missing padding, the
 * standard alphabet or the URL-safe one ('-' and '_'), even mixed.
 * Returns 0, 1 + the offset of the first byte that is not base64, or
 * SCEP_BASE64_CUT when the text ends one character into a group, which
 * no encoder writes: it was cut.  *dst_len is the bytes decoded so far.
 */

#define SCEP_BASE64_CUT       -1

size_t scep_base64_decoded_len(size_t len);
int scep_base64_decode(unsigned char *dst, size_t *dst_len,
    const unsigned char *src, size_t len);

/*
 * The canonical form of a GET message: standard base64 with '+', '/'
 * and '=' percent-encoded, no line breaks.  dst must hold
 * scep_message_encoded_len(len) bytes; returns the bytes written.
 */
size_t scep_message_encoded_len(size_t len);
size_t scep_message_encode(unsigned char *dst, const unsigned char *src,
    size_t len);


/*
 * What the escaped text of a GET message= showed of its encoding
 * (scep.message.query_encoding), a bit per entry, the names in
 * scep_query_encodings[] in this order.
 */

typedef enum {
    SCEP_QENC_PERCENT = 0,            /* %XX escapes of base64 characters */
    SCEP_QENC_RAW,                    /* '+', '/' or '=' unescaped */
    SCEP_QENC_RAW_PLUS,               /* a raw '+', or one that came as a
                                         space: a form decoder reads it
                                         as a space */
    SCEP_QENC_BASE64URL,              /* '-' or '_', escaped or not */
    SCEP_QENC_LINE_BREAKS,            /* CR or LF, escaped or not */
    SCEP_QENC_COUNT
} scep_query_encoding_e;

extern const char  *scep_query_encodings[SCEP_QENC_COUNT];

unsigned scep_query_encoding(const unsigned char *p, size_t len);


/*
 * What went wrong at NDES, from Microsoft's troubleshooting guidance for
 * the device-to-NDES step (shared/NDES-NOTES.md): the table in
 * scep_tables.c holds each code and its hint, and for the codes NDES
 * itself reports (its error attribute, an HRESULT) the value and the
 * winerror.h symbol; scep_diagnose() holds the rules.
 */

typedef enum {
    SCEP_DIAG_NONE = 0,
    SCEP_DIAG_NDES_REACHABLE,
    SCEP_DIAG_NDES_INTERNAL_ERROR,
    SCEP_DIAG_NDES_RA_CERT_EXPIRED,
    SCEP_DIAG_NDES_APP_POOL_STOPPED,
    SCEP_DIAG_NDES_GATEWAY_TIMEOUT,
    SCEP_DIAG_NDES_UNREACHABLE,
    SCEP_DIAG_NDES_URI_TOO_LONG,
    SCEP_DIAG_PROXY_URI_TOO_LONG,
    SCEP_DIAG_SCEP_FAILURE,
    SCEP_DIAG_SCEP_FAILURE_BAD_ALG,
    SCEP_DIAG_SCEP_FAILURE_BAD_MESSAGE_CHECK,
    SCEP_DIAG_SCEP_FAILURE_BAD_REQUEST,
    SCEP_DIAG_SCEP_FAILURE_BAD_TIME,
    SCEP_DIAG_SCEP_FAILURE_BAD_CERT_ID,
    SCEP_DIAG_SCEP_PENDING,

    /* the upstream failure's class (scep.upstream.error) */
    SCEP_DIAG_NDES_BAD_GATEWAY,
    SCEP_DIAG_NDES_TLS_FAILED,
    SCEP_DIAG_NDES_CONNECT_TIMEOUT,
    SCEP_DIAG_NDES_READ_TIMEOUT,

    /* the operation's, not the server's */
    SCEP_DIAG_OPERATION_NOT_SUPPORTED,

    /* the client's */
    SCEP_DIAG_CLIENT_RAW_PLUS,
    SCEP_DIAG_CLIENT_BASE64URL,
    SCEP_DIAG_MESSAGE_TRUNCATED,
    SCEP_DIAG_DEVICE_CLOCK_BEHIND,
    SCEP_DIAG_DEVICE_CLOCK_AHEAD,

    /* a sequence's */
    SCEP_DIAG_RETRY_AFTER_TIMEOUT,

    /* RA certificates that cannot work (scep_warnings[]) */
    SCEP_DIAG_RA_CERT_EXPIRING,
    SCEP_DIAG_RA_CERT_NO_KEY_ENCIPHERMENT,
    SCEP_DIAG_RA_CERT_NO_DIGITAL_SIGNATURE,
    SCEP_DIAG_RA_CERT_NOT_ISSUED_BY_CA,
    SCEP_DIAG_NO_CA_CERT,

    /* NDES's own error code, an HRESULT: the entries with hresult set */
    SCEP_DIAG_NDES_ERROR_UNKNOWN,
    SCEP_DIAG_NDES_ERROR_UNSUPPORTED_CERT_TYPE,
    SCEP_DIAG_NDES_ERROR_NO_CERT_TYPE,
    SCEP_DIAG_NDES_ERROR_TEMPLATE_DENIED,
    SCEP_DIAG_NDES_ERROR_ENROLL_DENIED,
    SCEP_DIAG_NDES_ERROR_BAD_REQUESTSUBJECT,
    SCEP_DIAG_NDES_ERROR_KEY_LENGTH,
    SCEP_DIAG_NDES_ERROR_NO_REQUEST,
    SCEP_DIAG_NDES_ERROR_ADMIN_DENIED_REQUEST,
    SCEP_DIAG_NDES_ERROR_UNTRUSTEDROOT,
    SCEP_DIAG_NDES_ERROR_CHAINING,
    SCEP_DIAG_NDES_ERROR_EXPIRED,
    SCEP_DIAG_NDES_ERROR_REVOKED,
    SCEP_DIAG_NDES_ERROR_REVOCATION_OFFLINE,
    SCEP_DIAG_NDES_ERROR_NO_REVOCATION_CHECK,
    SCEP_DIAG_NDES_ERROR_BAD_DATA,
    SCEP_DIAG_NDES_ERROR_BAD_SIGNATURE,
    SCEP_DIAG_NDES_ERROR_BAD_KEYSET,
    SCEP_DIAG_NDES_ERROR_NOT_FOUND,
    SCEP_DIAG_NDES_ERROR_INVALIDARG,
    SCEP_DIAG_NDES_ERROR_ACCESSDENIED,
    SCEP_DIAG_NDES_ERROR_RPC_SERVER_UNAVAILABLE,
    SCEP_DIAG_NDES_ERROR_FAIL,

    SCEP_DIAG_COUNT
} scep_diag_e;


typedef struct {
    const char                *code;
    const char                *hint;
    uint32_t                   hresult;          /* NDES's error code */
    const char                *symbol;          /* as winerror.h names it */
} scep_diag_def_t;


/* the class of an upstream failure (scep.upstream.error) */

typedef enum {
    SCEP_UPSTREAM_OK = 0,
    SCEP_UPSTREAM_REFUSED,
    SCEP_UPSTREAM_RESET,
    SCEP_UPSTREAM_TLS,
    SCEP_UPSTREAM_CONNECT_TIMEOUT,
    SCEP_UPSTREAM_READ_TIMEOUT,
    SCEP_UPSTREAM_HTTP,               /* it answered, with a 4xx or 5xx */
    SCEP_UPSTREAM_ERROR_COUNT
} scep_upstream_error_e;

extern const char  *scep_upstream_errors[SCEP_UPSTREAM_ERROR_COUNT];


/*
 * What a GetCACert answer says of RA certificates that cannot work
 * (scep.response.warnings): each with its diagnosis, and whether it
 * explains a later failure of a PKIOperation at that upstream (a 500 or a
 * FAILURE badMessageCheck).  scep_warnings[] in scep_tables.c.
 */

typedef enum {
    SCEP_WARN_RA_CERT_EXPIRED = 0,
    SCEP_WARN_RA_CERT_EXPIRING,
    SCEP_WARN_RA_CERT_NO_KEY_ENCIPHERMENT,
    SCEP_WARN_RA_CERT_NO_DIGITAL_SIGNATURE,
    SCEP_WARN_RA_CERT_NOT_ISSUED_BY_CA,
    SCEP_WARN_NO_CA_CERT,
    SCEP_WARN_COUNT
} scep_warning_e;


typedef struct {
    const char                *code;
    const char                *says;           /* in the error log */
    scep_diag_e                diagnosis;
    unsigned                   explains_failure:1;
} scep_warning_def_t;

extern const scep_warning_def_t  scep_warnings[SCEP_WARN_COUNT];


#define SCEP_CLOCK_SKEW_MAX    300          /* seconds, either way */


typedef struct {
    int                        upstream_status;  /* 0: no upstream answer */
    scep_upstream_error_e      upstream_error;
    scep_op_e                  op;
    scep_msg_type_e            msg_type;         /* the request's message */
    scep_reject_e              reject;

    unsigned                   bare_url:1;       /* operation none */
    unsigned                   proxy_uri_too_long:1;
    unsigned                   ra_expired:1;     /* last GetCACert of that
                                                    upstream */
    /* the GET message carried a raw '+', and went as it came */
    unsigned                   raw_plus:1;
    /* ... base64url ('-', '_'), which NDES does not read */
    unsigned                   base64url:1;
    /*
     * a truncated message holds all the bytes its ContentInfo declares:
     * an inner length overruns it, a malformed message, not a cut one
     */
    unsigned                   message_whole:1;
    /*
     * an earlier attempt of this transaction timed out or failed
     * upstream, or this message was sent before: the first may have
     * been issued
     */
    unsigned                   retry:1;
    unsigned                   has_ndes_error:1;
    unsigned                   has_clock_skew:1;

    unsigned                   answer_warnings;  /* bit per scep_warning_e,
                                                    of this GetCACert */
    unsigned                   ra_warnings;      /* ... of the upstream's
                                                    last GetCACert */
    uint32_t                   ndes_error;       /* the CertRep's HRESULT */
    long long                  clock_skew;       /* device minus edge, s */

    scep_pki_status_e          pki_status;
    scep_fail_info_e           fail_info;
} scep_situation_t;


extern const scep_diag_def_t  scep_diagnoses[SCEP_DIAG_COUNT];

scep_diag_e scep_diagnose(const scep_situation_t *s);

/* the entry of an HRESULT, SCEP_DIAG_NDES_ERROR_UNKNOWN when not known */
scep_diag_e scep_ndes_error_lookup(uint32_t hresult);


/* why an upstream answer was not decoded (the record's response.undecoded) */

typedef enum {
    SCEP_UNDECODED_NONE = 0,
    SCEP_UNDECODED_TOO_LARGE,
    SCEP_UNDECODED_ENCODED,
    SCEP_UNDECODED_MALFORMED,
    SCEP_UNDECODED_EMPTY,
    SCEP_UNDECODED_INCOMPLETE,
    SCEP_UNDECODED_PARTIAL,
    SCEP_UNDECODED_COUNT
} scep_undecoded_e;

extern const char  *scep_undecoded_names[SCEP_UNDECODED_COUNT];


/* how a device's flow stands (the record's flow.outcome) */

typedef enum {
    SCEP_OUTCOME_NONE = 0,
    SCEP_OUTCOME_ISSUED,
    SCEP_OUTCOME_PENDING,
    SCEP_OUTCOME_FAILED,
    SCEP_OUTCOME_REJECTED,
    SCEP_OUTCOME_COUNT
} scep_outcome_e;

extern const char  *scep_outcomes[SCEP_OUTCOME_COUNT];


/* the evidence a request joined its flow on (the record's flow.joined_by) */

typedef enum {
    SCEP_JOIN_NEW = 0,
    SCEP_JOIN_TRANSACTION,
    SCEP_JOIN_CONNECTION,
    SCEP_JOIN_ADDRESS,
    SCEP_JOIN_COUNT
} scep_join_e;

extern const char  *scep_joins[SCEP_JOIN_COUNT];


/*
 * The client family of a request (the record's scep.client, the client
 * label of scep_requests_total), from its User-Agent by the first
 * pattern of scep_client_patterns that matches; without one, from what
 * the request line says (SCEP_CLIENT_HTTP10, SCEP_CLIENT_HOST).
 */

typedef enum {
    SCEP_CLIENT_OTHER = 0,
    SCEP_CLIENT_IOS,
    SCEP_CLIENT_MACOS,
    SCEP_CLIENT_ANDROID,
    SCEP_CLIENT_WINDOWS,
    SCEP_CLIENT_NETWORK,
    SCEP_CLIENT_CERTMONGER,
    SCEP_CLIENT_SSCEP,
    SCEP_CLIENT_COUNT
} scep_client_e;

#define SCEP_CLIENT_HTTP10      0x01    /* the request line says HTTP/1.0 */
#define SCEP_CLIENT_HOST        0x02    /* the request has a Host */

/* only the start of a User-Agent is read: the patterns are near it */
#define SCEP_CLIENT_UA_MAX      512

typedef struct {
    const char                *has;      /* in the User-Agent, case kept */
    const char                *and_has;  /* and this too, or NULL */
    scep_client_e              client;
} scep_client_pattern_t;

extern const char  *scep_clients[SCEP_CLIENT_COUNT];
extern const scep_client_pattern_t  scep_client_patterns[];

scep_client_e scep_client_match(const unsigned char *ua, size_t len,
    unsigned flags);


#endif /* _SCEP_H_INCLUDED_ */
