/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * What NDES answered: a copy of the upstream's body, kept while every
 * buffer passes on unchanged, decoded when the last one has gone (a
 * CertRep, GetCACert certificates, GetCACaps).  What a GetCACert said of
 * the RA certificates goes to the diagnosis's zone (_diagnosis.c).
 *
 * Only the whole answer is decoded: a part of it (a 206, the range filter's
 * slice, a body shorter than its Content-Length) is recorded as partial,
 * and changes nothing that other requests read.  An answer from
 * proxy_cache is decoded as a fresh one.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_response.h"
#include "ngx_http_scep_diagnosis.h"
#include "ngx_http_scep_record.h"


static ngx_int_t ngx_http_scep_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_scep_capture(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_buf_t *b);
static void ngx_http_scep_undecoded(ngx_http_scep_ctx_t *ctx,
    scep_undecoded_e why, const char *detail);
static void ngx_http_scep_partial(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
static ngx_uint_t ngx_http_scep_fresh(ngx_http_request_t *r);
static void ngx_http_scep_response_detail(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, const char *detail);
static void ngx_http_scep_decode_response(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_certificates(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, u_char *p, size_t len);
static void ngx_http_scep_warn(ngx_http_request_t *r, ngx_str_t *addr,
    scep_certs_t *certs, scep_certs_warnings_t *w, ngx_uint_t warnings);
static scep_certs_t *ngx_http_scep_certs_decode(u_char *p, size_t len);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * NDES answers every GetCACert with the same bytes, and reading three
 * certificates with OpenSSL costs ~400 us: a worker keeps the last few
 * answers it decoded, compared byte for byte.
 */

#define NGX_HTTP_SCEP_CERTS_CACHE  4

typedef struct {
    u_char                    *body;
    size_t                     len;
    scep_certs_t               certs;
} ngx_http_scep_certs_cache_t;

static ngx_http_scep_certs_cache_t  ngx_http_scep_certs_cache[
                                                 NGX_HTTP_SCEP_CERTS_CACHE];
static ngx_uint_t                   ngx_http_scep_certs_next;


#define NGX_HTTP_SCEP_WARNED      64

/* CA certificates this worker has warned about, by SHA-256, round robin */
static u_char      ngx_http_scep_warned[NGX_HTTP_SCEP_WARNED][32];
static ngx_uint_t  ngx_http_scep_nwarned;


ngx_int_t
ngx_http_scep_response_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_scep_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_scep_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_header_filter(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t       *ctx;
    ngx_http_scep_loc_conf_t  *slcf;

    /* what post_action's location answers goes to nobody */

    if (r != r->main || r->post_action) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ctx->answer.status = r->headers_out.status;
    ctx->answer.tries = r->upstream_states ? r->upstream_states->nelts : 0;
    ctx->answer.sent = 1;

    /*
     * The location that took the request in says whether its answer is
     * inspected, wherever it came from (try_files, error_page).
     */

    if (r->upstream == NULL || ctx->request.op == SCEP_OP_NONE
        || ctx->request.op == SCEP_OP_UNKNOWN)
    {
        return ngx_http_next_header_filter(r);
    }

    slcf = ctx->conf;

    if (!ctx->request.taken || !slcf->inspect_response) {
        return ngx_http_next_header_filter(r);
    }

    /* nginx sets header_only for HEAD only after this filter */

    if (r->header_only || r->method == NGX_HTTP_HEAD) {
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.status == NGX_HTTP_PARTIAL_CONTENT) {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_PARTIAL,
                                "the upstream sent a part of the answer "
                                "(206)");
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.status != NGX_HTTP_OK) {
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_range) {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_PARTIAL,
                                "the upstream's answer has a Content-Range");
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_encoding
        && r->headers_out.content_encoding->value.len
        && ngx_strcasecmp(r->headers_out.content_encoding->value.data,
                          (u_char *) "identity") != 0)
    {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_ENCODED,
                                "the body has a Content-Encoding");
        return ngx_http_next_header_filter(r);
    }

    if (r->headers_out.content_length_n
        > (off_t) slcf->response_buffer_size)
    {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_TOO_LARGE,
                                "the body is larger than "
                                "scep_response_buffer_size");
        return ngx_http_next_header_filter(r);
    }

    ctx->answer.capture = 1;
    ctx->answer.length = r->headers_out.content_length_n;

    return ngx_http_next_header_filter(r);
}


/*
 * Every buffer passes on as it came; a copy is kept on the side.  The
 * range filter's header filter runs after this module's, its body filter
 * before: a 206 it made is seen here first.
 */

