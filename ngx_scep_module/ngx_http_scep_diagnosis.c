/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The diagnosis of a request, from the table in core/scep_tables.c, and
 * what it needs to know beyond the request: what each upstream's last
 * GetCACert answer said of its RA certificates, in a zone all workers
 * share, so that an expired RA certificate, or one that cannot work, is
 * told apart from the other causes of a 500 or a badMessageCheck.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_diagnosis.h"


/*
 * A certificate of the answer, for scep_certificate_not_after_seconds:
 * the serial tells apart what the subject does not, NDES's two RA
 * certificates of one name, or a renewed CA certificate and the old one.
 */

typedef struct {
    time_t                     not_after;
    u_char                     role;           /* scep_cert_role_e */
    u_char                     len;
    u_char                     subject[NGX_HTTP_SCEP_RA_SUBJECT];
    u_char                     serial[NGX_HTTP_SCEP_RA_SERIAL];
} ngx_http_scep_ra_cert_t;


typedef struct {
    ngx_uint_t                 hash;
    time_t                     seen;
    time_t                     ra_not_after;   /* 0: no RA certificate */
    ngx_uint_t                 warnings;       /* bit per scep_warning_e */
    ngx_uint_t                 ncerts;
    ngx_http_scep_ra_cert_t    certs[SCEP_MAX_CERTS];
    u_char                     len;
    u_char                     addr[NGX_SOCKADDR_STRLEN];
} ngx_http_scep_ra_node_t;


#define NGX_HTTP_SCEP_RA_NODES  128

typedef struct {
    ngx_http_scep_ra_node_t    nodes[NGX_HTTP_SCEP_RA_NODES];
} ngx_http_scep_ra_shctx_t;


typedef struct {
    ngx_http_scep_ra_shctx_t  *sh;
    ngx_slab_pool_t           *shpool;
    ngx_array_t               *servers;        /* ngx_str_t, configured */
} ngx_http_scep_ra_ctx_t;


static ngx_uint_t ngx_http_scep_message_whole(ngx_http_scep_ctx_t *ctx);
static void ngx_http_scep_ra_state(ngx_str_t *addr, time_t *not_after,
    ngx_uint_t *warnings);
static ngx_int_t ngx_http_scep_ra_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static u_char *ngx_http_scep_label(u_char *p, u_char *s, size_t len);


static ngx_http_scep_ra_node_t *ngx_http_scep_ra_slot(
    ngx_http_scep_ra_ctx_t *rctx, ngx_uint_t hash);
static void ngx_http_scep_ra_prune(ngx_http_scep_ra_ctx_t *rctx);
static ngx_array_t *ngx_http_scep_ra_servers(ngx_conf_t *cf);


static ngx_shm_zone_t  *ngx_http_scep_ra_zone;


ngx_int_t
ngx_http_scep_diagnosis_init(ngx_conf_t *cf)
{
    ngx_str_t  name = ngx_string("scep_ra_state");

    /*
     * What each upstream's last GetCACert answer said of its RA
     * certificates, for all workers: a 500 is then told apart.  The tag
     * is the zone's own, so that "scep_flow scep_ra_state" is refused.
     */

    ngx_http_scep_ra_zone = ngx_shared_memory_add(cf, &name,
                                   8 * ngx_pagesize
                                   + sizeof(ngx_http_scep_ra_shctx_t),
                                   &ngx_http_scep_ra_zone);
    if (ngx_http_scep_ra_zone == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_scep_ra_zone->data == NULL) {
        ngx_http_scep_ra_zone->init = ngx_http_scep_ra_init_zone;
        ngx_http_scep_ra_zone->data = ngx_palloc(cf->pool,
                                             sizeof(ngx_http_scep_ra_ctx_t));
        if (ngx_http_scep_ra_zone->data == NULL) {
            return NGX_ERROR;
        }
    }

    ((ngx_http_scep_ra_ctx_t *) ngx_http_scep_ra_zone->data)->servers =
                                                  ngx_http_scep_ra_servers(cf);

    return NGX_OK;
}


