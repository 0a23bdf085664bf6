/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * PKIOperation: the pkiMessage from the query (GET) or the body (POST),
 * decoded by scep_msg.c, checked against the location's policy, and its
 * signature verified with a per-worker cache of signer keys.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_message.h"


static ngx_int_t ngx_http_scep_message_decode(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf);
static ngx_int_t ngx_http_scep_message_from_query(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_str_t *msg);
static ngx_int_t ngx_http_scep_message_from_body(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf,
    ngx_str_t *msg);
static void ngx_http_scep_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_decode(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_str_t *msg);
static ngx_int_t ngx_http_scep_message_cut(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, scep_msg_t *m, scep_reject_e reason);
static void ngx_http_scep_clock_skew(ngx_http_scep_ctx_t *ctx,
    scep_msg_t *m);
static ngx_int_t ngx_http_scep_policy(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf);
static ngx_uint_t ngx_http_scep_elapsed(struct timespec *start);


#define NGX_HTTP_SCEP_KEY_CACHE  64
#define NGX_HTTP_SCEP_SUBJECT    512


static scep_key_cache_t  *ngx_http_scep_keys;


/*
 * Returns NGX_OK with ctx->verdict.reject set or not, NGX_DONE while the
 * body is read, NGX_ERROR.
 */

ngx_int_t
ngx_http_scep_message_check(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_loc_conf_t *slcf)
{
    ngx_int_t        rc;
    struct timespec  start;

    if (!ctx->message.parsed) {
        rc = ngx_http_scep_message_decode(r, ctx, slcf);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ctx->verdict.reject || ctx->message.msg == NULL) {
        return NGX_OK;
    }

    clock_gettime(CLOCK_MONOTONIC, &start);

    rc = ngx_http_scep_policy(r, ctx, slcf);

    ctx->message.decode_ns += ngx_http_scep_elapsed(&start);

    return rc;
}


/*
 * A variable of the message's fields asked for before the module's
 * decision, as a limit_req key in the preaccess phase: a GET carries the
 * message in its query, and it is decoded then, its policy and signature
 * left for the decision.  A POST's body is read only after the access
 * checks: its fields are empty until then.  Only once a "scep on"
 * location took the request in (its settings hold), and never after the
 * decision, nor for a request nginx refused before it.
 */

void
ngx_http_scep_message_peek(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    if (!ctx->request.taken || ctx->message.parsed || ctx->verdict.checked
        || ctx->request.op != SCEP_OP_PKIOPERATION
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || ctx->request.ambiguous || ctx->request.admin
        || r->unparsed_uri.len > ctx->conf->max_uri_length)
    {
        return;
    }

    (void) ngx_http_scep_message_decode(r, ctx, ctx->conf);
}


/* the message from the query or the body, and its decoding */

static ngx_int_t
ngx_http_scep_message_decode(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_loc_conf_t *slcf)
{
    ngx_int_t        rc;
    ngx_str_t        msg;
    struct timespec  start;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_scep_message_from_query(r, ctx, &msg);

    } else if (r->method == NGX_HTTP_POST) {
        ctx->message.post = 1;
        rc = ngx_http_scep_message_from_body(r, ctx, slcf, &msg);

    } else {
        ctx->message.parsed = 1;

        return ngx_http_scep_set_reject(r, ctx,
                                        SCEP_REJECT_METHOD_NOT_ALLOWED,
                                        "PKIOperation takes GET or POST, "
                                        "not %V", &r->method_name);
    }

    if (rc == NGX_DONE) {
        return rc;
    }

    ctx->message.parsed = 1;

    if (rc != NGX_OK || ctx->verdict.reject) {
        return rc;
    }

    if (msg.len > slcf->max_message_size) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_MESSAGE_TOO_LARGE,
                                        "message of %uz bytes exceeds "
                                        "scep_max_message_size %uz",
                                        msg.len, slcf->max_message_size);
    }

    /* the time the histogram scep_decode_seconds shows */

    clock_gettime(CLOCK_MONOTONIC, &start);

    rc = ngx_http_scep_decode(r, ctx, &msg);

    ctx->message.decoded = 1;
    ctx->message.decode_ns = ngx_http_scep_elapsed(&start);

    return rc;
}