static ngx_int_t
ngx_http_scep_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t          *cl;
    ngx_http_scep_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_scep_module);

    if (ctx == NULL || !ctx->answer.capture) {
        return ngx_http_next_body_filter(r, in);
    }

    if (r->headers_out.status != NGX_HTTP_OK) {
        ngx_http_scep_partial(r, ctx);
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {

        if (ngx_http_scep_capture(r, ctx, cl->buf) != NGX_OK) {
            ctx->answer.capture = 0;
            break;
        }

        if (cl->buf->last_buf) {

            if (ctx->answer.length >= 0
                && (off_t) ctx->answer.body.len != ctx->answer.length)
            {
                ngx_http_scep_partial(r, ctx);
                break;
            }

            ctx->answer.capture = 0;
            ngx_http_scep_decode_response(r, ctx);
            break;
        }
    }

    return ngx_http_next_body_filter(r, in);
}


static ngx_int_t
ngx_http_scep_capture(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_buf_t *b)
{
    size_t                     size, n;
    ssize_t                    rd;
    ngx_http_scep_loc_conf_t  *slcf;

    size = ngx_buf_size(b);

    if (size == 0) {
        return NGX_OK;
    }

    slcf = ctx->conf;

    if (ctx->answer.body.len + size > slcf->response_buffer_size) {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_TOO_LARGE,
                                "the body is larger than "
                                "scep_response_buffer_size");
        return NGX_DECLINED;
    }

    if (ctx->answer.body.data == NULL) {
        n = (r->headers_out.content_length_n > 0)
            ? (size_t) r->headers_out.content_length_n
            : slcf->response_buffer_size;

        ctx->answer.body.data = ngx_pnalloc(r->pool, n);
        if (ctx->answer.body.data == NULL) {
            return NGX_ERROR;
        }

        ctx->answer.size = n;
    }

    if (ctx->answer.body.len + size > ctx->answer.size) {
        /* more than Content-Length announced: nginx will say so */
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_MALFORMED,
                                "the body is longer than its "
                                "Content-Length");
        return NGX_DECLINED;
    }

    if (ngx_buf_in_memory(b)) {
        ngx_memcpy(ctx->answer.body.data + ctx->answer.body.len, b->pos, size);

    } else {
        /* proxy_buffering wrote it to a temporary file */

        rd = ngx_read_file(b->file,
                           ctx->answer.body.data + ctx->answer.body.len,
                           size, b->file_pos);
        if (rd != (ssize_t) size) {
            return NGX_ERROR;
        }
    }

    ctx->answer.body.len += size;

    return NGX_OK;
}


/*
 * At log time: an answer still being captured never had its last buffer,
 * the upstream or the client broke off; nginx's error log says which.  Or
 * nginx sent something else in its place (the range filter's 416, which
 * clears the modules' contexts before this filter sees its body).
 */

void
ngx_http_scep_response_incomplete(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx)
{
    u_char  *p;

    if (!ctx->answer.capture) {
        return;
    }

    if (ngx_http_scep_status(r) != NGX_HTTP_OK) {
        ngx_http_scep_partial(r, ctx);
        return;
    }

    ctx->answer.capture = 0;
    ctx->answer.undecoded = SCEP_UNDECODED_INCOMPLETE;

    p = ngx_pnalloc(r->pool, sizeof("the answer stopped after  of  bytes")
                             + 2 * NGX_OFF_T_LEN);
    if (p == NULL) {
        ngx_str_null(&ctx->answer.detail);
        return;
    }

    ctx->answer.detail.data = p;

    if (r->headers_out.content_length_n >= 0) {
        p = ngx_sprintf(p, "the answer stopped after %uz of %O bytes",
                        ctx->answer.body.len, r->headers_out.content_length_n);

    } else {
        p = ngx_sprintf(p, "the answer stopped after %uz bytes",
                        ctx->answer.body.len);
    }

    ctx->answer.detail.len = p - ctx->answer.detail.data;
}


static void
ngx_http_scep_undecoded(ngx_http_scep_ctx_t *ctx, scep_undecoded_e why,
    const char *detail)
{
    ctx->answer.undecoded = why;
    ctx->answer.detail.data = (u_char *) detail;
    ctx->answer.detail.len = ngx_strlen(detail);
}


/*
 * Not the whole answer: the client asked for a range, nginx answered
 * something else in its place, or the body ended before its
 * Content-Length.
 */

