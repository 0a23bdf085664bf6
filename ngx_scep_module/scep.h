
/*
 * SCEP decoding core: plain C and OpenSSL, no nginx types, so that every
 * parser of untrusted bytes here is unit-tested and fuzzed on its own.
 */


#ifndef _SCEP_H_INCLUDED_
#define _SCEP_H_INCLUDED_


#include <stddef.h>


/* SCEP operations (RFC 8894, section 4) as named by the query string */

typedef enum {
    SCEP_OP_NONE = 0,                 /* no operation: the bare-URL probe */
    SCEP_OP_UNKNOWN,
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
    SCEP_REJECT_MISSING_SENDER_NONCE,
    SCEP_REJECT_BAD_SENDER_NONCE,
    SCEP_REJECT_SIGNATURE_INVALID,
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
    const unsigned char       *message;     /* raw value of message= */
    size_t                     message_len;
    unsigned                   has_message:1;
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


#endif /* _SCEP_H_INCLUDED_ */