static ngx_uint_t
ngx_http_scep_elapsed(struct timespec *start)
{
    struct timespec  end;

    clock_gettime(CLOCK_MONOTONIC, &end);

    return (end.tv_sec - start->tv_sec) * 1000000000
           + end.tv_nsec - start->tv_nsec;
}


/*
 * message= is percent-decoded ('+' stays '+': it is base64) and then
 * base64-decoded, both in place.  A text cut one character into a group
 * gives the bytes before it: the decoding says how far they go.
 */

static ngx_int_t
ngx_http_scep_message_from_query(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_str_t *msg)
{
    int      bad;
    u_char  *buf;
    size_t   n, len;

    if (!ctx->request.has_message || ctx->request.message_arg.len == 0) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_MISSING_MESSAGE,
                                        "a PKIOperation GET without "
                                        "message=");
    }

    buf = ngx_pnalloc(r->pool, ctx->request.message_arg.len + 3);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    ctx->message.encoding = scep_query_encoding(ctx->request.message_arg.data,
                                                ctx->request.message_arg.len);

    n = scep_unescape(buf, ctx->request.message_arg.data,
                      ctx->request.message_arg.len, 0);

    bad = scep_base64_decode(buf, &len, buf, n);

    if (bad == SCEP_BASE64_CUT) {
        ctx->message.cut = 1;

    } else if (bad) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_BAD_ENCODING,
                                        "message is not base64: byte 0x%02xd "
                                        "at offset %d of its decoded text",
                                        bad <= (int) n ? buf[bad - 1] : 0,
                                        bad - 1);
    }

    msg->data = buf;
    msg->len = len;

    return NGX_OK;
}


/*
 * The body is read here, before the upstream sees the request, as the
 * mirror module does: the phases resume when it is in.
 */

static ngx_int_t
ngx_http_scep_message_from_body(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf, ngx_str_t *msg)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (!ctx->message.body_read) {

        if (r->headers_in.content_length_n > (off_t) slcf->max_message_size) {
            return ngx_http_scep_set_reject(r, ctx,
                                            SCEP_REJECT_MESSAGE_TOO_LARGE,
                                            "body of %O bytes exceeds "
                                            "scep_max_message_size %uz",
                                            r->headers_in.content_length_n,
                                            slcf->max_message_size);
        }

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "scep: reading the request body");

        rc = ngx_http_read_client_request_body(r, ngx_http_scep_body_handler);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        ngx_http_finalize_request(r, NGX_DONE);
        return NGX_DONE;
    }

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_MISSING_MESSAGE,
                                        "a PKIOperation POST without a body");
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > (off_t) slcf->max_message_size) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_MESSAGE_TOO_LARGE,
                                        "body of %O bytes exceeds "
                                        "scep_max_message_size %uz",
                                        len, slcf->max_message_size);
    }

    /* one buffer in memory, perhaps followed by an empty last one */

    cl = r->request_body->bufs;
    b = cl->buf;

    if (!b->in_file && (off_t) (b->last - b->pos) == len) {
        msg->data = b->pos;
        msg->len = b->last - b->pos;
        return NGX_OK;
    }

    /* in several buffers, or written to a temporary file */

    p = ngx_pnalloc(r->pool, (size_t) len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    msg->data = p;
    msg->len = (size_t) len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_size(b) == 0) {
            continue;
        }

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "scep: could not read the request body from %V",
                          &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    return NGX_OK;
}


