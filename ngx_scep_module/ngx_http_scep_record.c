/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The JSON record of a request, ECS field names where ECS has them and the
 * rest under "scep".  It is the value of $scep_log_json: nginx's own
 * access_log writes it (files, buffering, syslog, if=).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_record.h"
#include "ngx_http_scep_diagnosis.h"
#include "ngx_http_scep_flow.h"


static json_t *ngx_http_scep_json_object(json_t *parent, const char *key);
static void ngx_http_scep_json_const(json_t *obj, const char *key,
    const char *value);
static void ngx_http_scep_json_int(json_t *obj, const char *key,
    json_int_t value);
static void ngx_http_scep_json_string_repair(json_t *obj, const char *key,
    u_char *data, size_t len);
static void ngx_http_scep_json_text(json_t *obj, const char *key,
    u_char *data, size_t len, ngx_uint_t field);
static size_t ngx_http_scep_json_fit(u_char *p, size_t len, size_t max,
    size_t *cost);
static size_t ngx_http_scep_dn_cut(u_char *p, size_t n);
static ngx_uint_t ngx_http_scep_bytes_eq(const u_char *a, size_t alen,
    const u_char *b, size_t blen);
static void ngx_http_scep_record_warnings(json_t *obj,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_request(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, json_t *root);
static void ngx_http_scep_record_names(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_message(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_reject(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
static const char *ngx_http_scep_record_outcome(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_uint_t status);
static void ngx_http_scep_record_upstream(ngx_http_request_t *r,
    json_t *scep, ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_flow(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_diagnosis(ngx_http_request_t *r,
    json_t *scep, ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_response(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_ndes_error(json_t *response,
    uint32_t hresult);
static u_char *ngx_http_scep_iso8601_ms(u_char *buf, uint64_t ms);
static void *ngx_http_scep_json_alloc(size_t size);
static void ngx_http_scep_json_free(void *p);


/*
 * While a record is made, jansson allocates from the request's pool: no
 * malloc() and free() for each value, and no tree to walk and free after;
 * the pool goes with the request.  Outside, jansson is left to malloc().
 */

#define NGX_HTTP_SCEP_RECORD_SIZE  1024

static ngx_pool_t  *ngx_http_scep_json_pool;


/* the bytes a JSON string cannot hold as they are */
static u_char  ngx_http_scep_json_escape[256];


/*
 * The strings of the record a client, or the upstream, controls: each is
 * cut at a UTF-8 boundary to take at most max bytes between its quotes,
 * escapes included, and its name is then listed in scep.truncated (the
 * arrays: when not all is listed).  With these bounds no record is longer
 * than 8 KB (t/082-bounds.t builds the longest); docs/scep-log.schema.json
 * names the same fields and limits.
 */

#define NGX_HTTP_SCEP_CUT_USER_AGENT      0
#define NGX_HTTP_SCEP_CUT_METHOD          1
#define NGX_HTTP_SCEP_CUT_PATH            2
#define NGX_HTTP_SCEP_CUT_CA_IDENT        3
#define NGX_HTTP_SCEP_CUT_TRANSACTION_ID  4
#define NGX_HTTP_SCEP_CUT_SIGNER          5
#define NGX_HTTP_SCEP_CUT_REJECT_DETAIL   6
#define NGX_HTTP_SCEP_CUT_UPSTREAM_ADDR   7
#define NGX_HTTP_SCEP_CUT_RESPONSE_TID    8
#define NGX_HTTP_SCEP_CUT_RESPONSE_DETAIL 9
#define NGX_HTTP_SCEP_CUT_CAPS            10
#define NGX_HTTP_SCEP_CUT_CERTIFICATES    11
#define NGX_HTTP_SCEP_CUT_CERT_SUBJECT    12
#define NGX_HTTP_SCEP_CUT_CERT_ISSUER     13
#define NGX_HTTP_SCEP_CUT_WARNING_SUBJECT 14

typedef struct {
    const char                *name;
    size_t                     max;
    ngx_uint_t                 dn;           /* RFC 2253: not cut in an
                                                escape */
} ngx_http_scep_cut_t;

static ngx_http_scep_cut_t  ngx_http_scep_cuts[] = {
    { "user_agent.original", 256, 0 },
    { "http.request.method", 32, 0 },
    { "url.path", 256, 0 },
    { "scep.ca_ident", 128, 0 },
    { "scep.message.transaction_id", 128, 0 },
    { "scep.message.signer.subject", 256, 1 },
    { "scep.reject.detail", 256, 0 },
    { "scep.upstream.addr", 128, 0 },
    { "scep.response.transaction_id", 128, 0 },
    { "scep.response.detail", 256, 0 },
    { "scep.response.caps", 1024, 0 },           /* the whole array */
    { "scep.response.certificates", 0, 0 },      /* see certificates_total */
    { "scep.response.certificates[].subject", 128, 1 },
    { "scep.response.certificates[].issuer", 128, 1 },
    { "scep.response.warnings[].subject", 128, 1 },
    { NULL, 0, 0 }
};

/* what was cut in the record being made, a bit for each of the above */
static ngx_uint_t  ngx_http_scep_json_cut;


void
ngx_http_scep_json_init(void)
{
    ngx_uint_t  c;

    json_set_alloc_funcs(ngx_http_scep_json_alloc, ngx_http_scep_json_free);

    for (c = 0; c < 0x20; c++) {
        ngx_http_scep_json_escape[c] = 1;
    }

    ngx_http_scep_json_escape['"'] = 1;
    ngx_http_scep_json_escape['\\'] = 1;
}


static void *
ngx_http_scep_json_alloc(size_t size)
{
    if (ngx_http_scep_json_pool) {
        return ngx_palloc(ngx_http_scep_json_pool, size);
    }

    return malloc(size);
}


static void
ngx_http_scep_json_free(void *p)
{
    if (ngx_http_scep_json_pool == NULL) {
        free(p);
    }
}


/*
 * The dump.  jansson's own escapes a string a code point at a time and
 * prints numbers with snprintf(): three quarters of what a record cost.
 * This one copies the runs of bytes that need no escape as they are (the
 * strings are valid UTF-8: jansson checked them, or the module repaired
 * them) and prints numbers with ngx_sprintf(), into the request's pool.
 */

typedef struct {
    ngx_pool_t                 *pool;
    u_char                     *start;
    u_char                     *pos;
    u_char                     *end;
} ngx_http_scep_json_buf_t;


static ngx_int_t
ngx_http_scep_json_reserve(ngx_http_scep_json_buf_t *b, size_t size)
{
    u_char  *p;
    size_t   n;

    if ((size_t) (b->end - b->pos) >= size) {
        return NGX_OK;
    }

    n = ngx_max(2 * (size_t) (b->end - b->start),
                (size_t) (b->pos - b->start) + size);

    p = ngx_pnalloc(b->pool, n);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b->pos = ngx_cpymem(p, b->start, b->pos - b->start);
    b->start = p;
    b->end = p + n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_json_dump_string(ngx_http_scep_json_buf_t *b, const char *s,
    size_t len)
{
    u_char         c, *p, *last, *run;
    static u_char  hex[] = "0123456789abcdef";

    /* each byte escaped as \u00XX at worst, and the quotes */

    if (ngx_http_scep_json_reserve(b, 6 * len + 2) != NGX_OK) {
        return NGX_ERROR;
    }

    p = (u_char *) s;
    last = p + len;

    *b->pos++ = '"';

    while (p < last) {

        for (run = p; p < last && !ngx_http_scep_json_escape[*p]; p++) {
            /* void */
        }

        b->pos = ngx_cpymem(b->pos, run, p - run);

        if (p == last) {
            break;
        }

        c = *p++;
        *b->pos++ = '\\';

        switch (c) {
        case '"':
        case '\\':
            *b->pos++ = c;
            break;
        case '\n':
            *b->pos++ = 'n';
            break;
        case '\r':
            *b->pos++ = 'r';
            break;
        case '\t':
            *b->pos++ = 't';
            break;
        case '\b':
            *b->pos++ = 'b';
            break;
        case '\f':
            *b->pos++ = 'f';
            break;
        default:
            *b->pos++ = 'u';
            *b->pos++ = '0';
            *b->pos++ = '0';
            *b->pos++ = hex[c >> 4];
            *b->pos++ = hex[c & 0xf];
        }
    }

    *b->pos++ = '"';

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_json_dump(ngx_http_scep_json_buf_t *b, json_t *v)
{
    size_t       i, n;
    void        *it;
    json_t      *e;
    const char  *key;
    ngx_uint_t   first;

    if (ngx_http_scep_json_reserve(b, NGX_INT64_LEN + 8) != NGX_OK) {
        return NGX_ERROR;
    }

    switch (json_typeof(v)) {

    case JSON_OBJECT:
        *b->pos++ = '{';
        first = 1;

        /* json_object_foreach() looks each next key up again */

        for (it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            key = json_object_iter_key(it);
            e = json_object_iter_value(it);

            if (!first) {
                *b->pos++ = ',';
            }

            first = 0;

            /*
             * the keys are the module's own literals, set with _nocheck:
             * printable ASCII, nothing to escape
             */

            n = ngx_strlen(key);

            if (ngx_http_scep_json_reserve(b, n + 3) != NGX_OK) {
                return NGX_ERROR;
            }

            *b->pos++ = '"';
            b->pos = ngx_cpymem(b->pos, key, n);
            *b->pos++ = '"';
            *b->pos++ = ':';

            if (ngx_http_scep_json_dump(b, e) != NGX_OK
                || ngx_http_scep_json_reserve(b, 1) != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        *b->pos++ = '}';
        break;

    case JSON_ARRAY:
        *b->pos++ = '[';

        json_array_foreach(v, i, e) {
            if (i) {
                *b->pos++ = ',';
            }

            if (ngx_http_scep_json_dump(b, e) != NGX_OK
                || ngx_http_scep_json_reserve(b, 1) != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        *b->pos++ = ']';
        break;

    case JSON_STRING:
        return ngx_http_scep_json_dump_string(b, json_string_value(v),
                                              json_string_length(v));

    case JSON_INTEGER:
        b->pos = ngx_sprintf(b->pos, "%L", (int64_t) json_integer_value(v));
        break;

    case JSON_REAL:
        /* seconds with milliseconds: the only reals of the record */
        b->pos = ngx_sprintf(b->pos, "%.3f", json_real_value(v));
        break;

    case JSON_TRUE:
        b->pos = ngx_cpymem(b->pos, "true", 4);
        break;

    case JSON_FALSE:
        b->pos = ngx_cpymem(b->pos, "false", 5);
        break;

    default:
        b->pos = ngx_cpymem(b->pos, "null", 4);
        break;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_scep_record(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_str_t *out)
{
    json_t                    *root, *scep, *list;
    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_http_scep_json_buf_t   buf;

    ngx_http_scep_json_pool = r->pool;
    ngx_http_scep_json_cut = 0;

    root = json_object();
    if (root == NULL) {
        ngx_http_scep_json_pool = NULL;
        return NGX_ERROR;
    }

    ngx_http_scep_record_request(r, ctx, root);

    scep = ngx_http_scep_json_object(root, "scep");
    ngx_http_scep_json_const(scep, "operation", scep_ops[ctx->request.op].name);
    ngx_http_scep_json_const(scep, "client",
                             scep_clients[ctx->request.client]);

    if (ctx->request.ca_ident.data) {
        ngx_http_scep_json_text(scep, "ca_ident", ctx->request.ca_ident.data,
                                ctx->request.ca_ident.len,
                                NGX_HTTP_SCEP_CUT_CA_IDENT);
    }

    if (ctx->request.operation_name.data || ctx->request.message_name.data) {
        ngx_http_scep_record_names(scep, ctx);
    }

    if (ctx->message.msg) {
        ngx_http_scep_record_message(scep, ctx);
    }

    if (ctx->verdict.reject) {
        ngx_http_scep_record_reject(scep, ctx);
    }

    ngx_http_scep_record_upstream(r, scep, ctx);

    if (ctx->answer.certrep || ctx->answer.certs || ctx->answer.caps
        || ctx->answer.undecoded)
    {
        ngx_http_scep_record_response(scep, ctx);
    }

    /* before the log phase, as $scep_flow_id does: the flow so far */
    ngx_http_scep_flow_update(r, ctx);

    if (ctx->flow.joined) {
        ngx_http_scep_record_flow(scep, ctx);
    }

    ngx_http_scep_record_diagnosis(r, scep, ctx);

    if (ngx_http_scep_json_cut && scep) {
        list = json_array();

        for (i = 0; ngx_http_scep_cuts[i].name; i++) {
            if (ngx_http_scep_json_cut & ((ngx_uint_t) 1 << i)) {
                json_array_append_new(list,
                            json_string_nocheck(ngx_http_scep_cuts[i].name));
            }
        }

        json_object_set_new_nocheck(scep, "truncated", list);
    }

    buf.pool = r->pool;
    buf.start = ngx_pnalloc(r->pool, NGX_HTTP_SCEP_RECORD_SIZE);
    buf.pos = buf.start;
    buf.end = buf.start ? buf.start + NGX_HTTP_SCEP_RECORD_SIZE : NULL;

    rc = buf.start ? ngx_http_scep_json_dump(&buf, root) : NGX_ERROR;

    /* the values are the pool's: nothing to free */

    ngx_http_scep_json_pool = NULL;

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    out->data = buf.start;
    out->len = buf.pos - buf.start;

    return NGX_OK;
}


/*
 * event.outcome, the SCEP outcome: what NDES's CertRep said when there is
 * one; else a failure when the module refused the request, when the
 * upstream failed (no answer, a 5xx) or when the status is 400 or more,
 * but for NDES's healthy 403 to the bare URL.  A monitor-mode reject
 * that went to NDES has the outcome NDES gave it: scep.reject tells it.
 */

static const char *
ngx_http_scep_record_outcome(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    ngx_uint_t status)
{
    scep_upstream_error_e  err;

    if (ctx->verdict.reject && !ctx->verdict.forwarded) {
        return "failure";
    }

    if (ctx->answer.certrep) {

        switch (ctx->answer.certrep->pki_status) {
        case SCEP_STATUS_SUCCESS:
            return "success";
        case SCEP_STATUS_PENDING:
            return "unknown";
        case SCEP_STATUS_FAILURE:
            return "failure";
        default:
            break;
        }
    }

    err = ngx_http_scep_upstream_error(r, ctx);

    if (err != SCEP_UPSTREAM_OK && err != SCEP_UPSTREAM_HTTP) {
        return "failure";
    }

    if (status >= NGX_HTTP_BAD_REQUEST || status == 0) {
        return (ngx_http_scep_diagnose(r, ctx) == SCEP_DIAG_NDES_REACHABLE)
               ? "success" : "failure";
    }

    return "success";
}


/*
 * the ECS fields of any HTTP request: time, observer, source, user agent,
 * http, url
 */

static void
ngx_http_scep_record_request(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx,
    json_t *root)
{
    u_char                     *p, *last;
    ngx_str_t                   method;
    ngx_int_t                   ms;
    ngx_uint_t                  status;
    ngx_time_t                 *tp;
    json_t                     *obj, *sub;
    ngx_http_scep_main_conf_t  *smcf;
    u_char                      ts[sizeof("1970-01-01T00:00:00.000Z")];

    ngx_http_scep_iso8601_ms(ts, (uint64_t) r->start_sec * 1000
                                 + r->start_msec);
    ngx_http_scep_json_const(root, "@timestamp", (char *) ts);

    tp = ngx_timeofday();
    ms = (ngx_int_t) ((tp->sec - r->start_sec) * 1000
                      + (tp->msec - r->start_msec));
    ms = ngx_max(ms, 0);

    /* before the log phase: how the request stands at this moment */

    status = ctx->end.done ? ctx->end.status : ngx_http_scep_status(r);

    obj = ngx_http_scep_json_object(root, "event");
    ngx_http_scep_json_int(obj, "duration", (json_int_t) ms * 1000000);
    ngx_http_scep_json_const(obj, "outcome",
                             ngx_http_scep_record_outcome(r, ctx, status));

    /* which edge saw it: the configuration's text, or the system's */

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    obj = ngx_http_scep_json_object(root, "observer");
    ngx_http_scep_json_string_repair(obj, "hostname",
                                     smcf->observer_name.data,
                                     smcf->observer_name.len);

    obj = ngx_http_scep_json_object(root, "source");
    ngx_http_scep_json_string_repair(obj, "ip", r->connection->addr_text.data,
                                     r->connection->addr_text.len);
    ngx_http_scep_json_int(obj, "port",
                           ngx_inet_get_port(r->connection->sockaddr));

    if (r->headers_in.user_agent) {
        obj = ngx_http_scep_json_object(root, "user_agent");
        ngx_http_scep_json_text(obj, "original",
                                r->headers_in.user_agent->value.data,
                                r->headers_in.user_agent->value.len,
                                NGX_HTTP_SCEP_CUT_USER_AGENT);
    }

    method = r->method_name;

    if (method.len == 0 && r->request_line.len) {
        /* nginx core answered before the method was parsed */
        p = r->request_line.data;
        last = p + r->request_line.len;

        method.data = p;

        while (p < last && *p != ' ') {
            p++;
        }

        method.len = p - method.data;
    }

    obj = ngx_http_scep_json_object(root, "http");
    sub = ngx_http_scep_json_object(obj, "request");

    if (method.len) {
        ngx_http_scep_json_text(sub, "method", method.data, method.len,
                                NGX_HTTP_SCEP_CUT_METHOD);
    }

    if (r->request_length) {
        /* nginx core does not count a request it answered early */
        ngx_http_scep_json_int(sub, "bytes", r->request_length);
    }

    sub = ngx_http_scep_json_object(obj, "response");

    if (status) {
        ngx_http_scep_json_int(sub, "status_code", status);
    }

    ngx_http_scep_json_int(sub, "bytes", r->connection->sent);

    obj = ngx_http_scep_json_object(root, "url");

    /* none when nginx kept nothing of the URI (an HTTP/2 :path too long) */

    if (ctx->request.path.data) {
        ngx_http_scep_json_text(obj, "path", ctx->request.path.data,
                                ctx->request.path.len, NGX_HTTP_SCEP_CUT_PATH);
    }

    if (!ctx->request.args_truncated) {
        ngx_http_scep_json_int(obj, "query_length", ctx->request.args.len);
    }
}


static void
ngx_http_scep_record_reject(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    json_t  *obj;

    obj = ngx_http_scep_json_object(scep, "reject");
    ngx_http_scep_json_const(obj, "reason",
                             scep_rejects[ctx->verdict.reject].name);
    ngx_http_scep_json_text(obj, "detail", ctx->verdict.detail.data,
                            ctx->verdict.detail.len,
                            NGX_HTTP_SCEP_CUT_REJECT_DETAIL);
    ngx_http_scep_json_const(obj, "stage",
                             ctx->verdict.by_nginx ? "nginx" : "module");
    json_object_set_new_nocheck(obj, "enforced",
                                json_boolean(!ctx->verdict.forwarded));
}


/*
 * The last upstream tried is the one that answered; an answer from
 * proxy_cache says so, as $upstream_cache_status does (a HIT tried none).
 */

static void
ngx_http_scep_record_upstream(ngx_http_request_t *r, json_t *scep,
    ngx_http_scep_ctx_t *ctx)
{
    json_t                     *obj;
    ngx_str_t                  *cache;
    scep_upstream_error_e       err;
    ngx_http_upstream_state_t  *state;

    cache = NULL;

#if (NGX_HTTP_CACHE)

    if (r->upstream && r->upstream->cache_status) {
        cache = &ngx_http_cache_status[r->upstream->cache_status - 1];
    }

#endif

    state = ngx_http_scep_upstream_state(r, ctx);

    if (state == NULL && cache == NULL) {
        return;
    }

    obj = ngx_http_scep_json_object(scep, "upstream");

    if (cache) {
        json_object_set_new_nocheck(obj, "cache_status",
                                    json_stringn_nocheck((char *) cache->data,
                                                         cache->len));
    }

    if (state == NULL) {
        return;
    }

    if (state->peer) {
        ngx_http_scep_json_text(obj, "addr", state->peer->data,
                                state->peer->len,
                                NGX_HTTP_SCEP_CUT_UPSTREAM_ADDR);
    }

    if (state->status) {
        ngx_http_scep_json_int(obj, "status", state->status);
    }

    if (state->response_time != (ngx_msec_t) -1) {
        json_object_set_new_nocheck(obj, "response_time",
                                json_real(state->response_time / 1000.0));
    }

    err = ngx_http_scep_upstream_error(r, ctx);

    if (err != SCEP_UPSTREAM_OK) {
        ngx_http_scep_json_const(obj, "error", scep_upstream_errors[err]);
    }
}


static void
ngx_http_scep_record_flow(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    u_char      *p;
    json_t      *obj, *seq;
    ngx_uint_t   i;
    u_char       id[NGX_INT64_LEN];
    u_char       ts[sizeof("1970-01-01T00:00:00.000Z")];

    obj = ngx_http_scep_json_object(scep, "flow");

    p = ngx_sprintf(id, "%016uxL", ctx->flow.id);
    json_object_set_new_nocheck(obj, "id", json_stringn((char *) id, p - id));
    ngx_http_scep_json_int(obj, "step", ctx->flow.step);

    ngx_http_scep_iso8601_ms(ts, ctx->flow.started);
    ngx_http_scep_json_const(obj, "started", (char *) ts);
    ngx_http_scep_json_const(obj, "joined_by",
                             scep_joins[ctx->flow.joined_by]);

    if (ctx->flow.moved) {
        json_object_set_new_nocheck(obj, "moved", json_true());
    }

    seq = json_array();

    for (i = 0; i < ctx->flow.nseq; i++) {
        json_array_append_new(seq,
                     json_string_nocheck(scep_ops[ctx->flow.seq[i]].name));
    }

    json_object_set_new_nocheck(obj, "sequence", seq);

    if (ctx->flow.outcome) {
        ngx_http_scep_json_const(obj, "outcome",
                                 scep_outcomes[ctx->flow.outcome]);
    }

    if (ctx->flow.nonce) {
        json_object_set_new_nocheck(obj, "replay",
                                    json_boolean(ctx->flow.replay));
    }
}


static void
ngx_http_scep_record_diagnosis(ngx_http_request_t *r, json_t *scep,
    ngx_http_scep_ctx_t *ctx)
{
    u_char       *p, *hint;
    size_t        len;
    json_t       *obj;
    ngx_msec_t    ms;
    scep_diag_e   diag;

    diag = ngx_http_scep_diagnose(r, ctx);

    if (diag == SCEP_DIAG_NONE) {
        return;
    }

    obj = ngx_http_scep_json_object(scep, "diagnosis");
    ngx_http_scep_json_const(obj, "code", scep_diagnoses[diag].code);

    if (diag != SCEP_DIAG_NDES_READ_TIMEOUT || r->upstream == NULL) {
        ngx_http_scep_json_const(obj, "hint", scep_diagnoses[diag].hint);
        return;
    }

    /* which timeout fired: the location's, as the request had it */

    ms = r->upstream->conf->read_timeout;
    len = ngx_strlen(scep_diagnoses[diag].hint);

    hint = ngx_pnalloc(r->pool, len + sizeof("; proxy_read_timeout is  ms")
                                + NGX_INT_T_LEN);
    if (hint == NULL) {
        ngx_http_scep_json_const(obj, "hint", scep_diagnoses[diag].hint);
        return;
    }

    p = ngx_cpymem(hint, scep_diagnoses[diag].hint, len);

    p = (ms % 1000) ? ngx_sprintf(p, "; proxy_read_timeout is %M ms", ms)
                    : ngx_sprintf(p, "; proxy_read_timeout is %M s",
                                  ms / 1000);

    json_object_set_new_nocheck(obj, "hint",
                                json_stringn_nocheck((char *) hint,
                                                     p - hint));
}


/*
 * The parameters' names, as the client spelled them, when that is not
 * "operation" and "message": read as IIS reads them, but worth seeing.
 */

static void
ngx_http_scep_record_names(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    json_t  *obj;

    obj = ngx_http_scep_json_object(scep, "parameter_names");

    if (ctx->request.operation_name.data) {
        ngx_http_scep_json_string_repair(obj, "operation",
                                         ctx->request.operation_name.data,
                                         ctx->request.operation_name.len);
    }

    if (ctx->request.message_name.data) {
        ngx_http_scep_json_string_repair(obj, "message",
                                         ctx->request.message_name.data,
                                         ctx->request.message_name.len);
    }
}


/* what was read of the pkiMessage, also when decoding stopped halfway */

static void
ngx_http_scep_record_message(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    json_t      *obj, *signer, *list;
    ngx_uint_t   i;
    scep_msg_t  *m;
    const char  *code;
    u_char       hex[2 * 64];
    u_char       fp[2 * 32];

    m = ctx->message.msg;

    obj = ngx_http_scep_json_object(scep, "message");

    if (m->type != SCEP_MSG_NONE) {
        ngx_http_scep_json_const(obj, "type", scep_msg_types[m->type].name);
        code = scep_msg_types[m->type].code;
        ngx_http_scep_json_int(obj, "type_code",
                               ngx_atoi((u_char *) code, ngx_strlen(code)));
    }

    if (m->transaction_id.data) {
        ngx_http_scep_json_text(obj, "transaction_id",
                                (u_char *) m->transaction_id.data,
                                m->transaction_id.len,
                                NGX_HTTP_SCEP_CUT_TRANSACTION_ID);
    }

    if (m->sender_nonce.data && m->sender_nonce.len <= sizeof(hex) / 2) {
        ngx_http_scep_json_string_repair(obj, "sender_nonce", hex,
                              ngx_hex_dump(hex, (u_char *) m->sender_nonce.data,
                                           m->sender_nonce.len)
                              - hex);
    }

    if (m->digest_alg >= 0) {
        ngx_http_scep_json_const(obj, "digest_algorithm",
                                 scep_digest_algs[m->digest_alg].name);
    }

    ngx_http_scep_json_const(obj, "encoding", m->ber ? "ber" : "der");
    ngx_http_scep_json_int(obj, "size", m->size);

    /* a cut message, or bytes after it */

    if (m->declared && m->declared != m->size) {
        ngx_http_scep_json_int(obj, "declared_size", m->declared);
    }

    ngx_http_scep_json_const(obj, "transport",
                             ctx->message.post ? "post" : "get");

    if (!ctx->message.post) {
        list = json_array();

        for (i = 0; i < SCEP_QENC_COUNT; i++) {
            if (ctx->message.encoding & (1 << i)) {
                json_array_append_new(list,
                            json_string_nocheck(scep_query_encodings[i]));
            }
        }

        json_object_set_new_nocheck(obj, "query_encoding", list);

        if (ctx->message.normalized) {
            json_object_set_new_nocheck(obj, "normalized", json_true());
        }
    }

    /* a replay (scep.flow.replay): is it the very message seen first? */

    if (ctx->flow.replay) {
        json_object_set_new_nocheck(obj, "retransmission",
                                    json_boolean(ctx->flow.retransmission));
    }

    if (ctx->message.signer_subject.len || ctx->message.signer_id) {
        signer = ngx_http_scep_json_object(obj, "signer");

        if (ctx->message.signer_subject.len) {
            ngx_http_scep_json_text(signer, "subject",
                                    ctx->message.signer_subject.data,
                                    ctx->message.signer_subject.len,
                                    NGX_HTTP_SCEP_CUT_SIGNER);
        }

        /* what the CA lists of the certificate, to find it there */

        if (ctx->message.signer_id) {
            ngx_http_scep_json_const(signer, "serial",
                                     ctx->message.signer_id->serial);
            ngx_hex_dump(fp, ctx->message.signer_id->fingerprint, 32);
            json_object_set_new_nocheck(signer, "fingerprint_sha256",
                                        json_stringn_nocheck((char *) fp,
                                                             sizeof(fp)));
        }
    }

    if (ctx->message.clock_source) {
        ngx_http_scep_json_int(obj, "clock_skew", ctx->message.clock_skew);
        ngx_http_scep_json_const(obj, "clock_source",
                                 ctx->message.clock_source);
    }

    if (ctx->verdict.reject == SCEP_REJECT_NONE
        || ctx->verdict.reject == SCEP_REJECT_SIGNATURE_INVALID
        || ctx->verdict.reject == SCEP_REJECT_SIGNER_KEY_UNSUPPORTED
        || ctx->message.signature != SCEP_SIG_UNCHECKED)
    {
        ngx_http_scep_json_const(obj, "signature",
                                 scep_sig_names[ctx->message.signature]);
    }
}


/* what NDES answered, or why it was not decoded */

static void
ngx_http_scep_record_response(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    u_char        *p;
    size_t         room, cost;
    json_t        *obj, *list, *cert;
    ngx_uint_t     i;
    scep_msg_t    *m, *req;
    scep_cert_t   *c;
    scep_caps_t   *caps;
    u_char         date[sizeof("1970-01-01T00:00:00Z")];

    obj = ngx_http_scep_json_object(scep, "response");

    if (ctx->answer.undecoded) {
        ngx_http_scep_json_const(obj, "undecoded",
                                 scep_undecoded_names[ctx->answer.undecoded]);
        ngx_http_scep_json_text(obj, "detail", ctx->answer.detail.data,
                                ctx->answer.detail.len,
                                NGX_HTTP_SCEP_CUT_RESPONSE_DETAIL);
        return;
    }

    m = ctx->answer.certrep;

    if (m) {
        req = ctx->message.msg;

        ngx_http_scep_json_const(obj, "message_type",
                                 scep_msg_types[m->type].name);

        if (m->pki_status) {
            ngx_http_scep_json_const(obj, "pki_status",
                                     scep_pki_statuses[m->pki_status].name);
        }

        if (m->fail_info) {
            ngx_http_scep_json_const(obj, "fail_info",
                                     scep_fail_infos[m->fail_info].name);
        }

        if (m->has_ndes_error) {
            ngx_http_scep_record_ndes_error(obj, m->ndes_error);
        }

        ngx_http_scep_json_text(obj, "transaction_id",
                                (u_char *) m->transaction_id.data,
                                m->transaction_id.len,
                                NGX_HTTP_SCEP_CUT_RESPONSE_TID);

        /*
         * In monitor mode the request's senderNonce may be empty and the
         * CertRep may have no recipientNonce: no memcmp() of NULL then.
         */

        if (req && req->transaction_id.data) {
            json_object_set_new_nocheck(obj, "transaction_id_matches",
                json_boolean(ngx_http_scep_bytes_eq(m->transaction_id.data,
                                                    m->transaction_id.len,
                                                    req->transaction_id.data,
                                                    req->transaction_id.len)));
        }

        if (req && req->sender_nonce.data) {
            json_object_set_new_nocheck(obj, "recipient_nonce_matches",
                json_boolean(m->recipient_nonce.data
                             && ngx_http_scep_bytes_eq(m->recipient_nonce.data,
                                                       m->recipient_nonce.len,
                                                       req->sender_nonce.data,
                                                       req->sender_nonce.len)));
        }
    }

    if (ctx->answer.caps) {
        list = json_array();
        caps = ctx->answer.caps;
        room = ngx_http_scep_cuts[NGX_HTTP_SCEP_CUT_CAPS].max;

        /* whole capabilities, as long as they fit, each with "", */

        for (i = 0; i < caps->n; i++) {
            p = (u_char *) caps->caps[i].data;

            if (room < 3
                || ngx_http_scep_json_fit(p, caps->caps[i].len, room - 3,
                                          &cost)
                   < caps->caps[i].len)
            {
                break;
            }

            room -= cost + 3;

            json_array_append_new(list,
                                  json_stringn_nocheck((char *) p,
                                                       caps->caps[i].len));
        }

        if (i < caps->n || caps->more) {
            ngx_http_scep_json_cut |= (ngx_uint_t) 1 << NGX_HTTP_SCEP_CUT_CAPS;
        }

        json_object_set_new_nocheck(obj, "caps", list);
    }

    if (ctx->answer.certs) {
        list = json_array();

        /* the first SCEP_MAX_CERTS, the others only counted */

        for (i = 0; i < ctx->answer.certs->n; i++) {
            c = &ctx->answer.certs->certs[i];
            cert = json_object();

            ngx_http_scep_json_text(cert, "subject", (u_char *) c->subject,
                                    ngx_strlen(c->subject),
                                    NGX_HTTP_SCEP_CUT_CERT_SUBJECT);
            ngx_http_scep_json_text(cert, "issuer", (u_char *) c->issuer,
                                    ngx_strlen(c->issuer),
                                    NGX_HTTP_SCEP_CUT_CERT_ISSUER);
            ngx_http_scep_json_const(cert, "serial", c->serial);

            ngx_http_scep_iso8601(date, c->not_before);
            ngx_http_scep_json_const(cert, "not_before", (char *) date);
            ngx_http_scep_iso8601(date, c->not_after);
            ngx_http_scep_json_const(cert, "not_after", (char *) date);

            json_object_set_new_nocheck(cert, "expired",
                                json_boolean(c->not_after < ngx_time()));
            ngx_http_scep_json_const(cert, "role", scep_cert_roles[c->role]);

            json_array_append_new(list, cert);
        }

        json_object_set_new_nocheck(obj, "certificates", list);
        ngx_http_scep_json_int(obj, "certificates_total",
                               ctx->answer.certs->total);

        if (ctx->answer.certs->total > i) {
            ngx_http_scep_json_cut |=
                              (ngx_uint_t) 1 << NGX_HTTP_SCEP_CUT_CERTIFICATES;
        }

        ngx_http_scep_record_warnings(obj, ctx);
    }
}


/*
 * NDES's error code as certutil -error shows it, and its winerror.h name
 * when the diagnosis table knows it: the code is the analyst's key into
 * Microsoft's documentation either way.
 */

static void
ngx_http_scep_record_ndes_error(json_t *response, uint32_t hresult)
{
    u_char       *p;
    json_t       *obj;
    scep_diag_e   d;
    u_char        code[sizeof("0x12345678")];

    obj = ngx_http_scep_json_object(response, "ndes_error");

    p = ngx_sprintf(code, "0x%08xD", hresult);
    *p = '\0';

    ngx_http_scep_json_const(obj, "code", (char *) code);

    d = scep_ndes_error_lookup(hresult);

    if (scep_diagnoses[d].symbol) {
        ngx_http_scep_json_const(obj, "name", scep_diagnoses[d].symbol);
    }
}


/* what the RA certificates of a GetCACert answer cannot do: one a code */

static void
ngx_http_scep_record_warnings(json_t *obj, ngx_http_scep_ctx_t *ctx)
{
    json_t                 *list, *w;
    ngx_uint_t              k;
    scep_cert_t            *c;
    scep_certs_warnings_t  *ws;

    ws = &ctx->answer.warnings;

    if (ws->warnings == 0) {
        return;
    }

    list = json_array();

    for (k = 0; k < SCEP_WARN_COUNT; k++) {

        if (!(ws->warnings & ((ngx_uint_t) 1 << k))) {
            continue;
        }

        w = json_object();
        ngx_http_scep_json_const(w, "code", scep_warnings[k].code);

        if (ws->cert[k] >= 0) {
            c = &ctx->answer.certs->certs[ws->cert[k]];
            ngx_http_scep_json_text(w, "subject", (u_char *) c->subject,
                                    ngx_strlen(c->subject),
                                    NGX_HTTP_SCEP_CUT_WARNING_SUBJECT);
        }

        json_array_append_new(list, w);
    }

    json_object_set_new_nocheck(obj, "warnings", list);
}


/* a value the module wrote itself: ASCII, not checked again */

static void
ngx_http_scep_json_const(json_t *obj, const char *key, const char *value)
{
    json_object_set_new_nocheck(obj, key, json_string_nocheck(value));
}


static void
ngx_http_scep_json_int(json_t *obj, const char *key, json_int_t value)
{
    json_object_set_new_nocheck(obj, key, json_integer(value));
}


static json_t *
ngx_http_scep_json_object(json_t *parent, const char *key)
{
    json_t  *obj;

    obj = json_object();

    if (json_object_set_new_nocheck(parent, key, obj) != 0) {
        return NULL;
    }

    return obj;
}


/*
 * Whatever the client sent, the record holds valid UTF-8: invalid
 * sequences become U+FFFD here, and the dump escapes control characters
 * and NUL.
 */

static void
ngx_http_scep_json_string_repair(json_t *obj, const char *key, u_char *data,
    size_t len)
{
    u_char  *p, *last, *buf;
    size_t   n;

    if (obj == NULL) {
        return;
    }

    for (p = data, last = data + len; p < last; p++) {
        if (*p >= 0x80) {
            break;
        }
    }

    /* ASCII, or repaired: valid UTF-8 either way, not checked again */

    if (p == last) {
        json_object_set_new_nocheck(obj, key,
                                    json_stringn_nocheck((char *) data, len));
        return;
    }

    buf = malloc(3 * len);
    if (buf == NULL) {
        return;
    }

    n = scep_utf8_sanitize(buf, data, len);

    json_object_set_new_nocheck(obj, key,
                                json_stringn_nocheck((char *) buf, n));

    free(buf);
}


/*
 * A string a client or the upstream controls: repaired to valid UTF-8 as
 * above, then cut at a character to take at most the field's bytes in the
 * record, escapes included.  Only the bytes that can fit are looked at,
 * and a few more, so that the last character that fits is read whole.
 */

static void
ngx_http_scep_json_text(json_t *obj, const char *key, u_char *data,
    size_t len, ngx_uint_t field)
{
    u_char  *p, *last, *text;
    size_t   n, size, max, cost;

    if (obj == NULL) {
        return;
    }

    max = ngx_http_scep_cuts[field].max;
    n = ngx_min(len, max + 4);

    text = (u_char *) "";
    size = 0;

    if (n) {
        text = data;
        size = n;

        for (p = data, last = data + n; p < last; p++) {
            if (*p >= 0x80) {
                break;
            }
        }

        if (p < last) {
            text = ngx_pnalloc(ngx_http_scep_json_pool, 3 * n);
            if (text == NULL) {
                return;
            }

            size = scep_utf8_sanitize(text, data, n);
        }
    }

    n = ngx_http_scep_json_fit(text, size, max, &cost);

    if (n < size || size < len) {
        ngx_http_scep_json_cut |= (ngx_uint_t) 1 << field;

        if (ngx_http_scep_cuts[field].dn) {
            n = ngx_http_scep_dn_cut(text, n);
        }
    }

    json_object_set_new_nocheck(obj, key,
                                json_stringn_nocheck((char *) text, n));
}


/*
 * The bytes of valid UTF-8 text that take at most max bytes in a JSON
 * string, as ngx_http_scep_json_dump_string() writes it: up to the last
 * whole character that fits; *cost: what they take.
 */

static size_t
ngx_http_scep_json_fit(u_char *p, size_t len, size_t max, size_t *cost)
{
    u_char  c;
    size_t  i, k, w;

    *cost = 0;

    for (i = 0; i < len; i += k) {
        c = p[i];

        k = (c < 0x80) ? 1 : (c < 0xe0) ? 2 : (c < 0xf0) ? 3 : 4;

        if (c < 0x20) {
            w = (c == '\n' || c == '\r' || c == '\t' || c == '\b'
                 || c == '\f') ? 2 : 6;

        } else if (c == '"' || c == '\\') {
            w = 2;

        } else {
            w = k;
        }

        if (*cost + w > max || i + k > len) {
            break;
        }

        *cost += w;
    }

    return i;
}


/*
 * A Name cut in RFC 2253 text is cut before an escape it would split: a
 * backslash alone at the end, or one and the first of two hex digits.
 */

static size_t
ngx_http_scep_dn_cut(u_char *p, size_t n)
{
    u_char  c;
    size_t  i, k;

    for (k = 0; k < 2 && k < n; k++) {

        /* the backslashes that end at n - 1 - k */

        for (i = n - k; i > 0 && p[i - 1] == '\\'; i--) {
            /* void */
        }

        if ((n - k - i) % 2 == 0) {
            continue;
        }

        c = (u_char) (p[n - 1] | 0x20);

        if (k == 0 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            return n - k - 1;
        }
    }

    return n;
}


static ngx_uint_t
ngx_http_scep_bytes_eq(const u_char *a, size_t alen, const u_char *b,
    size_t blen)
{
    return alen == blen && (alen == 0 || ngx_memcmp(a, b, alen) == 0);
}


/* a time in milliseconds, as @timestamp and flow.started write it */

static u_char *
ngx_http_scep_iso8601_ms(u_char *buf, uint64_t ms)
{
    ngx_tm_t  tm;

    ngx_gmtime((time_t) (ms / 1000), &tm);

    return ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02d.%03uiZ%Z",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                       (ngx_uint_t) (ms % 1000));
}


/* a certificate's time, as the record and the error log write it */
u_char *
ngx_http_scep_iso8601(u_char *buf, long long t)
{
    ngx_tm_t  tm;

    ngx_gmtime((time_t) t, &tm);

    return ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02dZ%Z",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
}