/*
 * The addresses of the upstream servers this configuration names, as
 * nginx names its peers ($upstream_addr): the upstream{} blocks' servers
 * and the single addresses of proxy_pass.  NULL if none could be listed.
 */

static ngx_array_t *
ngx_http_scep_ra_servers(ngx_conf_t *cf)
{
    ngx_str_t                      *name;
    ngx_uint_t                      i, j, k;
    ngx_array_t                    *a;
    ngx_http_upstream_server_t     *server;
    ngx_http_upstream_srv_conf_t  **uscfp;
    ngx_http_upstream_main_conf_t  *umcf;

    umcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_upstream_module);

    a = ngx_array_create(cf->pool, 8, sizeof(ngx_str_t));
    if (a == NULL) {
        return NULL;
    }

    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {

        if (uscfp[i]->servers == NULL) {
            continue;
        }

        server = uscfp[i]->servers->elts;

        for (j = 0; j < uscfp[i]->servers->nelts; j++) {
            for (k = 0; k < server[j].naddrs; k++) {
                name = ngx_array_push(a);
                if (name == NULL) {
                    return NULL;
                }

                *name = server[j].addrs[k].name;
            }
        }
    }

    return a;
}


/*
 * The upstream try that gave the client its answer: the last one when the
 * answer's header went out (ngx_http_scep_header_filter), or the last one
 * so far.  The tries of post_action come after it and answer nobody: an
 * audit hook to a dead backend is not NDES refusing the connection.
 */

ngx_http_upstream_state_t *
ngx_http_scep_upstream_state(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    ngx_uint_t                  n;
    ngx_http_upstream_state_t  *state;

    if (r->upstream_states == NULL) {
        return NULL;
    }

    n = r->upstream_states->nelts;

    if (ctx && ctx->answer.sent && ctx->answer.tries < n) {
        n = ctx->answer.tries;
    }

    if (n == 0) {
        return NULL;
    }

    state = r->upstream_states->elts;

    return &state[n - 1];
}


ngx_str_t *
ngx_http_scep_upstream_addr(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    ngx_http_upstream_state_t  *state;

    state = ngx_http_scep_upstream_state(r, ctx);

    return state ? state->peer : NULL;
}


/*
 * The class of the last upstream try's failure (scep.upstream.error).
 * nginx keeps no error kind in its upstream state, only the status it
 * made of it (502 for an error, 504 for a timeout), whether the upstream
 * was connected (connect_time, set once the request is about to be sent,
 * after any TLS handshake) and whether a header came (header_time).  The
 * action of the error line nginx logged for that try tells the rest:
 * refused from TLS, a TLS handshake's timeout from a connect timeout.
 * Without that line (error_log above "error") a TLS upstream that failed
 * before it was connected is not told: SCEP_UPSTREAM_OK, no class.
 */