static void
ngx_http_scep_body_handler(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx) {
        ctx->message.body_read = 1;
    }

    r->preserve_body = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_scep_decode(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_str_t *msg)
{
    size_t          n;
    ngx_int_t       rc;
    scep_msg_t     *m;
    scep_reject_e   reason;
    u_char          subject[NGX_HTTP_SCEP_SUBJECT];

    m = ngx_palloc(r->pool, sizeof(scep_msg_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    ctx->message.msg = m;
    ctx->message.der = *msg;

    reason = scep_msg_decode(m, msg->data, msg->len);

    if (ctx->message.cut || reason) {
        rc = ctx->message.cut
             ? ngx_http_scep_message_cut(r, ctx, m, reason)
             : ngx_http_scep_set_reject(r, ctx, reason, "%s", m->detail);

        /*
         * Refused for another reason, the message may still carry a
         * transactionID: offered only as bounded and safe as below (the
         * check's detail goes nowhere, the reason's is copied).
         */

        ctx->message.txid_safe = (scep_msg_check_transaction_id(m)
                                  == SCEP_REJECT_NONE);
        return rc;
    }

    n = scep_msg_signer_subject(ngx_http_scep_keys, m, (char *) subject,
                                sizeof(subject));
    if (n) {
        ctx->message.signer_subject.data = ngx_pnalloc(r->pool, n);
        if (ctx->message.signer_subject.data == NULL) {
            return NGX_ERROR;
        }

        ctx->message.signer_subject.len = n;
        ngx_memcpy(ctx->message.signer_subject.data, subject, n);
    }

    if (m->signer_cert.len) {
        ctx->message.signer_id = ngx_palloc(r->pool,
                                            sizeof(scep_signer_id_t));
        if (ctx->message.signer_id == NULL) {
            return NGX_ERROR;
        }

        (void) scep_signer_id(ctx->message.signer_id, m);
    }

    ngx_http_scep_clock_skew(ctx, m);

    /* bounded, and safe in a header or a log line, before it is offered */

    reason = scep_msg_check_transaction_id(m);

    if (reason) {
        return ngx_http_scep_set_reject(r, ctx, reason, "%s", m->detail);
    }

    ctx->message.txid_safe = 1;

    return NGX_OK;
}


/*
 * A base64 text that ends one character into a group was cut on its way
 * (a URL limit, a proxy): what its bytes decoded to, against what the
 * message declares, says how much is missing.  All of it there, the
 * character is a stray one.
 */

static ngx_int_t
ngx_http_scep_message_cut(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    scep_msg_t *m, scep_reject_e reason)
{
    ngx_str_t  *der;

    if (reason == SCEP_REJECT_NONE
        || (m->declared && m->size >= m->declared))
    {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_BAD_ENCODING,
                                        "the base64 ends with a single "
                                        "character after the whole "
                                        "message (%uz bytes decoded)",
                                        m->size);
    }

    if (m->declared) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_TRUNCATED,
                                        "the base64 ends one character "
                                        "into a group: cut after %uz bytes "
                                        "of the %uz the message declares",
                                        m->size, m->declared);
    }

    der = &ctx->message.der;

    if (der->len >= 2 && der->data[1] == 0x80) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_TRUNCATED,
                                        "the base64 ends one character "
                                        "into a group: cut after %uz bytes "
                                        "of a message of indefinite length "
                                        "(BER)", m->size);
    }

    return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_TRUNCATED,
                                    "the base64 ends one character into a "
                                    "group: cut after %uz bytes", m->size);
}


/*
 * How far the device's clock is from this edge's: signingTime says when
 * it signed.  Without it, a self-issued signer certificate that starts in
 * the future was made by a clock ahead; one that starts in the past tells
 * nothing, as the certificate may be old.
 */

static void
ngx_http_scep_clock_skew(ngx_http_scep_ctx_t *ctx, scep_msg_t *m)
{
    time_t  now;

    now = ngx_time();

    if (m->has_signing_time) {
        ctx->message.clock_skew = (time_t) (m->signing_time - now);
        ctx->message.clock_source = "signing_time";

    } else if (m->signer_self_issued && m->has_signer_not_before
               && m->signer_not_before > now)
    {
        ctx->message.clock_skew = (time_t) (m->signer_not_before - now);
        ctx->message.clock_source = "signer_not_before";
    }
}


/* the location's policy, then the signature */

static ngx_int_t
ngx_http_scep_policy(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_loc_conf_t *slcf)
{
    scep_msg_t  *m;
    char         detail[128];

    m = ctx->message.msg;

    if (!scep_msg_types[m->type].request) {
        return ngx_http_scep_set_reject(r, ctx,
                                        SCEP_REJECT_UNKNOWN_MESSAGE_TYPE,
                                        "%s (%s) is not a request",
                                        scep_msg_types[m->type].name,
                                        scep_msg_types[m->type].code);
    }

    if (!(slcf->message_types & ((ngx_uint_t) 1 << m->type))) {
        return ngx_http_scep_set_reject(r, ctx,
                                        SCEP_REJECT_MESSAGE_TYPE_NOT_ALLOWED,
                                        "%s is not in scep_message_types",
                                        scep_msg_types[m->type].name);
    }

    if (!slcf->verify_signature) {
        return NGX_OK;
    }

    /*
     * A key outside the limits is refused before any public-key operation
     * (its cost is the sender's choice), and in monitor mode too the
     * signature is left unchecked.
     */

    if (scep_msg_signer_key(ngx_http_scep_keys, m, detail, sizeof(detail))
        != 0)
    {
        return ngx_http_scep_set_reject(r, ctx,
                                        SCEP_REJECT_SIGNER_KEY_UNSUPPORTED,
                                        "%s", detail);
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "scep: verifying the signature");

    ctx->message.signature = scep_msg_verify(ngx_http_scep_keys, m, detail,
                                             sizeof(detail));

    if (ctx->message.signature == SCEP_SIG_INVALID) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_SIGNATURE_INVALID,
                                        "%s", detail);
    }

    return NGX_OK;
}


