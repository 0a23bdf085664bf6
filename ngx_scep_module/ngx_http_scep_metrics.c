/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * Prometheus metrics: counters in a shared memory zone, added to by every
 * worker in the log phase, read by "scep_metrics" in the text format 0.0.4.
 * The zone is kept across reloads; its labels come from core/scep_tables.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_metrics.h"
#include "ngx_http_scep_flow.h"
#include "ngx_http_scep_diagnosis.h"


#define NGX_HTTP_SCEP_HTTP_STATUSES  600      /* 0, then 100 .. 599 */
#define NGX_HTTP_SCEP_BUCKETS        12
#define NGX_HTTP_SCEP_UP_BUCKETS     14


typedef struct {
    ngx_atomic_t               requests[SCEP_OP_COUNT][SCEP_CLIENT_COUNT]
                                       [NGX_HTTP_SCEP_HTTP_STATUSES];
    ngx_atomic_t               rejects[SCEP_REJECT_COUNT];
    ngx_atomic_t               monitor_rejects[SCEP_REJECT_COUNT];
    ngx_atomic_t               pki_status[SCEP_STATUS_COUNT][SCEP_FAIL_COUNT];
    ngx_atomic_t               ndes_errors[SCEP_DIAG_COUNT];   /* by entry */
    ngx_atomic_t               upstream_status[NGX_HTTP_SCEP_HTTP_STATUSES];
    ngx_atomic_t               diagnoses[SCEP_DIAG_COUNT];
    ngx_atomic_t               decode[NGX_HTTP_SCEP_BUCKETS + 1];
    ngx_atomic_t               decode_ns;
    ngx_atomic_t               flows_ended[SCEP_OP_COUNT][SCEP_OUTCOME_COUNT];
    ngx_atomic_t               upstream[SCEP_OP_COUNT]
                                       [NGX_HTTP_SCEP_UP_BUCKETS + 1];
    ngx_atomic_t               upstream_ms[SCEP_OP_COUNT];
} ngx_http_scep_metrics_t;


/* the histogram's upper bounds, in nanoseconds and as the label says */

static struct {
    ngx_uint_t                 ns;
    const char                *le;
} ngx_http_scep_buckets[NGX_HTTP_SCEP_BUCKETS] = {
    { 1000, "0.000001" },
    { 2500, "0.0000025" },
    { 5000, "0.000005" },
    { 10000, "0.00001" },
    { 25000, "0.000025" },
    { 50000, "0.00005" },
    { 100000, "0.0001" },
    { 250000, "0.00025" },
    { 500000, "0.0005" },
    { 1000000, "0.001" },
    { 2500000, "0.0025" },
    { 10000000, "0.01" },
};


/*
 * NDES's answers, in milliseconds as nginx times them: a GetCACaps takes
 * some milliseconds, a PKIOperation that goes to the CA a second or more;
 * a dying application pool takes tens of seconds before its 503, and
 * proxy_read_timeout's default is 60 s.
 */

static struct {
    ngx_msec_t                 ms;
    const char                *le;
} ngx_http_scep_up_buckets[NGX_HTTP_SCEP_UP_BUCKETS] = {
    { 5, "0.005" },
    { 10, "0.01" },
    { 25, "0.025" },
    { 50, "0.05" },
    { 100, "0.1" },
    { 250, "0.25" },
    { 500, "0.5" },
    { 1000, "1" },
    { 2500, "2.5" },
    { 5000, "5" },
    { 10000, "10" },
    { 20000, "20" },
    { 30000, "30" },
    { 60000, "60" },
};


static ngx_int_t ngx_http_scep_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_scep_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_scep_metrics_family(u_char *p, const char *name,
    const char *type, const char *help);
static u_char *ngx_http_scep_metrics_upstream(u_char *p,
    ngx_http_scep_metrics_t *m);


static ngx_shm_zone_t  *ngx_http_scep_metrics_zone;


ngx_int_t
ngx_http_scep_metrics_init(ngx_conf_t *cf)
{
    ngx_str_t  name = ngx_string("scep_metrics");

    /* its own tag: "scep_flow scep_metrics" is refused, not misread */

    ngx_http_scep_metrics_zone = ngx_shared_memory_add(cf, &name,
                                     8 * ngx_pagesize
                                     + sizeof(ngx_http_scep_metrics_t),
                                     &ngx_http_scep_metrics_zone);
    if (ngx_http_scep_metrics_zone == NULL) {
        return NGX_ERROR;
    }

    ngx_http_scep_metrics_zone->init = ngx_http_scep_metrics_init_zone;
    ngx_http_scep_metrics_zone->data = ngx_http_scep_metrics_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data || shm_zone->shm.exists) {
        /* a reload keeps the counters: the zone and its data are the same */
        return NGX_OK;
    }

    shpool->data = ngx_slab_alloc(shpool, sizeof(ngx_http_scep_metrics_t));
    if (shpool->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(shpool->data, sizeof(ngx_http_scep_metrics_t));

    return NGX_OK;
}