scep_upstream_error_e
ngx_http_scep_upstream_error(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    ngx_uint_t                  n, timeout, action;
    ngx_http_upstream_state_t  *state;

    if (ctx->end.done) {
        return ctx->end.upstream_error;
    }

    state = ngx_http_scep_upstream_state(r, ctx);

    if (state == NULL) {
        return SCEP_UPSTREAM_OK;
    }

    n = state - (ngx_http_upstream_state_t *) r->upstream_states->elts + 1;

    if (state->header_time != (ngx_msec_t) -1) {

        /* it answered: NDES's 403 to the bare URL is its healthy answer */

        if (state->status < NGX_HTTP_BAD_REQUEST
            || (state->status == NGX_HTTP_FORBIDDEN
                && ctx->request.op == SCEP_OP_NONE))
        {
            return SCEP_UPSTREAM_OK;
        }

        return SCEP_UPSTREAM_HTTP;
    }

    if (state->status != NGX_HTTP_BAD_GATEWAY
        && state->status != NGX_HTTP_GATEWAY_TIME_OUT)
    {
        return SCEP_UPSTREAM_OK;
    }

    timeout = (state->status == NGX_HTTP_GATEWAY_TIME_OUT);
    action = (ctx->upstream.try == n) ? ctx->upstream.action
                                      : NGX_HTTP_SCEP_ACTION_NONE;

    switch (action) {

    case NGX_HTTP_SCEP_ACTION_CONNECT:
        return timeout ? SCEP_UPSTREAM_CONNECT_TIMEOUT : SCEP_UPSTREAM_REFUSED;

    case NGX_HTTP_SCEP_ACTION_TLS:
        return SCEP_UPSTREAM_TLS;

    case NGX_HTTP_SCEP_ACTION_SEND:
        /* proxy_send_timeout is no read timeout */
        return timeout ? SCEP_UPSTREAM_OK : SCEP_UPSTREAM_RESET;

    case NGX_HTTP_SCEP_ACTION_HEADER:
        break;

    default:

        if (state->connect_time != (ngx_msec_t) -1) {
            break;
        }

#if (NGX_HTTP_SSL)
        if (r->upstream == NULL || r->upstream->ssl) {
            return SCEP_UPSTREAM_OK;
        }
#endif

        return timeout ? SCEP_UPSTREAM_CONNECT_TIMEOUT : SCEP_UPSTREAM_REFUSED;
    }

    if (timeout) {
        return SCEP_UPSTREAM_READ_TIMEOUT;
    }

    /* closed or reset before a byte came; else a header nginx refused */

    return (state->bytes_received == 0) ? SCEP_UPSTREAM_RESET
                                        : SCEP_UPSTREAM_OK;
}


/* the request failed upstream: a 5xx, or no answer at all */

ngx_uint_t
ngx_http_scep_upstream_failed(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    scep_upstream_error_e       err;
    ngx_http_upstream_state_t  *state;

    err = ngx_http_scep_upstream_error(r, ctx);

    if (err != SCEP_UPSTREAM_OK && err != SCEP_UPSTREAM_HTTP) {
        return 1;
    }

    state = ngx_http_scep_upstream_state(r, ctx);

    return (state && state->status >= NGX_HTTP_INTERNAL_SERVER_ERROR);
}


/*
 * The diagnosis of the request as it stands: before the log phase (for
 * $scep_diagnosis in add_header, say) worked out anew; once the log phase
 * handler settled it, ctx->end.diagnosis.
 */

scep_diag_e
ngx_http_scep_diagnose(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    time_t                      not_after;
    ngx_str_t                  *addr;
    ngx_uint_t                  warnings;
    scep_situation_t            s;
    ngx_http_upstream_state_t  *state;

    if (ctx->end.done) {
        return ctx->end.diagnosis;
    }

    ngx_memzero(&s, sizeof(scep_situation_t));

    s.upstream_error = ngx_http_scep_upstream_error(r, ctx);
    s.op = ctx->request.op;
    s.reject = ctx->verdict.reject;
    s.bare_url = (ctx->request.op == SCEP_OP_NONE);
    s.proxy_uri_too_long = (ctx->verdict.reject == SCEP_REJECT_URI_TOO_LONG);

    if (ctx->message.msg && ctx->message.decoded) {
        s.msg_type = ctx->message.msg->type;
        s.message_whole = ngx_http_scep_message_whole(ctx);
    }

    /*
     * an upstream that form-decodes the query read a '+' as a space; one
     * that reads standard base64 refuses base64url
     */

    s.raw_plus = (ctx->message.encoding & (1 << SCEP_QENC_RAW_PLUS))
                 && !ctx->message.normalized;
    s.base64url = (ctx->message.encoding & (1 << SCEP_QENC_BASE64URL))
                  && !ctx->message.normalized;

    state = ngx_http_scep_upstream_state(r, ctx);

    if (state) {
        s.upstream_status = (int) state->status;
    }

    /* the first attempt may have been issued: the flow remembers it */

    s.retry = (ctx->flow.failed_before || ctx->flow.retransmission
               || ctx->flow.replay);

    if (ctx->answer.certrep) {
        s.pki_status = ctx->answer.certrep->pki_status;
        s.fail_info = ctx->answer.certrep->fail_info;
        s.has_ndes_error = ctx->answer.certrep->has_ndes_error;
        s.ndes_error = ctx->answer.certrep->ndes_error;
    }

    /* what the upstream's last GetCACert said explains these two */

    if (s.upstream_status == NGX_HTTP_INTERNAL_SERVER_ERROR
        || (s.pki_status == SCEP_STATUS_FAILURE
            && s.fail_info == SCEP_FAIL_BADMESSAGECHECK))
    {
        addr = ngx_http_scep_upstream_addr(r, ctx);

        if (addr) {
            ngx_http_scep_ra_state(addr, &not_after, &warnings);
            s.ra_expired = (not_after != 0 && not_after < ngx_time());
            s.ra_warnings = (unsigned) warnings;
        }
    }

    if (ctx->answer.certs) {
        s.answer_warnings = ctx->answer.warnings.warnings;
    }

    /* a message refused here never reached NDES: its reason says why */

    if (ctx->message.clock_source && ctx->verdict.reject == SCEP_REJECT_NONE)
    {
        s.has_clock_skew = 1;
        s.clock_skew = ctx->message.clock_skew;
    }

    return scep_diagnose(&s);
}