/*
 * scep_normalize_message: the GET message goes on re-encoded as
 * percent-encoded standard base64, the other parameters byte for byte,
 * so that an upstream that form-decodes the query (a raw '+' read as a
 * space) or knows one alphabet only reads what the module read.
 *
 * The query is read again as it stands (a rewrite may have changed it):
 * only when it still names the operation and the message once each, and
 * carries the very message decoded, is its value replaced.  The new one
 * holds letters, digits and escapes, no '&' and no '=', so no parameter
 * can be added or renamed.  proxy_pass without a URI part sends
 * r->unparsed_uri while it is valid, with one the path and r->args: both
 * get the new query ($request_uri, $args and $arg_message show it; the
 * record and $request keep what the client sent).
 */

ngx_int_t
ngx_http_scep_message_normalize(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx)
{
    u_char        *p, *q, *args, *value, *end;
    size_t         path, len;
    ngx_str_t     *der;
    scep_query_t   query;

    if (!ctx->conf->normalize_message
        || ctx->request.op != SCEP_OP_PKIOPERATION
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || !ctx->message.decoded || ctx->message.cut
        || ctx->message.normalized)
    {
        return NGX_OK;
    }

    scep_query_parse(&query, r->args.data, r->args.len, 0);

    if (query.ambiguous_operation || query.ambiguous_message
        || query.op != SCEP_OP_PKIOPERATION
        || query.message_len != ctx->request.message_arg.len
        || ngx_memcmp(query.message, ctx->request.message_arg.data,
                      query.message_len) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "scep: message not normalised: the query was "
                      "changed after the module read it");
        return NGX_OK;
    }

    path = 0;

    if (r->valid_unparsed_uri) {
        p = ngx_strlchr(r->unparsed_uri.data,
                        r->unparsed_uri.data + r->unparsed_uri.len, '?');

        end = r->unparsed_uri.data + r->unparsed_uri.len;

        if (p == NULL || (size_t) (end - p - 1) != r->args.len
            || ngx_memcmp(p + 1, r->args.data, r->args.len) != 0)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "scep: message not normalised: the request URI "
                          "and its arguments differ");
            return NGX_OK;
        }

        path = p - r->unparsed_uri.data + 1;
    }

    der = &ctx->message.der;
    value = (u_char *) query.message;

    len = path + (value - r->args.data)
          + scep_message_encoded_len(der->len)
          + (r->args.data + r->args.len - (value + query.message_len));

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q = ngx_cpymem(p, r->unparsed_uri.data, path);
    args = q;
    q = ngx_cpymem(q, r->args.data, value - r->args.data);
    q += scep_message_encode(q, der->data, der->len);
    q = ngx_cpymem(q, value + query.message_len,
                   r->args.data + r->args.len - (value + query.message_len));

    if (path) {
        r->unparsed_uri.data = p;
        r->unparsed_uri.len = q - p;
    }

    r->args.data = args;
    r->args.len = q - args;

    ctx->message.normalized = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "scep: message normalised, args \"%V\"", &r->args);

    return NGX_OK;
}


ngx_int_t
ngx_http_scep_keys_init(ngx_cycle_t *cycle)
{
    ngx_http_scep_keys = scep_key_cache_create(NGX_HTTP_SCEP_KEY_CACHE);

    if (ngx_http_scep_keys == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "scep: could not create the signer key cache");
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_scep_keys_done(ngx_cycle_t *cycle)
{
    if (ngx_http_scep_keys) {
        scep_key_cache_destroy(ngx_http_scep_keys);
        ngx_http_scep_keys = NULL;
    }
}