/* once per request, in the log phase, from the facts settled there */

void
ngx_http_scep_metrics_count(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    ngx_uint_t                  status, i;
    ngx_http_scep_metrics_t    *m;
    ngx_http_upstream_state_t  *state;

    m = ((ngx_slab_pool_t *) ngx_http_scep_metrics_zone->shm.addr)->data;

    status = ctx->end.status;

    if (status >= NGX_HTTP_SCEP_HTTP_STATUSES) {
        status = 0;
    }

    ngx_atomic_fetch_add(&m->requests[ctx->request.op][ctx->request.client]
                                     [status], 1);

    if (ctx->verdict.reject) {
        if (ctx->verdict.forwarded) {
            ngx_atomic_fetch_add(&m->monitor_rejects[ctx->verdict.reject], 1);

        } else {
            ngx_atomic_fetch_add(&m->rejects[ctx->verdict.reject], 1);
        }
    }

    if (ctx->answer.certrep
        && ctx->answer.certrep->pki_status != SCEP_STATUS_NONE)
    {
        ngx_atomic_fetch_add(&m->pki_status[ctx->answer.certrep->pki_status]
                                           [ctx->answer.certrep->fail_info], 1);
    }

    if (ctx->answer.certrep && ctx->answer.certrep->has_ndes_error) {
        ngx_atomic_fetch_add(&m->ndes_errors[scep_ndes_error_lookup(
                                 ctx->answer.certrep->ndes_error)], 1);
    }

    state = ngx_http_scep_upstream_state(r, ctx);

    if (state) {
        status = state->status;

        if (status >= NGX_HTTP_SCEP_HTTP_STATUSES) {
            status = 0;
        }

        ngx_atomic_fetch_add(&m->upstream_status[status], 1);

        /* a try nginx never timed (a connection that was never made) */

        if (state->response_time != (ngx_msec_t) -1) {
            for (i = 0; i < NGX_HTTP_SCEP_UP_BUCKETS; i++) {
                if (state->response_time <= ngx_http_scep_up_buckets[i].ms) {
                    break;
                }
            }

            ngx_atomic_fetch_add(&m->upstream[ctx->request.op][i], 1);
            ngx_atomic_fetch_add(&m->upstream_ms[ctx->request.op],
                                 state->response_time);
        }
    }

    if (ctx->end.diagnosis != SCEP_DIAG_NONE) {
        ngx_atomic_fetch_add(&m->diagnoses[ctx->end.diagnosis], 1);
    }

    if (ctx->message.decoded) {
        for (i = 0; i < NGX_HTTP_SCEP_BUCKETS; i++) {
            if (ctx->message.decode_ns <= ngx_http_scep_buckets[i].ns) {
                break;
            }
        }

        ngx_atomic_fetch_add(&m->decode[i], 1);
        ngx_atomic_fetch_add(&m->decode_ns, ctx->message.decode_ns);
    }
}


/*
 * A flow expired or was evicted (ngx_http_scep_flow.c, under its zone's
 * lock): the last operation it saw, and its outcome.
 */

void
ngx_http_scep_metrics_flow_ended(ngx_uint_t last, ngx_uint_t outcome)
{
    ngx_http_scep_metrics_t  *m;

    if (ngx_http_scep_metrics_zone == NULL || last >= SCEP_OP_COUNT
        || outcome >= SCEP_OUTCOME_COUNT)
    {
        return;
    }

    m = ((ngx_slab_pool_t *) ngx_http_scep_metrics_zone->shm.addr)->data;

    ngx_atomic_fetch_add(&m->flows_ended[last][outcome], 1);
}


/* scep_metrics; */

