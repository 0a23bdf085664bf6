/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * ngx_http_scep_module: SCEP inspection at the edge, in front of NDES.
 *
 * The decoding of untrusted bytes lives in core/, free of nginx types;
 * this file holds the configuration, the request phase handler and the
 * log phase handler, which settles what is known only at the end.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_message.h"
#include "ngx_http_scep_response.h"
#include "ngx_http_scep_diagnosis.h"
#include "ngx_http_scep_flow.h"
#include "ngx_http_scep_metrics.h"
#include "ngx_http_scep_variables.h"
#include "ngx_http_scep_record.h"


static ngx_int_t ngx_http_scep_request_handler(ngx_http_request_t *r);
static u_char *ngx_http_scep_log_error(ngx_http_request_t *r,
    ngx_http_request_t *sr, u_char *buf, size_t len);
static ngx_int_t ngx_http_scep_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_check(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf);
static ngx_int_t ngx_http_scep_send_reject(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);

static void *ngx_http_scep_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_scep_init_main_conf(ngx_conf_t *cf, void *conf);
static char *ngx_http_scep_observer_name(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_scep_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_scep_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_scep_message_types(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_scep_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_scep_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_init_process(ngx_cycle_t *cycle);
static void ngx_http_scep_exit_process(ngx_cycle_t *cycle);


#define NGX_HTTP_SCEP_MAX_URI_LENGTH    65534
#define NGX_HTTP_SCEP_MAX_MESSAGE_SIZE  65536
#define NGX_HTTP_SCEP_RESPONSE_BUFFER_SIZE  65536


/* nginx's own r->log_handler, which the module's wraps */
static ngx_http_log_handler_pt  ngx_http_scep_log_error_next;


static ngx_command_t  ngx_http_scep_commands[] = {

    { ngx_string("scep"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, enable),
      NULL },

    { ngx_string("scep_max_uri_length"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, max_uri_length),
      NULL },

    { ngx_string("scep_max_message_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, max_message_size),
      NULL },

    { ngx_string("scep_reject"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, reject),
      NULL },

    { ngx_string("scep_verify_signature"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, verify_signature),
      NULL },

    { ngx_string("scep_inspect_response"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, inspect_response),
      NULL },

    { ngx_string("scep_response_buffer_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, response_buffer_size),
      NULL },

    { ngx_string("scep_flow_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_scep_flow_zone,
      0,
      0,
      NULL },

    { ngx_string("scep_observer_name"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_observer_name,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_flow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_flow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_reject_replay"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, reject_replay),
      NULL },

    { ngx_string("scep_normalize_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, normalize_message),
      NULL },

    { ngx_string("scep_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_scep_metrics,
      0,
      0,
      NULL },

    { ngx_string("scep_message_types"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_scep_message_types,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_scep_module_ctx = {
    ngx_http_scep_add_variables,           /* preconfiguration */
    ngx_http_scep_init,                    /* postconfiguration */

    ngx_http_scep_create_main_conf,        /* create main configuration */
    ngx_http_scep_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_scep_create_loc_conf,         /* create location configuration */
    ngx_http_scep_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_scep_module = {
    NGX_MODULE_V1,
    &ngx_http_scep_module_ctx,             /* module context */
    ngx_http_scep_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_scep_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_scep_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The rewrite phase takes the request in: its context keeps the request
 * as the client sent it, before the location's rewrites, and the
 * location's configuration.  Reading the query is all it costs; the
 * variables that need no more are ready from here on (limit_req keys).
 */

static ngx_int_t
ngx_http_scep_request_handler(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t       *ctx;
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    if (!slcf->enable || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_scep_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!ctx->request.taken) {
        ctx->conf = slcf;
        ctx->request.taken = 1;

        /*
         * What nginx logs of the request's upstream failures says what
         * they were: a handler that another module put in place is left
         * alone.
         */

        if (ngx_http_scep_log_error_next == NULL) {
            ngx_http_scep_log_error_next = r->log_handler;
        }

        if (r->log_handler == ngx_http_scep_log_error_next) {
            r->log_handler = ngx_http_scep_log_error;
        }
    }

    return NGX_DECLINED;
}


/*
 * nginx calls it for each error line of the request it writes (of level
 * "error" or more severe, those the error_log keeps): the action of a line
 * of the request's own upstream, and its try, are kept; the line itself
 * is nginx's.
 */

static u_char *
ngx_http_scep_log_error(ngx_http_request_t *r, ngx_http_request_t *sr,
    u_char *buf, size_t len)
{
    ngx_uint_t            action;
    const char           *text;
    ngx_http_scep_ctx_t  *ctx;

    text = r->connection->log->action;

    if (sr == r && r->upstream && r->upstream_states && text) {

        if (ngx_strcmp(text, "connecting to upstream") == 0) {
            action = NGX_HTTP_SCEP_ACTION_CONNECT;

        } else if (ngx_strcmp(text, "SSL handshaking to upstream") == 0) {
            action = NGX_HTTP_SCEP_ACTION_TLS;

        } else if (ngx_strcmp(text, "sending request to upstream") == 0) {
            action = NGX_HTTP_SCEP_ACTION_SEND;

        } else if (ngx_strcmp(text, "reading response header from upstream")
                   == 0)
        {
            action = NGX_HTTP_SCEP_ACTION_HEADER;

        } else {
            action = NGX_HTTP_SCEP_ACTION_NONE;
        }

        ctx = action ? ngx_http_scep_get_ctx(r) : NULL;

        if (ctx) {
            ctx->upstream.action = action;
            ctx->upstream.try = r->upstream_states->nelts;
        }
    }

    return ngx_http_scep_log_error_next(r, sr, buf, len);
}


/*
 * The module's decision comes in the precontent phase, once nginx's access
 * checks (allow, deny, auth_request, limit_req, limit_conn) have let the
 * request through: a request they refuse costs no body read, no decoding
 * and no signature check.  It is made once, with the settings of the
 * location that took the request in, wherever the request is by then.
 */

static ngx_int_t
ngx_http_scep_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_scep_ctx_t       *ctx;
    ngx_http_scep_loc_conf_t  *slcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_scep_get_ctx(r);

    /*
     * Only a request a "scep on" location took in is decided on; an
     * internal redirect brings it here again.
     */

    if (ctx == NULL || !ctx->request.taken || ctx->verdict.checked) {
        return NGX_DECLINED;
    }

    /*
     * nginx refused the request before the module decided on it (deny,
     * limit_req, a return), and error_page or post_action brings it here:
     * it is not decided on, nor its body read, and a location that would
     * pass it on (proxy_pass and the like) answers nginx's status instead.
     */

    if (r->error_page || r->err_status || r->post_action) {
        ctx->verdict.checked = 1;

        if (r->content_handler == NULL) {
            return NGX_DECLINED;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "scep: not passed on: nginx refused the request "
                      "before the module decided on it");

        return (r->err_status >= NGX_HTTP_SPECIAL_RESPONSE)
               ? (ngx_int_t) r->err_status : NGX_HTTP_FORBIDDEN;
    }

    slcf = ctx->conf;

    /* the admin page is refused in monitor mode too */

    if (ctx->request.admin) {
        ctx->verdict.checked = 1;
        ctx->request.op = SCEP_OP_ADMIN;

        if (ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_ADMIN_PAGE,
                                     "the path names the NDES admin page")
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_scep_send_reject(r, ctx);
    }

    if (r->unparsed_uri.len > slcf->max_uri_length) {
        ctx->verdict.checked = 1;

        if (ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_URI_TOO_LONG,
                                     "request URI of %uz bytes exceeds "
                                     "scep_max_uri_length %uz",
                                     r->unparsed_uri.len,
                                     slcf->max_uri_length)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_scep_send_reject(r, ctx);
    }

    rc = ngx_http_scep_check(r, ctx, slcf);

    if (rc == NGX_DONE) {
        /* the body is being read; the phases resume when it is in */
        return NGX_DONE;
    }

    ctx->verdict.checked = 1;

    if (rc != NGX_OK) {
        return (rc >= NGX_HTTP_SPECIAL_RESPONSE)
               ? rc : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * A PKIOperation joins its flow now: its senderNonce is checked
     * against the zone before the upstream sees it.
     */

    if (ctx->verdict.reject == SCEP_REJECT_NONE && ctx->message.msg
        && slcf->flow)
    {
        ngx_http_scep_flow_update(r, ctx);

        /* a client's retry, the very same bytes, is let through */

        if (ctx->flow.replay && !ctx->flow.retransmission
            && slcf->reject_replay
            && ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_REPLAY,
                                        "the senderNonce was seen before, "
                                        "in another message, in flow "
                                        "%016uxL", ctx->flow.replay_of)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ctx->verdict.reject == SCEP_REJECT_NONE) {
        return (ngx_http_scep_message_normalize(r, ctx) == NGX_OK)
               ? NGX_DECLINED : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* size limits always hold; the rest is policy, off in monitor mode */

    if (slcf->reject || ctx->verdict.reject == SCEP_REJECT_MESSAGE_TOO_LARGE) {
        return ngx_http_scep_send_reject(r, ctx);
    }

    ctx->verdict.forwarded = 1;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "scep: forwarded in monitor mode (scep_reject off), "
                  "%s: %V", scep_rejects[ctx->verdict.reject].name,
                  &ctx->verdict.detail);

    return (ngx_http_scep_message_normalize(r, ctx) == NGX_OK)
           ? NGX_DECLINED : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_int_t
ngx_http_scep_check(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_loc_conf_t *slcf)
{
    if (ctx->request.ambiguous) {
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_AMBIGUOUS_QUERY,
                                        "more than one parameter names %s "
                                        "(letter case folded, the name "
                                        "percent-decoded)",
                                        ctx->request.ambiguous);
    }

    switch (ctx->request.op) {

    case SCEP_OP_NONE:

        /* the bare URL is NDES's health probe: it answers 403 */

        if (ctx->request.args.len == 0) {
            return NGX_OK;
        }

        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_MISSING_OPERATION,
                                        "the query has no operation=");

    case SCEP_OP_UNKNOWN:
        return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_UNKNOWN_OPERATION,
                                        "operation \"%V\" is not a SCEP "
                                        "operation", &ctx->request.operation);

    case SCEP_OP_PKIOPERATION:
        return ngx_http_scep_message_check(r, ctx, slcf);

    default:
        if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
            return NGX_OK;
        }

        return ngx_http_scep_set_reject(r, ctx,
                                        SCEP_REJECT_METHOD_NOT_ALLOWED,
                                        "%s takes GET, not %V",
                                        scep_ops[ctx->request.op].name,
                                        &r->method_name);
    }
}


/*
 * A rejected request is answered here, with the reason in a short text
 * body, and never reaches the upstream.
 */

static ngx_int_t
ngx_http_scep_send_reject(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    u_char           *p;
    size_t            len;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;
    const char       *name;

    name = scep_rejects[ctx->verdict.reject].name;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "scep: rejected, %s: %V", name, &ctx->verdict.detail);

    /*
     * As nginx's own error pages do: no "100 Continue" for a body that will
     * be thrown away, and no keepalive after a request too large.
     */

    r->expect_tested = 1;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(name) + sizeof(": ") - 1 + ctx->verdict.detail.len + 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(b->last, "%s: %V\n", name, &ctx->verdict.detail);
    b->last = p;
    b->last_buf = 1;
    b->last_in_chain = 1;

    r->headers_out.status = scep_rejects[ctx->verdict.reject].status;

    if (ctx->verdict.reject == SCEP_REJECT_MESSAGE_TOO_LARGE
        && !ctx->message.post)
    {
        /* over GET the message is in the URI */
        r->headers_out.status = NGX_HTTP_REQUEST_URI_TOO_LARGE;
    }

    if (r->headers_out.status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
        || r->headers_out.status == NGX_HTTP_REQUEST_URI_TOO_LARGE)
    {
        r->keepalive = 0;
    }

    if (ctx->verdict.reject == SCEP_REJECT_METHOD_NOT_ALLOWED) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");

        if (ctx->request.op == SCEP_OP_PKIOPERATION) {
            ngx_str_set(&h->value, "GET, POST");

        } else {
            ngx_str_set(&h->value, "GET");
        }
    }

    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}


static void *
ngx_http_scep_create_main_conf(ngx_conf_t *cf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     smcf->observer_name = { 0, NULL };
     */

    return ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_main_conf_t));
}


/*
 * The edge's name in every record (observer.hostname): when there are
 * several edges behind a balancer, which one saw the request.  nginx's
 * own host name (gethostname(), lowercased) unless scep_observer_name
 * says otherwise; the record repairs whatever bytes the system gave.
 */

static char *
ngx_http_scep_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    if (smcf->observer_name.data == NULL) {
        smcf->observer_name = cf->cycle->hostname;
        smcf->observer_name.len = ngx_min(smcf->observer_name.len,
                                          NGX_HTTP_SCEP_OBSERVER_NAME_MAX);
    }

    return NGX_CONF_OK;
}


/*
 * scep_observer_name name: a SIEM keys on it and JSON carries it, so
 * only a name a host name could be, or any printable UTF-8 text: no
 * control byte, no invalid UTF-8, none empty, at most 255 bytes.
 */

static char *
ngx_http_scep_observer_name(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    u_char     *p, *last, *buf;
    ngx_str_t  *value;

    if (smcf->observer_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > NGX_HTTP_SCEP_OBSERVER_NAME_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_observer_name must be 1 to %d bytes",
                           NGX_HTTP_SCEP_OBSERVER_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    /*
     * ngx_utf8_decode() takes surrogates and any byte of 0x80 or more as
     * a continuation: the name is valid UTF-8 if the core leaves it as is
     */

    buf = ngx_pnalloc(cf->temp_pool, 3 * value[1].len);
    if (buf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (scep_utf8_sanitize(buf, value[1].data, value[1].len) != value[1].len
        || ngx_memcmp(buf, value[1].data, value[1].len) != 0)
    {
        goto invalid;
    }

    p = value[1].data;
    last = p + value[1].len;

    while (p < last) {

        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7f) {
                goto invalid;
            }

            p++;
            continue;
        }

        /* the C1 controls, U+0080 .. U+009F: NEL ends a line for some */

        if (ngx_utf8_decode(&p, last - p) < 0xa0) {
            goto invalid;
        }
    }

    smcf->observer_name = value[1];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "scep_observer_name has a control character "
                       "or is not UTF-8");

    return NGX_CONF_ERROR;
}


static void *
ngx_http_scep_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_scep_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->server_scep = 0;
     *     conf->uri_warned = 0;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->reject = NGX_CONF_UNSET;
    conf->verify_signature = NGX_CONF_UNSET;
    conf->message_types = NGX_CONF_UNSET_UINT;
    conf->max_uri_length = NGX_CONF_UNSET_SIZE;
    conf->max_message_size = NGX_CONF_UNSET_SIZE;
    conf->inspect_response = NGX_CONF_UNSET;
    conf->response_buffer_size = NGX_CONF_UNSET_SIZE;
    conf->flow = NGX_CONF_UNSET_PTR;
    conf->reject_replay = NGX_CONF_UNSET;
    conf->normalize_message = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_scep_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_scep_loc_conf_t *prev = parent;
    ngx_http_scep_loc_conf_t *conf = child;

    ngx_uint_t                 t, requests;
    ngx_http_core_srv_conf_t  *cscf;
    ngx_http_scep_loc_conf_t  *srv;

    requests = 0;

    for (t = SCEP_MSG_NONE + 1; t < SCEP_MSG_COUNT; t++) {
        if (scep_msg_types[t].request) {
            requests |= (ngx_uint_t) 1 << t;
        }
    }

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->reject, prev->reject, 1);
    ngx_conf_merge_value(conf->verify_signature, prev->verify_signature, 1);
    ngx_conf_merge_uint_value(conf->message_types, prev->message_types,
                              requests);
    ngx_conf_merge_size_value(conf->max_uri_length, prev->max_uri_length,
                              NGX_HTTP_SCEP_MAX_URI_LENGTH);
    ngx_conf_merge_size_value(conf->max_message_size, prev->max_message_size,
                              NGX_HTTP_SCEP_MAX_MESSAGE_SIZE);
    ngx_conf_merge_value(conf->inspect_response, prev->inspect_response, 1);
    ngx_conf_merge_ptr_value(conf->flow, prev->flow, NULL);
    ngx_conf_merge_value(conf->reject_replay, prev->reject_replay, 0);
    ngx_conf_merge_value(conf->normalize_message, prev->normalize_message,
                         0);
    ngx_conf_merge_size_value(conf->response_buffer_size,
                              prev->response_buffer_size,
                              NGX_HTTP_SCEP_RESPONSE_BUFFER_SIZE);

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    /*
     * Merging runs server by server, the server level first: mark that
     * level, which is the configuration of requests nginx core answers.
     */

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);
    srv = cscf->ctx->loc_conf[ngx_http_scep_module.ctx_index];

    srv->server_scep = 1;

    if (conf->max_uri_length > cscf->large_client_header_buffers.size
        && !srv->uri_warned)
    {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "scep_max_uri_length %uz exceeds "
                      "large_client_header_buffers size %uz in server \"%V\": "
                      "nginx answers 414 to longer request lines before the "
                      "scep module sees them (over HTTP/2 it ends the whole "
                      "connection with GOAWAY, every stream of the device "
                      "with it), and iOS sends PKIOperation GET requests of "
                      "about 10 KB",
                      conf->max_uri_length,
                      cscf->large_client_header_buffers.size,
                      &cscf->server_name);

        srv->uri_warned = 1;
    }

    return NGX_CONF_OK;
}