/*
 * Whether a truncated message was cut on its way or is malformed: all
 * the bytes its ContentInfo declares are there (an inner length overruns
 * them), or its own length is one no message has (more than 4 bytes of
 * length).  An indefinite length tells nothing: it may have been cut.
 */

static ngx_uint_t
ngx_http_scep_message_whole(ngx_http_scep_ctx_t *ctx)
{
    scep_msg_t  *m;
    ngx_str_t   *der;

    m = ctx->message.msg;
    der = &ctx->message.der;

    if (ctx->message.cut || der->len < 2) {
        return 0;
    }

    if (m->declared) {
        return m->size >= m->declared;
    }

    return der->data[1] != 0x80;
}


static ngx_http_scep_ra_node_t *
ngx_http_scep_ra_lookup(ngx_http_scep_ra_ctx_t *rctx, ngx_str_t *addr,
    ngx_uint_t hash)
{
    ngx_uint_t                i;
    ngx_http_scep_ra_node_t  *node;

    for (i = 0; i < NGX_HTTP_SCEP_RA_NODES; i++) {
        node = &rctx->sh->nodes[(hash + i) % NGX_HTTP_SCEP_RA_NODES];

        if (node->len == 0) {
            return NULL;
        }

        if (node->hash == hash && node->len == addr->len
            && ngx_memcmp(node->addr, addr->data, addr->len) == 0)
        {
            return node;
        }
    }

    return NULL;
}


/* for a node not in the table: a free one on its probe path, or the oldest */

static ngx_http_scep_ra_node_t *
ngx_http_scep_ra_slot(ngx_http_scep_ra_ctx_t *rctx, ngx_uint_t hash)
{
    ngx_uint_t                i;
    ngx_http_scep_ra_node_t  *node, *oldest;

    oldest = NULL;

    for (i = 0; i < NGX_HTTP_SCEP_RA_NODES; i++) {
        node = &rctx->sh->nodes[(hash + i) % NGX_HTTP_SCEP_RA_NODES];

        if (node->len == 0) {
            return node;
        }

        if (oldest == NULL || node->seen < oldest->seen) {
            oldest = node;
        }
    }

    return oldest;
}


/*
 * Stores what a fresh GetCACert answer of that upstream said, and returns
 * the warnings its last one had, or -1 when nothing is stored.  Under the
 * zone's lock: one worker alone sees a change.
 */