char *
ngx_http_scep_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_scep_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_scep_metrics_handler(ngx_http_request_t *r)
{
    u_char                   *p;
    size_t                    size;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_uint_t                i, j, k, n, certs;
    ngx_atomic_uint_t         cumulative;
    ngx_chain_t               out;
    ngx_list_part_t          *part;
    ngx_http_scep_metrics_t  *m;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    m = ((ngx_slab_pool_t *) ngx_http_scep_metrics_zone->shm.addr)->data;

    /* the flows that timed out are counted as ended before anything */

    ngx_http_scep_flow_expire_all();

    /* a line for each counter that is not zero, and the fixed ones */

    n = 44 + NGX_HTTP_SCEP_BUCKETS
        + SCEP_OP_COUNT * (NGX_HTTP_SCEP_UP_BUCKETS + 3);

    /* three for each flow zone: the shared memory zones are more */

    for (part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
         part;
         part = part->next)
    {
        n += 3 * part->nelts;
    }

    for (i = 0; i < sizeof(ngx_http_scep_metrics_t) / sizeof(ngx_atomic_t);
         i++)
    {
        if (((ngx_atomic_t *) m)[i]) {
            n++;
        }
    }

    size = n * NGX_HTTP_SCEP_METRIC_LINE;

    /* a certificate's line is longer: the subject and address, escaped */

    certs = ngx_http_scep_ra_certs();
    size += certs * NGX_HTTP_SCEP_RA_CERT_LINE;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;

    p = ngx_http_scep_metrics_family(p, "scep_requests_total", "counter",
                                     "SCEP requests by operation, HTTP "
                                     "status of the answer and client "
                                     "family (scep.client).");

    for (i = 0; i < SCEP_OP_COUNT; i++) {
        for (k = 0; k < SCEP_CLIENT_COUNT; k++) {
            for (j = 0; j < NGX_HTTP_SCEP_HTTP_STATUSES; j++) {
                if (m->requests[i][k][j] == 0) {
                    continue;
                }

                p = ngx_sprintf(p, "scep_requests_total{operation=\"%s\","
                                "status=\"%ui\",client=\"%s\"} %uA\n",
                                scep_ops[i].name, j, scep_clients[k],
                                m->requests[i][k][j]);
            }
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_rejects_total", "counter",
                                     "Requests this module answered "
                                     "itself, by reject reason.");

    for (i = 1; i < SCEP_REJECT_COUNT; i++) {
        if (m->rejects[i]) {
            p = ngx_sprintf(p, "scep_rejects_total{reason=\"%s\"} %uA\n",
                            scep_rejects[i].name, m->rejects[i]);
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_monitor_rejects_total",
                                     "counter",
                                     "Requests forwarded in monitor mode "
                                     "(scep_reject off) that would have been "
                                     "rejected, by reason.");

    for (i = 1; i < SCEP_REJECT_COUNT; i++) {
        if (m->monitor_rejects[i]) {
            p = ngx_sprintf(p, "scep_monitor_rejects_total{reason=\"%s\"} "
                            "%uA\n",
                            scep_rejects[i].name, m->monitor_rejects[i]);
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_pki_status_total", "counter",
                                     "CertRep answers by pkiStatus and "
                                     "failInfo.");

    for (i = 1; i < SCEP_STATUS_COUNT; i++) {
        for (j = 0; j < SCEP_FAIL_COUNT; j++) {
            if (m->pki_status[i][j]) {
                p = ngx_sprintf(p, "scep_pki_status_total{status=\"%s\","
                                "fail_info=\"%s\"} %uA\n",
                                scep_pki_statuses[i].name,
                                scep_fail_infos[j].name, m->pki_status[i][j]);
            }
        }
    }

    /* labelled by the table's symbols: as many series as it has entries */

    p = ngx_http_scep_metrics_family(p, "scep_ndes_errors_total", "counter",
                                     "CertRep answers carrying NDES's error "
                                     "code, by its winerror.h name "
                                     "(unknown: not in the module's "
                                     "table).");

    for (i = SCEP_DIAG_NDES_ERROR_UNKNOWN; i < SCEP_DIAG_COUNT; i++) {
        if (m->ndes_errors[i]) {
            p = ngx_sprintf(p, "scep_ndes_errors_total{code=\"%s\"} %uA\n",
                            scep_diagnoses[i].symbol
                            ? scep_diagnoses[i].symbol : "unknown",
                            m->ndes_errors[i]);
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_upstream_status_total",
                                     "counter",
                                     "Answers of the upstream (NDES) by "
                                     "status, the last server tried.");

    for (j = 0; j < NGX_HTTP_SCEP_HTTP_STATUSES; j++) {
        if (m->upstream_status[j]) {
            p = ngx_sprintf(p, "scep_upstream_status_total{status=\"%ui\"} "
                            "%uA\n", j, m->upstream_status[j]);
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_diagnoses_total", "counter",
                                     "Requests by the diagnosis of their "
                                     "record (scep.diagnosis.code).");

    for (i = 1; i < SCEP_DIAG_COUNT; i++) {
        if (m->diagnoses[i]) {
            p = ngx_sprintf(p, "scep_diagnoses_total{code=\"%s\"} %uA\n",
                            scep_diagnoses[i].code, m->diagnoses[i]);
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_flows_active", "gauge",
                                     "Device flows in the zone.");
    p = ngx_http_scep_flow_metrics(p, NGX_HTTP_SCEP_FLOW_ACTIVE);

    p = ngx_http_scep_metrics_family(p, "scep_flows_evicted_total", "counter",
                                     "Flows evicted before their timeout "
                                     "because the zone was full.");
    p = ngx_http_scep_flow_metrics(p, NGX_HTTP_SCEP_FLOW_EVICTED);

    p = ngx_http_scep_metrics_family(p, "scep_flows_ended_total", "counter",
                                     "Flows that ended, expired or evicted, "
                                     "by the last operation each saw and "
                                     "its outcome then.");

    for (i = 0; i < SCEP_OP_COUNT; i++) {
        for (j = 0; j < SCEP_OUTCOME_COUNT; j++) {
            if (m->flows_ended[i][j]) {
                p = ngx_sprintf(p, "scep_flows_ended_total{last=\"%s\","
                                "outcome=\"%s\"} %uA\n",
                                scep_ops[i].name,
                                j ? scep_outcomes[j] : "none",
                                m->flows_ended[i][j]);
            }
        }
    }

    p = ngx_http_scep_metrics_family(p, "scep_nonces_evicted_total",
                                     "counter",
                                     "senderNonces pushed out of the zone's "
                                     "table by newer ones before their "
                                     "timeout: replays of them go "
                                     "unnoticed.");
    p = ngx_http_scep_flow_metrics(p, NGX_HTTP_SCEP_FLOW_NONCES_EVICTED);

    p = ngx_http_scep_metrics_family(p, "scep_decode_seconds", "histogram",
                                     "Time to decode a PKIOperation and "
                                     "check its signature.");

    cumulative = 0;

    for (i = 0; i < NGX_HTTP_SCEP_BUCKETS; i++) {
        cumulative += m->decode[i];
        p = ngx_sprintf(p, "scep_decode_seconds_bucket{le=\"%s\"} %uA\n",
                        ngx_http_scep_buckets[i].le, cumulative);
    }

    cumulative += m->decode[i];

    p = ngx_sprintf(p, "scep_decode_seconds_bucket{le=\"+Inf\"} %uA\n"
                    "scep_decode_seconds_sum %uA.%09uA\n"
                    "scep_decode_seconds_count %uA\n",
                    cumulative, m->decode_ns / 1000000000,
                    m->decode_ns % 1000000000, cumulative);

    p = ngx_http_scep_metrics_upstream(p, m);

    p = ngx_http_scep_metrics_family(p, "scep_certificate_not_after_seconds",
                                     "gauge",
                                     "notAfter (Unix time) of each "
                                     "certificate of each upstream's last "
                                     "GetCACert answer.");

    p = ngx_http_scep_ra_metrics(p, p + certs * NGX_HTTP_SCEP_RA_CERT_LINE);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    if (b->last == b->pos) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_scep_metrics_family(u_char *p, const char *name, const char *type,
    const char *help)
{
    return ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                       name, help, name, type);
}


/* the upstream's time to answer, for the operations it answered */

static u_char *
ngx_http_scep_metrics_upstream(u_char *p, ngx_http_scep_metrics_t *m)
{
    ngx_uint_t         i, j;
    ngx_atomic_uint_t  cumulative, ms;

    p = ngx_http_scep_metrics_family(p, "scep_upstream_response_seconds",
                                     "histogram",
                                     "Time the upstream (NDES) took to "
                                     "answer, by operation, the try that "
                                     "answered the client.");

    for (i = 0; i < SCEP_OP_COUNT; i++) {
        cumulative = 0;

        for (j = 0; j <= NGX_HTTP_SCEP_UP_BUCKETS; j++) {
            cumulative += m->upstream[i][j];
        }

        if (cumulative == 0) {
            continue;
        }

        cumulative = 0;

        for (j = 0; j < NGX_HTTP_SCEP_UP_BUCKETS; j++) {
            cumulative += m->upstream[i][j];
            p = ngx_sprintf(p, "scep_upstream_response_seconds_bucket"
                            "{operation=\"%s\",le=\"%s\"} %uA\n",
                            scep_ops[i].name, ngx_http_scep_up_buckets[j].le,
                            cumulative);
        }

        cumulative += m->upstream[i][j];
        ms = m->upstream_ms[i];

        p = ngx_sprintf(p, "scep_upstream_response_seconds_bucket"
                        "{operation=\"%s\",le=\"+Inf\"} %uA\n"
                        "scep_upstream_response_seconds_sum"
                        "{operation=\"%s\"} %uA.%03uA\n"
                        "scep_upstream_response_seconds_count"
                        "{operation=\"%s\"} %uA\n",
                        scep_ops[i].name, cumulative,
                        scep_ops[i].name, ms / 1000, ms % 1000,
                        scep_ops[i].name, cumulative);
    }

    return p;
}