/* scep_message_types PKCSReq RenewalReq ...: names from scep_msg_types */

static char *
ngx_http_scep_message_types(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i, t;

    if (slcf->message_types != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    slcf->message_types = 0;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        for (t = SCEP_MSG_NONE + 1; t < SCEP_MSG_COUNT; t++) {
            if (scep_msg_types[t].request
                && ngx_strcmp(value[i].data, scep_msg_types[t].name) == 0)
            {
                break;
            }
        }

        if (t == SCEP_MSG_COUNT) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is not a SCEP request message type",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        slcf->message_types |= (ngx_uint_t) 1 << t;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_scep_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * Handlers added last run first: the request is taken in before the
     * location's own rewrite directives, and decided on before try_files
     * and mirror, in the precontent phase.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_scep_request_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_scep_handler;

    /*
     * The log phase runs its handlers in order: this one goes first, before
     * access_log, so that the flow is joined, the metrics counted and the
     * record made once, whatever number of access_log directives want it.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h = cmcf->phases[NGX_HTTP_LOG_PHASE].handlers.elts;
    ngx_memmove(&h[1], &h[0], (cmcf->phases[NGX_HTTP_LOG_PHASE].handlers.nelts
                               - 1) * sizeof(ngx_http_handler_pt));
    h[0] = ngx_http_scep_log_handler;

    if (ngx_http_scep_metrics_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_scep_diagnosis_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_scep_response_init(cf);
}


/*
 * What is known only once the request is over is settled here, first in
 * the log phase, once and in this order: nginx core's own refusal, the
 * answer's decoding, the final status, the flow, the diagnosis, the
 * metrics.  The record and the variables of every access_log then read
 * the same facts, whatever order a log_format names them in.
 */

static ngx_int_t
ngx_http_scep_log_handler(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t  *ctx;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx == NULL || ctx->end.done) {
        return NGX_OK;
    }

    if (ngx_http_scep_core_verdict(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_scep_response_incomplete(r, ctx);

    ctx->end.status = ngx_http_scep_status(r);
    ctx->end.upstream_error = ngx_http_scep_upstream_error(r, ctx);

    /* nothing is decided after this: the flow may be joined now */

    ctx->verdict.checked = 1;

    ngx_http_scep_flow_update(r, ctx);

    ctx->end.diagnosis = ngx_http_scep_diagnose(r, ctx);

    ngx_http_scep_metrics_count(r, ctx);

    ctx->end.done = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_init_process(ngx_cycle_t *cycle)
{
    if (ngx_http_scep_keys_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_scep_json_init();

    return ngx_http_scep_flow_init_process(cycle);
}


static void
ngx_http_scep_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_scep_keys_done(cycle);
    ngx_http_scep_flow_exit_process(cycle);
    ngx_http_scep_certs_cache_free();
}
