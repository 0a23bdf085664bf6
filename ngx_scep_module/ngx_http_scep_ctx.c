/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The request's context: made on first use, in the main request, from the
 * request line as the client sent it; and the module's verdict on it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"


static ngx_int_t ngx_http_scep_init_ctx(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
static ngx_uint_t ngx_http_scep_admin_path(ngx_str_t *uri);
static void ngx_http_scep_spelling(ngx_str_t *name, const u_char *p,
    size_t len, const char *usual);
static ngx_uint_t ngx_http_scep_core_uri(ngx_http_request_t *r,
    ngx_str_t *uri);
#if (NGX_HTTP_V2)
static ngx_uint_t ngx_http_scep_v2_path_too_long(ngx_http_request_t *r);
#endif
static void ngx_http_scep_cleanup(void *data);
static scep_client_e ngx_http_scep_client(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);


/*
 * The context lives in the main request and survives internal redirects
 * (which clear module contexts) through its pool cleanup, as realip's does.
 * It is created on first use, by the rewrite phase handler or by a
 * variable, and only where SCEP inspection applies.
 */

ngx_http_scep_ctx_t *
ngx_http_scep_get_ctx(ngx_http_request_t *r)
{
    ngx_uint_t                 core;
    ngx_pool_cleanup_t        *cln;
    ngx_http_scep_ctx_t       *ctx;
    ngx_http_scep_loc_conf_t  *slcf;

    r = r->main;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    ctx = ngx_http_get_module_ctx(r, ngx_http_scep_module);

    if (ctx == NULL) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_scep_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_scep_module);
                break;
            }
        }
    }

    /*
     * A context that a variable made at the server level, and that no
     * "scep on" location took in, holds nothing where scep is off.
     */

    if (ctx) {
        return (ctx->request.taken || ctx->request.by_nginx || slcf->enable)
               ? ctx : NULL;
    }

    /*
     * A request that never ran the phases was answered by nginx core
     * (a request line longer than large_client_header_buffers, say) with
     * the server's configuration: it is SCEP traffic if the server has a
     * SCEP location.
     */

    core = (r->phase_handler == 0);

    if (!slcf->enable && !(core && slcf->server_scep)) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_scep_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->conf = slcf;
    ctx->request.by_nginx = core;

    if (ngx_http_scep_init_ctx(r, ctx) != NGX_OK) {
        return NULL;
    }

    cln->handler = ngx_http_scep_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_scep_module);

    return ctx;
}


/*
 * The record shows the path and the arguments as the client sent them,
 * before any rewrite.
 */