ngx_int_t
ngx_http_scep_ra_store(ngx_http_request_t *r, ngx_str_t *addr,
    time_t ra_not_after, ngx_uint_t warnings, scep_certs_t *certs)
{
    size_t                    n;
    ngx_int_t                 old;
    ngx_uint_t                i, k, hash;
    ngx_http_scep_ra_cert_t  *rc;
    ngx_http_scep_ra_ctx_t   *rctx;
    ngx_http_scep_ra_node_t  *node;

    if (addr->len > NGX_SOCKADDR_STRLEN) {
        return -1;
    }

    rctx = ngx_http_scep_ra_zone->data;
    hash = ngx_crc32_short(addr->data, addr->len);

    ngx_shmtx_lock(&rctx->shpool->mutex);

    node = ngx_http_scep_ra_lookup(rctx, addr, hash);

    if (node == NULL) {
        node = ngx_http_scep_ra_slot(rctx, hash);

        node->hash = hash;
        node->len = (u_char) addr->len;
        ngx_memcpy(node->addr, addr->data, addr->len);
        node->warnings = 0;
    }

    old = (ngx_int_t) node->warnings;

    node->seen = ngx_time();
    node->ra_not_after = ra_not_after;
    node->warnings = warnings;

    /* the subject is the upstream's to choose: cut, escaped when printed */

    node->ncerts = 0;

    for (i = 0; i < certs->n; i++) {
        rc = &node->certs[node->ncerts];
        n = ngx_strnlen((u_char *) certs->certs[i].subject,
                        sizeof(certs->certs[i].subject));

        rc->not_after = (time_t) certs->certs[i].not_after;
        rc->role = (u_char) certs->certs[i].role;
        rc->len = (u_char) ngx_min(n, NGX_HTTP_SCEP_RA_SUBJECT);
        ngx_memcpy(rc->subject, certs->certs[i].subject, rc->len);
        ngx_cpystrn(rc->serial, (u_char *) certs->certs[i].serial,
                    NGX_HTTP_SCEP_RA_SERIAL);

        /* a certificate sent twice would be a second sample of one series */

        for (k = 0; k < node->ncerts; k++) {
            if (node->certs[k].role == rc->role
                && node->certs[k].len == rc->len
                && ngx_memcmp(node->certs[k].subject, rc->subject, rc->len)
                   == 0
                && ngx_strcmp(node->certs[k].serial, rc->serial) == 0)
            {
                break;
            }
        }

        if (k == node->ncerts) {
            node->ncerts++;
        }
    }

    ngx_shmtx_unlock(&rctx->shpool->mutex);

    return old;
}


static void
ngx_http_scep_ra_state(ngx_str_t *addr, time_t *not_after,
    ngx_uint_t *warnings)
{
    ngx_http_scep_ra_ctx_t   *rctx;
    ngx_http_scep_ra_node_t  *node;

    *not_after = 0;
    *warnings = 0;

    if (addr->len > NGX_SOCKADDR_STRLEN) {
        return;
    }

    rctx = ngx_http_scep_ra_zone->data;

    ngx_shmtx_lock(&rctx->shpool->mutex);

    node = ngx_http_scep_ra_lookup(rctx, addr,
                                   ngx_crc32_short(addr->data, addr->len));
    if (node) {
        *not_after = node->ra_not_after;
        *warnings = node->warnings;
    }

    ngx_shmtx_unlock(&rctx->shpool->mutex);
}


/* the certificates the zone holds, for the size of the metrics */

ngx_uint_t
ngx_http_scep_ra_certs(void)
{
    ngx_uint_t               i, n;
    ngx_http_scep_ra_ctx_t  *rctx;

    rctx = ngx_http_scep_ra_zone->data;
    n = 0;

    ngx_shmtx_lock(&rctx->shpool->mutex);

    for (i = 0; i < NGX_HTTP_SCEP_RA_NODES; i++) {
        n += rctx->sh->nodes[i].ncerts;
    }

    ngx_shmtx_unlock(&rctx->shpool->mutex);

    return n;
}


/*
 * scep_certificate_not_after_seconds, a line per certificate, up to last:
 * another worker may have stored more since ngx_http_scep_ra_certs().
 */

