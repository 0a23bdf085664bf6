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

#include "ngx_http_scep_module.h"


static json_t *ngx_http_scep_json_object(json_t *parent, const char *key);
static void ngx_http_scep_json_string_nocheck(json_t *obj, const char *key,
    u_char *data, size_t len);
static ngx_uint_t ngx_http_scep_status(ngx_http_request_t *r);
static void ngx_http_scep_record_message(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_record_response(json_t *scep,
    ngx_http_scep_ctx_t *ctx);
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
    u_char                     *p, *last;
    ngx_int_t                   rc;
    ngx_tm_t                    tm;
    ngx_str_t                   method;
    ngx_int_t                   ms;
    ngx_uint_t                  status;
    ngx_time_t                 *tp;
    json_t                     *root, *obj, *scep, *sub;
    ngx_uint_t                  i;
    scep_diag_e                 diag;
    u_char                      flow_id[NGX_INT64_LEN];
    ngx_http_upstream_state_t  *state;
    ngx_http_scep_json_buf_t    buf;
    u_char                      ts[sizeof("1970-01-01T00:00:00.000Z")];

    ngx_http_scep_json_pool = r->pool;

    root = json_object();
    if (root == NULL) {
        ngx_http_scep_json_pool = NULL;
        return NGX_ERROR;
    }

    ngx_gmtime(r->start_sec, &tm);
    ngx_sprintf(ts, "%4d-%02d-%02dT%02d:%02d:%02d.%03MZ%Z",
                tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                r->start_msec);
    json_object_set_new_nocheck(root, "@timestamp", json_string_nocheck((char *) ts));

    tp = ngx_timeofday();
    ms = (ngx_int_t) ((tp->sec - r->start_sec) * 1000
                      + (tp->msec - r->start_msec));
    ms = ngx_max(ms, 0);

    status = ngx_http_scep_status(r);

    obj = ngx_http_scep_json_object(root, "event");
    json_object_set_new_nocheck(obj, "duration", json_integer((json_int_t) ms * 1000000));
    json_object_set_new_nocheck(obj, "outcome",
                        json_string_nocheck((status >= 400 || status == 0
                                     || (ctx->reject && !ctx->forwarded))
                                    ? "failure" : "success"));

    obj = ngx_http_scep_json_object(root, "source");
    ngx_http_scep_json_string_nocheck(obj, "ip", r->connection->addr_text.data,
                              r->connection->addr_text.len);
    json_object_set_new_nocheck(obj, "port",
                  json_integer(ngx_inet_get_port(r->connection->sockaddr)));

    if (r->headers_in.user_agent) {
        obj = ngx_http_scep_json_object(root, "user_agent");
        ngx_http_scep_json_string_nocheck(obj, "original",
                                  r->headers_in.user_agent->value.data,
                                  r->headers_in.user_agent->value.len);
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
        ngx_http_scep_json_string_nocheck(sub, "method", method.data, method.len);
    }

    if (r->request_length) {
        /* nginx core does not count a request it answered early */
        json_object_set_new_nocheck(sub, "bytes", json_integer(r->request_length));
    }

    sub = ngx_http_scep_json_object(obj, "response");

    if (status) {
        json_object_set_new_nocheck(sub, "status_code", json_integer(status));
    }

    json_object_set_new_nocheck(sub, "bytes", json_integer(r->connection->sent));

    obj = ngx_http_scep_json_object(root, "url");
    ngx_http_scep_json_string_nocheck(obj, "path", ctx->path.data, ctx->path.len);

    if (!ctx->args_truncated) {
        json_object_set_new_nocheck(obj, "query_length", json_integer(ctx->args.len));
    }

    scep = ngx_http_scep_json_object(root, "scep");
    json_object_set_new_nocheck(scep, "operation", json_string_nocheck(scep_ops[ctx->op].name));

    if (ctx->ca_ident.data) {
        ngx_http_scep_json_string_nocheck(scep, "ca_ident", ctx->ca_ident.data,
                                  ctx->ca_ident.len);
    }

    if (ctx->msg) {
        ngx_http_scep_record_message(scep, ctx);
    }

    if (ctx->reject) {
        obj = ngx_http_scep_json_object(scep, "reject");
        json_object_set_new_nocheck(obj, "reason",
                            json_string_nocheck(scep_rejects[ctx->reject].name));
        ngx_http_scep_json_string_nocheck(obj, "detail", ctx->reject_detail.data,
                                  ctx->reject_detail.len);
        json_object_set_new_nocheck(obj, "stage",
                            json_string_nocheck(ctx->core ? "nginx" : "module"));
        json_object_set_new_nocheck(obj, "enforced", json_boolean(!ctx->forwarded));
    }

    if (r->upstream_states && r->upstream_states->nelts) {

        /* the last upstream tried is the one that answered */

        state = r->upstream_states->elts;
        state = &state[r->upstream_states->nelts - 1];

        obj = ngx_http_scep_json_object(scep, "upstream");

        if (state->peer) {
            ngx_http_scep_json_string_nocheck(obj, "addr", state->peer->data,
                                      state->peer->len);
        }

        if (state->status) {
            json_object_set_new_nocheck(obj, "status", json_integer(state->status));
        }

        if (state->response_time != (ngx_msec_t) -1) {
            json_object_set_new_nocheck(obj, "response_time",
                                json_real(state->response_time / 1000.0));
        }
    }

    if (ctx->certrep || ctx->certs || ctx->caps || ctx->undecoded) {
        ngx_http_scep_record_response(scep, ctx);
    }

    ngx_http_scep_flow_update(r, ctx);

    if (ctx->flow) {
        obj = ngx_http_scep_json_object(scep, "flow");

        p = ngx_sprintf(flow_id, "%016uxL", ctx->flow_id);
        json_object_set_new_nocheck(obj, "id",
                            json_stringn((char *) flow_id, p - flow_id));
        json_object_set_new_nocheck(obj, "step", json_integer(ctx->flow_step));

        sub = json_array();

        for (i = 0; i < ctx->flow_nseq; i++) {
            json_array_append_new(sub,
                                  json_string_nocheck(scep_ops[ctx->flow_seq[i]].name));
        }

        json_object_set_new_nocheck(obj, "sequence", sub);

        if (ctx->flow_outcome) {
            json_object_set_new_nocheck(obj, "outcome",
                   json_string_nocheck(ngx_http_scep_outcomes[ctx->flow_outcome]));
        }

        if (ctx->flow_nonce) {
            json_object_set_new_nocheck(obj, "replay",
                                json_boolean(ctx->flow_replay));
        }
    }

    diag = ngx_http_scep_diagnose(r, ctx);

    if (diag != SCEP_DIAG_NONE) {
        obj = ngx_http_scep_json_object(scep, "diagnosis");
        json_object_set_new_nocheck(obj, "code",
                            json_string_nocheck(scep_diagnoses[diag].code));
        json_object_set_new_nocheck(obj, "hint",
                            json_string_nocheck(scep_diagnoses[diag].hint));
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


/* what was read of the pkiMessage, also when decoding stopped halfway */

static void
ngx_http_scep_record_message(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    json_t      *obj, *signer;
    scep_msg_t  *m;
    u_char       hex[2 * 64];

    m = ctx->msg;

    obj = ngx_http_scep_json_object(scep, "message");

    if (m->type != SCEP_MSG_NONE) {
        json_object_set_new_nocheck(obj, "type",
                            json_string_nocheck(scep_msg_types[m->type].name));
        json_object_set_new_nocheck(obj, "type_code",
                  json_integer(ngx_atoi((u_char *) scep_msg_types[m->type].code,
                                  ngx_strlen(scep_msg_types[m->type].code))));
    }

    if (m->transaction_id.data) {
        ngx_http_scep_json_string_nocheck(obj, "transaction_id",
                                  (u_char *) m->transaction_id.data,
                                  m->transaction_id.len);
    }

    if (m->sender_nonce.data && m->sender_nonce.len <= sizeof(hex) / 2) {
        ngx_http_scep_json_string_nocheck(obj, "sender_nonce", hex,
                                  ngx_hex_dump(hex, (u_char *) m->sender_nonce.data,
                                               m->sender_nonce.len)
                                  - hex);
    }

    if (m->digest_alg >= 0) {
        json_object_set_new_nocheck(obj, "digest_algorithm",
                        json_string_nocheck(scep_digest_algs[m->digest_alg].name));
    }

    json_object_set_new_nocheck(obj, "encoding", json_string_nocheck(m->ber ? "ber" : "der"));
    json_object_set_new_nocheck(obj, "size", json_integer(m->size));
    json_object_set_new_nocheck(obj, "transport",
                        json_string_nocheck(ctx->post ? "post" : "get"));

    if (ctx->signer_subject.len) {
        signer = ngx_http_scep_json_object(obj, "signer");
        ngx_http_scep_json_string_nocheck(signer, "subject", ctx->signer_subject.data,
                                  ctx->signer_subject.len);
    }

    if (ctx->reject == SCEP_REJECT_NONE
        || ctx->reject == SCEP_REJECT_SIGNATURE_INVALID
        || ctx->signature != SCEP_SIG_UNCHECKED)
    {
        json_object_set_new_nocheck(obj, "signature",
                            json_string_nocheck(scep_sig_names[ctx->signature]));
    }
}


/* what NDES answered, or why it was not decoded */

static void
ngx_http_scep_record_response(json_t *scep, ngx_http_scep_ctx_t *ctx)
{
    json_t        *obj, *list, *cert;
    ngx_uint_t     i;
    scep_msg_t    *m, *req;
    scep_cert_t   *c;
    u_char         date[sizeof("1970-01-01T00:00:00Z")];

    obj = ngx_http_scep_json_object(scep, "response");

    if (ctx->undecoded) {
        json_object_set_new_nocheck(obj, "undecoded",
                  json_string_nocheck(ngx_http_scep_undecoded_names[ctx->undecoded]));
        ngx_http_scep_json_string_nocheck(obj, "detail", ctx->response_detail.data,
                                  ctx->response_detail.len);
        return;
    }

    m = ctx->certrep;

    if (m) {
        req = ctx->msg;

        json_object_set_new_nocheck(obj, "message_type",
                            json_string_nocheck(scep_msg_types[m->type].name));

        if (m->pki_status) {
            json_object_set_new_nocheck(obj, "pki_status",
                      json_string_nocheck(scep_pki_statuses[m->pki_status].name));
        }

        if (m->fail_info) {
            json_object_set_new_nocheck(obj, "fail_info",
                      json_string_nocheck(scep_fail_infos[m->fail_info].name));
        }

        ngx_http_scep_json_string_nocheck(obj, "transaction_id",
                                  (u_char *) m->transaction_id.data,
                                  m->transaction_id.len);

        if (req && req->transaction_id.data) {
            json_object_set_new_nocheck(obj, "transaction_id_matches",
                json_boolean(m->transaction_id.len == req->transaction_id.len
                             && ngx_memcmp(m->transaction_id.data,
                                           req->transaction_id.data,
                                           m->transaction_id.len) == 0));
        }

        if (req && req->sender_nonce.data) {
            json_object_set_new_nocheck(obj, "recipient_nonce_matches",
                json_boolean(m->recipient_nonce.len == req->sender_nonce.len
                             && ngx_memcmp(m->recipient_nonce.data,
                                           req->sender_nonce.data,
                                           m->recipient_nonce.len) == 0));
        }
    }

    if (ctx->caps) {
        list = json_array();

        for (i = 0; i < ctx->caps->n; i++) {
            json_array_append_new(list,
                         json_stringn((char *) ctx->caps->caps[i].data,
                                      ctx->caps->caps[i].len));
        }

        json_object_set_new_nocheck(obj, "caps", list);
    }

    if (ctx->certs) {
        list = json_array();

        for (i = 0; i < ctx->certs->n; i++) {
            c = &ctx->certs->certs[i];
            cert = json_object();

            ngx_http_scep_json_string_nocheck(cert, "subject", (u_char *) c->subject,
                                      ngx_strlen(c->subject));
            ngx_http_scep_json_string_nocheck(cert, "issuer", (u_char *) c->issuer,
                                      ngx_strlen(c->issuer));
            json_object_set_new_nocheck(cert, "serial", json_string_nocheck(c->serial));

            ngx_http_scep_iso8601(date, c->not_before);
            json_object_set_new_nocheck(cert, "not_before", json_string_nocheck((char *) date));
            ngx_http_scep_iso8601(date, c->not_after);
            json_object_set_new_nocheck(cert, "not_after", json_string_nocheck((char *) date));

            json_object_set_new_nocheck(cert, "expired",
                                json_boolean(c->not_after < ngx_time()));
            json_object_set_new_nocheck(cert, "role",
                                json_string_nocheck(scep_cert_roles[c->role]));

            json_array_append_new(list, cert);
        }

        json_object_set_new_nocheck(obj, "certificates", list);
    }
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
ngx_http_scep_json_string_nocheck(json_t *obj, const char *key, u_char *data,
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


/* as nginx's $status */

static ngx_uint_t
ngx_http_scep_status(ngx_http_request_t *r)
{
    if (r->err_status) {
        return r->err_status;
    }

    return r->headers_out.status;
}