static ngx_int_t
ngx_http_scep_init_ctx(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    u_char                    *p, *last;
    ngx_str_t                  uri;
    ngx_uint_t                 v2;
    scep_query_t               query;
    ngx_http_core_srv_conf_t  *cscf;

    v2 = 0;

    if (ctx->request.by_nginx) {
        ctx->request.args_truncated = ngx_http_scep_core_uri(r, &uri);

#if (NGX_HTTP_V2)
        if (!ctx->request.args_truncated
            && ngx_http_scep_v2_path_too_long(r))
        {
            /* nothing of the URI was kept: no path, no operation */
            ctx->request.args_truncated = 1;
            v2 = 1;
        }
#endif

    } else {
        uri = r->unparsed_uri;

        ctx->request.admin = ngx_http_scep_admin_path(&r->uri);
    }

    /* no URI: NULL, and NULL + 0 is undefined in C */

    p = uri.data;
    last = p ? p + uri.len : NULL;

    ctx->request.path.data = p;

    while (p < last && *p != '?') {
        p++;
    }

    ctx->request.path.len = p - ctx->request.path.data;

    if (p < last) {
        ctx->request.args.data = p + 1;
        ctx->request.args.len = last - p - 1;
    }

    if (ctx->request.args_truncated) {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

        ctx->verdict.reject = SCEP_REJECT_URI_TOO_LONG;
        ctx->verdict.by_nginx = 1;
        ctx->verdict.detail.data = ngx_pnalloc(r->pool, NGX_SIZE_T_LEN + 100);
        if (ctx->verdict.detail.data == NULL) {
            return NGX_ERROR;
        }

        if (v2) {
            p = ngx_sprintf(ctx->verdict.detail.data,
                            "HTTP/2 :path longer than "
                            "large_client_header_buffers size %uz: nginx "
                            "ended the connection (GOAWAY)",
                            cscf->large_client_header_buffers.size);

        } else {
            p = ngx_sprintf(ctx->verdict.detail.data,
                            "request line longer than "
                            "large_client_header_buffers size %uz",
                            cscf->large_client_header_buffers.size);
        }

        ctx->verdict.detail.len = p - ctx->verdict.detail.data;
    }

    ctx->request.client = ngx_http_scep_client(r, ctx);

    scep_query_parse(&query, ctx->request.args.data, ctx->request.args.len,
                     ctx->request.args_truncated);

    ctx->request.op = query.op;
    ctx->request.operation.data = (u_char *) query.operation;
    ctx->request.operation.len = query.operation_len;
    ctx->request.message_arg.data = (u_char *) query.message;
    ctx->request.message_arg.len = query.message_len;
    ctx->request.has_message = query.has_message;

    /* IIS reads "OPERATION" or "m%65ssage" as it reads the usual names */

    ngx_http_scep_spelling(&ctx->request.operation_name,
                           query.operation_name, query.operation_name_len,
                           "operation");
    ngx_http_scep_spelling(&ctx->request.message_name,
                           query.message_name, query.message_name_len,
                           "message");

    if (query.ambiguous_operation) {
        ctx->request.ambiguous = "operation";

    } else if (query.ambiguous_message) {
        ctx->request.ambiguous = "message";
    }

    if (ctx->request.op == SCEP_OP_NONE && ctx->request.args_truncated) {
        /* the operation may be in the part nginx did not read */
        ctx->request.op = SCEP_OP_UNKNOWN;
    }

    if (scep_ops[query.op].ca_ident && query.has_message) {
        ctx->request.ca_ident.data = ngx_pnalloc(r->pool, query.message_len);
        if (ctx->request.ca_ident.data == NULL) {
            return NGX_ERROR;
        }

        ctx->request.ca_ident.len = scep_unescape(ctx->request.ca_ident.data,
                                                  query.message,
                                                  query.message_len,
                                                  SCEP_UNESCAPE_FORM);
    }

    return NGX_OK;
}


/*
 * The admin page hands out challenge passwords to whoever loads it.
 * r->uri is decoded and merged as IIS reads a path, and it is read before
 * the location's rewrites; IIS ignores letter case and takes a backslash
 * for a slash.
 */

static ngx_uint_t
ngx_http_scep_admin_path(ngx_str_t *uri)
{
    u_char  *p, *last;

    if (uri->len == 0) {
        return 0;
    }

    p = uri->data;
    last = p + uri->len;

    for ( ;; ) {
        p = ngx_strlcasestrn(p, last, (u_char *) "mscep_admin",
                             sizeof("mscep_admin") - 2);

        if (p == NULL) {
            return 0;
        }

        if (p > uri->data && (p[-1] == '/' || p[-1] == '\\')) {
            return 1;
        }

        p++;
    }
}


/* a parameter's name as spelled, kept when it is not the usual one */

static void
ngx_http_scep_spelling(ngx_str_t *name, const u_char *p, size_t len,
    const char *usual)
{
    if (p == NULL
        || (len == ngx_strlen(usual) && ngx_strncmp(p, usual, len) == 0))
    {
        return;
    }

    name->data = (u_char *) p;
    name->len = len;
}


/*
 * nginx core answered before it parsed the URI: take it from what was read
 * of the request line, "METHOD SP URI ...".  When the line was too long,
 * the URI runs to the end of what was read and its last argument is cut:
 * the function says so.
 */

static ngx_uint_t
ngx_http_scep_core_uri(ngx_http_request_t *r, ngx_str_t *uri)
{
    u_char  *p, *last;

    ngx_str_null(uri);

    if (r->request_line.data == NULL) {
        return 0;
    }

    p = r->request_line.data;
    last = p + r->request_line.len;

    while (p < last && *p != ' ') {
        p++;
    }

    while (p < last && *p == ' ') {
        p++;
    }

    uri->data = p;

    while (p < last && *p != ' ' && *p != CR && *p != LF) {
        p++;
    }

    uri->len = p - uri->data;

    return (p == last
            && r->headers_out.status == NGX_HTTP_REQUEST_URI_TOO_LARGE);
}