static void
ngx_http_scep_partial(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    u_char      *p;
    ngx_uint_t   status;

    ctx->answer.capture = 0;
    ctx->answer.undecoded = SCEP_UNDECODED_PARTIAL;

    p = ngx_pnalloc(r->pool, sizeof("the client asked for a range: nginx "
                                    "sent  of the  bytes (206)")
                             + 2 * NGX_OFF_T_LEN);
    if (p == NULL) {
        ngx_str_null(&ctx->answer.detail);
        return;
    }

    ctx->answer.detail.data = p;

    status = ngx_http_scep_status(r);

    if (status == NGX_HTTP_PARTIAL_CONTENT
        && r->headers_out.content_length_n >= 0 && ctx->answer.length >= 0)
    {
        p = ngx_sprintf(p, "the client asked for a range: nginx sent %O of "
                        "the %O bytes (206)",
                        r->headers_out.content_length_n, ctx->answer.length);

    } else if (status == NGX_HTTP_PARTIAL_CONTENT) {
        p = ngx_sprintf(p, "the client asked for a range: nginx sent a part "
                        "of the answer (206)");

    } else if (status != NGX_HTTP_OK) {
        p = ngx_sprintf(p, "nginx answered %ui in place of the answer",
                        status);

    } else {
        p = ngx_sprintf(p, "the answer ended after %uz of its %O bytes",
                        ctx->answer.body.len, ctx->answer.length);
    }

    ctx->answer.detail.len = p - ctx->answer.detail.data;
}


/* the decoder's own sentence, which lives in pool memory */

static void
ngx_http_scep_response_detail(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, const char *detail)
{
    size_t  len;
    u_char *p;

    len = ngx_strlen(detail);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return;
    }

    ngx_memcpy(p, detail, len);

    ctx->answer.detail.data = p;
    ctx->answer.detail.len = len;
}


static void
ngx_http_scep_decode_response(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx)
{
    u_char         *p;
    size_t          len;
    scep_msg_t     *m;
    scep_reject_e   reason;

    p = ctx->answer.body.data;
    len = ctx->answer.body.len;

    if (len == 0) {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_EMPTY,
                                "the body is empty");
        return;
    }

    switch (ctx->request.op) {

    case SCEP_OP_PKIOPERATION:

        m = ngx_palloc(r->pool, sizeof(scep_msg_t));
        if (m == NULL) {
            return;
        }

        reason = scep_msg_decode(m, p, len);

        if (reason != SCEP_REJECT_NONE) {
            ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_MALFORMED,
                                    "");
            ngx_http_scep_response_detail(r, ctx, m->detail);
            return;
        }

        if (m->type != SCEP_MSG_CERTREP) {
            ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_MALFORMED,
                                    "the pkiMessage is not a CertRep");
            return;
        }

        ctx->answer.certrep = m;
        return;

    case SCEP_OP_GETCACERT:
    case SCEP_OP_GETNEXTCACERT:
        ngx_http_scep_certificates(r, ctx, p, len);
        return;

    case SCEP_OP_GETCACAPS:
        ctx->answer.caps = ngx_palloc(r->pool, sizeof(scep_caps_t));
        if (ctx->answer.caps) {
            scep_caps_decode(ctx->answer.caps, p, len);
        }

        return;

    default:
        return;
    }
}


/*
 * The certificates of a GetCACert answer, and what they say of the RA
 * certificates (scep_certs_check()).  What an upstream's fresh answer
 * says is shared with the other workers, and a warning is logged when it
 * changes, not at each request.  An expired or soon expiring CA
 * certificate is the 500 operators miss: warned about once per
 * certificate and worker.
 */

static void
ngx_http_scep_certificates(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    u_char *p, size_t len)
{
    time_t          now, ra_not_after;
    ngx_int_t       old;
    ngx_str_t      *addr;
    ngx_uint_t      i, k;
    scep_cert_t    *c;
    scep_certs_t   *certs, *cached;
    u_char          date[sizeof("1970-01-01T00:00:00Z")];

    cached = ngx_http_scep_certs_decode(p, len);

    if (cached == NULL) {
        return;
    }

    /* the cache slot may be reused before the log phase reads it */

    certs = ngx_palloc(r->pool, sizeof(scep_certs_t));
    if (certs == NULL) {
        return;
    }

    ngx_memcpy(certs, cached, sizeof(scep_certs_t));

    if (certs->n == 0) {
        ngx_http_scep_undecoded(ctx, SCEP_UNDECODED_MALFORMED, "");
        ngx_http_scep_response_detail(r, ctx, certs->detail);
        return;
    }

    ctx->answer.certs = certs;

    now = ngx_time();
    ra_not_after = 0;

    scep_certs_check(certs, now, &ctx->answer.warnings);

    for (i = 0; i < certs->n; i++) {
        c = &certs->certs[i];

        if (c->role == SCEP_CERT_RA
            && (ra_not_after == 0 || c->not_after < ra_not_after))
        {
            ra_not_after = (time_t) c->not_after;
        }

        if (c->role != SCEP_CERT_CA
            || c->not_after > now + SCEP_CERT_EXPIRY_WARN)
        {
            continue;
        }

        for (k = 0; k < NGX_HTTP_SCEP_WARNED; k++) {
            if (ngx_memcmp(ngx_http_scep_warned[k], c->id, 32) == 0) {
                break;
            }
        }

        if (k < NGX_HTTP_SCEP_WARNED) {
            continue;
        }

        ngx_memcpy(ngx_http_scep_warned[ngx_http_scep_nwarned++
                                        % NGX_HTTP_SCEP_WARNED],
                   c->id, 32);

        ngx_http_scep_iso8601(date, c->not_after);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "scep: %s certificate \"%s\" %s on %s",
                      scep_cert_roles[c->role], c->subject,
                      c->not_after < now ? "expired" : "expires", date);
    }

    /* the next CA's RA certificates do not explain today's failures */

    if (ctx->request.op != SCEP_OP_GETCACERT) {
        return;
    }

    addr = ngx_http_scep_upstream_addr(r, ctx);

    if (addr == NULL || !ngx_http_scep_fresh(r)) {
        return;
    }

    old = ngx_http_scep_ra_store(r, addr, ra_not_after,
                                 ctx->answer.warnings.warnings, certs);

    if (old >= 0) {
        ngx_http_scep_warn(r, addr, certs, &ctx->answer.warnings,
                           ctx->answer.warnings.warnings & ~(ngx_uint_t) old);
    }
}