u_char *
ngx_http_scep_ra_metrics(u_char *p, u_char *last)
{
    ngx_uint_t                i, k;
    ngx_http_scep_ra_ctx_t   *rctx;
    ngx_http_scep_ra_node_t  *node;
    ngx_http_scep_ra_cert_t  *rc;

    rctx = ngx_http_scep_ra_zone->data;

    ngx_shmtx_lock(&rctx->shpool->mutex);

    for (i = 0; i < NGX_HTTP_SCEP_RA_NODES; i++) {
        node = &rctx->sh->nodes[i];

        for (k = 0; k < node->ncerts; k++) {
            if ((size_t) (last - p) < NGX_HTTP_SCEP_RA_CERT_LINE) {
                goto done;
            }

            rc = &node->certs[k];

            p = ngx_cpymem(p, "scep_certificate_not_after_seconds{upstream=\"",
                           sizeof("scep_certificate_not_after_seconds"
                                  "{upstream=\"") - 1);
            p = ngx_http_scep_label(p, node->addr, node->len);
            p = ngx_sprintf(p, "\",role=\"%s\",subject=\"",
                            scep_cert_roles[rc->role]);
            p = ngx_http_scep_label(p, rc->subject, rc->len);
            p = ngx_sprintf(p, "\",serial=\"%s\"} %T\n",
                            rc->serial, rc->not_after);
        }
    }

done:

    ngx_shmtx_unlock(&rctx->shpool->mutex);

    return p;
}


/* a label value in the text format: \\, \" and \n escaped, at most 2 * len */

static u_char *
ngx_http_scep_label(u_char *p, u_char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {

        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = s[i];
            break;

        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;

        default:
            *p++ = s[i];
        }
    }

    return p;
}


static ngx_int_t
ngx_http_scep_ra_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_scep_ra_ctx_t  *octx = data;

    ngx_http_scep_ra_ctx_t  *rctx;

    rctx = shm_zone->data;

    if (octx) {
        /* a reload keeps what the workers learned, of its servers */
        rctx->sh = octx->sh;
        rctx->shpool = octx->shpool;
        ngx_http_scep_ra_prune(rctx);
        return NGX_OK;
    }

    rctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        rctx->sh = rctx->shpool->data;
        return NGX_OK;
    }

    rctx->sh = ngx_slab_calloc(rctx->shpool,
                               sizeof(ngx_http_scep_ra_shctx_t));
    if (rctx->sh == NULL) {
        return NGX_ERROR;
    }

    rctx->shpool->data = rctx->sh;

    return NGX_OK;
}


/*
 * A reload forgets the upstreams the new configuration no longer names:
 * an NDES taken out, or moved, must not keep its certificate gauges (nor
 * fire their alerts) until a restart.  An address resolved at run time
 * (proxy_pass with variables, "resolve") is not named either: it is
 * learned again from its next GetCACert.  The nodes kept are inserted
 * anew, so that no hole breaks a probe.  Old workers may still store
 * while they drain: under the lock.
 */

static void
ngx_http_scep_ra_prune(ngx_http_scep_ra_ctx_t *rctx)
{
    ngx_str_t                *name;
    ngx_uint_t                i, j, n, kept;
    ngx_http_scep_ra_node_t  *node, *save;

    if (rctx->servers == NULL) {
        return;
    }

    save = ngx_alloc(sizeof(ngx_http_scep_ra_shctx_t), ngx_cycle->log);
    if (save == NULL) {
        return;
    }

    name = rctx->servers->elts;
    n = rctx->servers->nelts;
    kept = 0;

    ngx_shmtx_lock(&rctx->shpool->mutex);

    for (i = 0; i < NGX_HTTP_SCEP_RA_NODES; i++) {
        node = &rctx->sh->nodes[i];

        if (node->len == 0) {
            continue;
        }

        for (j = 0; j < n; j++) {
            if (name[j].len == node->len
                && ngx_memcmp(name[j].data, node->addr, node->len) == 0)
            {
                save[kept++] = *node;
                break;
            }
        }
    }

    ngx_memzero(rctx->sh, sizeof(ngx_http_scep_ra_shctx_t));

    /* the table is empty: each finds a free node on its probe path */

    for (i = 0; i < kept; i++) {
        *ngx_http_scep_ra_slot(rctx, save[i].hash) = save[i];
    }

    ngx_shmtx_unlock(&rctx->shpool->mutex);

    ngx_free(save);
}