#if (NGX_HTTP_V2)

/*
 * Over HTTP/2, a header field longer than large_client_header_buffers
 * makes nginx end the whole connection (GOAWAY, ENHANCE_YOUR_CALM) while
 * it reads the stream's header block: the stream's request has no request
 * line and no status.  What the parser was reading then says it was the
 * value of :path, refused on its length before a byte of it was read; a
 * client that went away sets c->error, one that stopped in the value
 * leaves field_rest.  The same in 1.22 and 1.31: the HPACK state is read
 * field by field.
 */

static ngx_uint_t
ngx_http_scep_v2_path_too_long(ngx_http_request_t *r)
{
    ngx_http_v2_state_t       *st;
    ngx_http_v2_connection_t  *h2c;

    if (r->stream == NULL || r->request_line.len
        || ngx_http_scep_status(r) != 0)
    {
        return 0;
    }

    h2c = r->stream->connection;
    st = &h2c->state;

    return (h2c->goaway && !h2c->connection->error
            && !h2c->connection->timedout
            && st->parse_value && !st->parse_name && st->field_rest == 0
            && st->header.name.len == sizeof(":path") - 1
            && ngx_strncmp(st->header.name.data, ":path",
                           sizeof(":path") - 1) == 0);
}

#endif


static void
ngx_http_scep_cleanup(void *data)
{
    /* a marker that finds the context after an internal redirect */
}


/* the reason and a sentence, for the record, the variables and the log */

ngx_int_t
ngx_http_scep_set_reject(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    scep_reject_e reason, const char *fmt, ...)
{
    u_char   *last;
    va_list   args;
    u_char    detail[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    last = ngx_vslprintf(detail, detail + sizeof(detail), fmt, args);
    va_end(args);

    ctx->verdict.reject = reason;
    ctx->verdict.detail.len = last - detail;
    ctx->verdict.detail.data = ngx_pnalloc(r->pool, last - detail);
    if (ctx->verdict.detail.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->verdict.detail.data, detail, last - detail);

    return NGX_OK;
}


/*
 * At log time: a request that nginx core refused on its own, with no
 * verdict of the module, has nginx's reason.  A body over
 * client_max_body_size is answered 413 before the module's handler runs
 * (a Content-Length) or while the module reads it (chunked), and never
 * reaches the upstream.
 */

ngx_int_t
ngx_http_scep_core_verdict(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (ctx->verdict.reject != SCEP_REJECT_NONE
        || ngx_http_scep_status(r) != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
        || (r->upstream_states && r->upstream_states->nelts))
    {
        return NGX_OK;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ctx->verdict.by_nginx = 1;

    return ngx_http_scep_set_reject(r, ctx, SCEP_REJECT_MESSAGE_TOO_LARGE,
                                    "request body larger than "
                                    "client_max_body_size %O",
                                    clcf->client_max_body_size);
}


/*
 * The status the client was answered with, as nginx's $status says it (an
 * error_page keeps the error's status in err_status), but 0, not 9, for a
 * request without one: the record then has no status_code.  After
 * post_action, whose location answers nobody, it is what the header
 * filter saw go out.
 */

ngx_uint_t
ngx_http_scep_status(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t  *ctx;

    if (r->post_action) {
        ctx = ngx_http_scep_get_ctx(r);

        if (ctx && ctx->answer.status) {
            return ctx->answer.status;
        }
    }

    if (r->err_status) {
        return r->err_status;
    }

    return r->headers_out.status;
}


/*
 * The client family, by the table of core/scep_tables.c.  A request nginx
 * core refused before a location may have had its headers left unread:
 * no User-Agent then says nothing of the client.
 */

static scep_client_e
ngx_http_scep_client(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    unsigned          flags;
    ngx_table_elt_t  *ua;

    flags = 0;

    if (r->http_version < NGX_HTTP_VERSION_11) {
        flags |= SCEP_CLIENT_HTTP10;
    }

    if (r->headers_in.host) {
        flags |= SCEP_CLIENT_HOST;
    }

    ua = r->headers_in.user_agent;

    if (ua == NULL) {
        return ctx->request.by_nginx ? SCEP_CLIENT_OTHER
                                     : scep_client_match(NULL, 0, flags);
    }

    return scep_client_match(ua->value.data, ua->value.len, flags);
}