/*
 * The warnings an upstream's answer has that its last one had not: one
 * line each.  The first words are those of the expiry warning before the
 * other warnings came, for the alerts that match them.
 */

static void
ngx_http_scep_warn(ngx_http_request_t *r, ngx_str_t *addr,
    scep_certs_t *certs, scep_certs_warnings_t *w, ngx_uint_t warnings)
{
    ngx_uint_t    k;
    scep_cert_t  *c;
    u_char        date[sizeof("1970-01-01T00:00:00Z")];

    for (k = 0; k < SCEP_WARN_COUNT; k++) {

        if (!(warnings & ((ngx_uint_t) 1 << k))) {
            continue;
        }

        if (w->cert[k] < 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "scep: the CA/RA answer %s (%s), upstream %V",
                          scep_warnings[k].says, scep_warnings[k].code, addr);
            continue;
        }

        c = &certs->certs[w->cert[k]];

        if (k == SCEP_WARN_RA_CERT_EXPIRED || k == SCEP_WARN_RA_CERT_EXPIRING)
        {
            ngx_http_scep_iso8601(date, c->not_after);

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "scep: ra certificate \"%s\" %s %s (%s), "
                          "upstream %V", c->subject, scep_warnings[k].says,
                          date, scep_warnings[k].code, addr);
            continue;
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "scep: ra certificate \"%s\" %s (%s), upstream %V",
                      c->subject, scep_warnings[k].says, scep_warnings[k].code,
                      addr);
    }
}


/*
 * The answer is what the upstream said now, not what proxy_cache kept of
 * an earlier one: only then does it tell the RA state of that upstream (a
 * HIT has no upstream address; a STALE or UPDATING one has that of the
 * upstream tried, which did not send it).
 */

static ngx_uint_t
ngx_http_scep_fresh(ngx_http_request_t *r)
{
#if (NGX_HTTP_CACHE)

    switch (r->upstream ? r->upstream->cache_status : 0) {

    case NGX_HTTP_CACHE_HIT:
    case NGX_HTTP_CACHE_STALE:
    case NGX_HTTP_CACHE_UPDATING:
        return 0;

    default:
        return 1;
    }

#else

    return 1;

#endif
}


/*
 * The certificates of a GetCACert body, from the worker's cache or decoded
 * into it; a failure is cached too, with n == 0 and the detail.
 */

static scep_certs_t *
ngx_http_scep_certs_decode(u_char *p, size_t len)
{
    ngx_uint_t                    i;
    ngx_http_scep_certs_cache_t  *c;

    for (i = 0; i < NGX_HTTP_SCEP_CERTS_CACHE; i++) {
        c = &ngx_http_scep_certs_cache[i];

        if (c->body && c->len == len && ngx_memcmp(c->body, p, len) == 0) {
            return &c->certs;
        }
    }

    c = &ngx_http_scep_certs_cache[ngx_http_scep_certs_next++
                                   % NGX_HTTP_SCEP_CERTS_CACHE];

    ngx_free(c->body);

    c->body = ngx_alloc(len, ngx_cycle->log);
    if (c->body == NULL) {
        c->len = 0;
        return NULL;
    }

    ngx_memcpy(c->body, p, len);
    c->len = len;

    if (scep_certs_decode(&c->certs, p, len) != 0) {
        c->certs.n = 0;
    }

    return &c->certs;
}


void
ngx_http_scep_certs_cache_free(void)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_SCEP_CERTS_CACHE; i++) {
        ngx_free(ngx_http_scep_certs_cache[i].body);
        ngx_http_scep_certs_cache[i].body = NULL;
    }
}
