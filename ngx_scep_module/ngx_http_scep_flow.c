
/*
 * Device flows: each device's GetCACert -> GetCACaps -> PKIOperation
 * sequence, in a shared memory zone all workers see.  The zone is kept
 * the way limit_req keeps its own: an rbtree keyed by a hash of the
 * device, an LRU queue, expiry from the tail, eviction when full.  Both
 * rbtrees (devices, transactionIDs) are nginx's string rbtrees.
 */


#include <openssl/rand.h>

#include "ngx_http_scep_module.h"


typedef struct ngx_http_scep_txid_node_s  ngx_http_scep_txid_node_t;

typedef struct {
    ngx_str_node_t             sn;        /* the device: sn.str */
    ngx_queue_t                queue;
    ngx_msec_t                 last;
    uint64_t                   id;
    ngx_uint_t                 step;
    ngx_http_scep_txid_node_t *txid;      /* its transactionID's node */
    u_char                     nseq;      /* operations kept */
    u_char                     outcome;   /* NGX_HTTP_SCEP_OUTCOME_* */
    u_char                     seq[NGX_HTTP_SCEP_FLOW_SEQ];
    u_char                     data[1];   /* what sn.str points to */
} ngx_http_scep_flow_node_t;


/* a transactionID, in a second rbtree, and the flow it belongs to */

struct ngx_http_scep_txid_node_s {
    ngx_str_node_t             sn;
    ngx_http_scep_flow_node_t *flow;
    u_char                     data[1];
};


typedef struct {
    ngx_rbtree_t               rbtree;
    ngx_rbtree_node_t          sentinel;
    ngx_rbtree_t               txids;
    ngx_rbtree_node_t          txid_sentinel;
    ngx_queue_t                queue;     /* most recently seen first */
    ngx_uint_t                 active;
    ngx_uint_t                 evicted;
} ngx_http_scep_flow_shctx_t;


typedef struct {
    ngx_http_scep_flow_shctx_t  *sh;
    ngx_slab_pool_t             *shpool;
    ngx_msec_t                   timeout;
} ngx_http_scep_flow_ctx_t;


static ngx_http_scep_flow_node_t *ngx_http_scep_flow_alloc(
    ngx_http_scep_flow_ctx_t *fctx, size_t size);
static void ngx_http_scep_flow_expire(ngx_http_scep_flow_ctx_t *fctx,
    ngx_uint_t n, ngx_uint_t evict);
static void ngx_http_scep_flow_free(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn);
static void ngx_http_scep_txid_set(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn, ngx_str_t *txid, uint32_t hash);
static ngx_int_t ngx_http_scep_flow_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


#define NGX_HTTP_SCEP_FLOW_KEY_MAX  255


const char  *ngx_http_scep_outcomes[] = {
    "", "issued", "pending", "failed", "rejected"
};


/*
 * The device: the client address (after the realip module) and the
 * User-Agent.  The CA identifier is not part of it: PKIOperation requests
 * carry none.
 */

static ngx_int_t
ngx_http_scep_flow_key(ngx_http_request_t *r, ngx_str_t *key)
{
    u_char     *p;
    size_t      ua;
    ngx_str_t  *addr;

    addr = &r->connection->addr_text;
    ua = r->headers_in.user_agent ? r->headers_in.user_agent->value.len : 0;
    ua = ngx_min(ua, NGX_HTTP_SCEP_FLOW_KEY_MAX - addr->len - 1);

    key->data = ngx_pnalloc(r->pool, addr->len + 1 + ua);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, addr->data, addr->len);
    *p++ = '\0';

    if (ua) {
        p = ngx_cpymem(p, r->headers_in.user_agent->value.data, ua);
    }

    key->len = p - key->data;

    return NGX_OK;
}


/*
 * Called once per request, when the record or a flow variable is first
 * wanted, else from the log phase: the request joins its device's flow,
 * or starts one.
 */

void
ngx_http_scep_flow_update(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    size_t                      size;
    uint32_t                    hash;
    ngx_str_t                   key;
    ngx_msec_t                  now;
    uint32_t                    txid_hash;
    ngx_uint_t                  i;
    ngx_str_t                   txid;
    ngx_http_scep_flow_ctx_t   *fctx;
    ngx_http_scep_txid_node_t  *tn;
    ngx_http_scep_flow_node_t  *fn;
    ngx_http_scep_loc_conf_t   *slcf;

    if (ctx->flow_done) {
        return;
    }

    ctx->flow_done = 1;

    slcf = ngx_http_get_module_loc_conf(r->main, ngx_http_scep_module);

    if (slcf->flow == NULL || ctx->core) {
        return;
    }

    if (ngx_http_scep_flow_key(r, &key) != NGX_OK) {
        return;
    }

    fctx = slcf->flow->data;
    hash = ngx_crc32_short(key.data, key.len);
    now = ngx_current_msec;

    ngx_shmtx_lock(&fctx->shpool->mutex);

    ngx_http_scep_flow_expire(fctx, 2, 0);

    fn = NULL;
    ngx_str_null(&txid);
    txid_hash = 0;

    /*
     * A transactionID seen before ties the request to that flow, from
     * whatever address or User-Agent it comes (a CertPoll, a retry).
     */

    if (ctx->msg && ctx->msg->transaction_id.data
        && ctx->msg->transaction_id.len <= 255)
    {
        txid.data = (u_char *) ctx->msg->transaction_id.data;
        txid.len = ctx->msg->transaction_id.len;
        txid_hash = ngx_crc32_short(txid.data, txid.len);

        tn = (ngx_http_scep_txid_node_t *)
                 ngx_str_rbtree_lookup(&fctx->sh->txids, &txid, txid_hash);

        if (tn && now - tn->flow->last <= fctx->timeout) {
            fn = tn->flow;
        }
    }

    if (fn == NULL) {
        fn = (ngx_http_scep_flow_node_t *)
                 ngx_str_rbtree_lookup(&fctx->sh->rbtree, &key, hash);
    }

    if (fn && now - fn->last > fctx->timeout) {
        /* an expired flow that expire() did not reach yet */
        ngx_queue_remove(&fn->queue);
        ngx_http_scep_flow_free(fctx, fn);
        fn = NULL;
    }

    if (fn == NULL) {
        size = offsetof(ngx_http_scep_flow_node_t, data) + key.len;

        fn = ngx_http_scep_flow_alloc(fctx, size);

        if (fn == NULL) {
            ngx_shmtx_unlock(&fctx->shpool->mutex);
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "scep: could not allocate a flow in "
                          "scep_flow_zone \"%V\"", &slcf->flow->shm.name);
            return;
        }

        fn->sn.node.key = hash;
        fn->sn.str.len = key.len;
        fn->sn.str.data = fn->data;
        ngx_memcpy(fn->data, key.data, key.len);

        if (RAND_bytes((u_char *) &fn->id, sizeof(fn->id)) != 1) {
            fn->id = ((uint64_t) ngx_random() << 32) ^ ngx_random();
        }

        fn->step = 0;
        fn->nseq = 0;
        fn->outcome = 0;
        fn->txid = NULL;

        ngx_rbtree_insert(&fctx->sh->rbtree, &fn->sn.node);
        fctx->sh->active++;

    } else {
        ngx_queue_remove(&fn->queue);
    }

    ngx_queue_insert_head(&fctx->sh->queue, &fn->queue);

    fn->last = now;
    fn->step++;

    if (txid.len) {
        ngx_http_scep_txid_set(fctx, fn, &txid, txid_hash);
    }

    /* the last NGX_HTTP_SCEP_FLOW_SEQ operations, oldest first */

    if (fn->nseq == NGX_HTTP_SCEP_FLOW_SEQ) {
        ngx_memmove(fn->seq, fn->seq + 1, NGX_HTTP_SCEP_FLOW_SEQ - 1);
        fn->nseq--;
    }

    fn->seq[fn->nseq++] = (u_char) ctx->op;

    /* how the flow stands: the last answer or rejection that said so */

    if (ctx->reject && !ctx->forwarded) {
        fn->outcome = NGX_HTTP_SCEP_OUTCOME_REJECTED;

    } else if (ctx->certrep) {
        switch (ctx->certrep->pki_status) {
        case SCEP_STATUS_SUCCESS:
            fn->outcome = NGX_HTTP_SCEP_OUTCOME_ISSUED;
            break;
        case SCEP_STATUS_PENDING:
            fn->outcome = NGX_HTTP_SCEP_OUTCOME_PENDING;
            break;
        case SCEP_STATUS_FAILURE:
            fn->outcome = NGX_HTTP_SCEP_OUTCOME_FAILED;
            break;
        default:
            break;
        }
    }

    ctx->flow_outcome = fn->outcome;

    ctx->flow_id = fn->id;
    ctx->flow_step = fn->step;
    ctx->flow_nseq = fn->nseq;

    for (i = 0; i < fn->nseq; i++) {
        ctx->flow_seq[i] = fn->seq[i];
    }

    ngx_shmtx_unlock(&fctx->shpool->mutex);

    ctx->flow = 1;
}


/* a full zone evicts its least recently seen flows, counted, not fails */

static ngx_http_scep_flow_node_t *
ngx_http_scep_flow_alloc(ngx_http_scep_flow_ctx_t *fctx, size_t size)
{
    u_char      *p;
    ngx_uint_t   i;

    for (i = 0; i < 8; i++) {
        p = ngx_slab_alloc_locked(fctx->shpool, size);

        if (p) {
            return (ngx_http_scep_flow_node_t *) p;
        }

        if (ngx_queue_empty(&fctx->sh->queue)) {
            break;
        }

        ngx_http_scep_flow_expire(fctx, 4, 1);
    }

    return NULL;
}


/*
 * Drops up to n flows from the tail: the expired ones, or with evict the
 * oldest whatever their age.
 */

static void
ngx_http_scep_flow_expire(ngx_http_scep_flow_ctx_t *fctx, ngx_uint_t n,
    ngx_uint_t evict)
{
    ngx_msec_t                  now;
    ngx_queue_t                *q;
    ngx_http_scep_flow_node_t  *fn;

    now = ngx_current_msec;

    while (n-- && !ngx_queue_empty(&fctx->sh->queue)) {

        q = ngx_queue_last(&fctx->sh->queue);
        fn = ngx_queue_data(q, ngx_http_scep_flow_node_t, queue);

        if (!evict && now - fn->last <= fctx->timeout) {
            return;
        }

        if (evict) {
            fctx->sh->evicted++;
        }

        ngx_queue_remove(q);
        ngx_http_scep_flow_free(fctx, fn);
    }
}


/* a flow out of its rbtree, with its transactionID; the queue is done */

static void
ngx_http_scep_flow_free(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn)
{
    if (fn->txid) {
        ngx_rbtree_delete(&fctx->sh->txids, &fn->txid->sn.node);
        ngx_slab_free_locked(fctx->shpool, fn->txid);
    }

    ngx_rbtree_delete(&fctx->sh->rbtree, &fn->sn.node);
    ngx_slab_free_locked(fctx->shpool, fn);

    fctx->sh->active--;
}


/*
 * The flow's transactionID is the last one its PKIOperations carried; a
 * node that cannot be had now only loses the join, not the request.
 */

static void
ngx_http_scep_txid_set(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn, ngx_str_t *txid, uint32_t hash)
{
    ngx_http_scep_txid_node_t  *tn;

    tn = (ngx_http_scep_txid_node_t *)
             ngx_str_rbtree_lookup(&fctx->sh->txids, txid, hash);

    if (tn != NULL && tn == fn->txid) {
        return;
    }

    if (tn) {
        /* the transactionID moves to this flow */
        tn->flow->txid = NULL;
        ngx_rbtree_delete(&fctx->sh->txids, &tn->sn.node);
        ngx_slab_free_locked(fctx->shpool, tn);
    }

    if (fn->txid) {
        ngx_rbtree_delete(&fctx->sh->txids, &fn->txid->sn.node);
        ngx_slab_free_locked(fctx->shpool, fn->txid);
        fn->txid = NULL;
    }

    tn = ngx_slab_alloc_locked(fctx->shpool,
                   offsetof(ngx_http_scep_txid_node_t, data) + txid->len);
    if (tn == NULL) {
        return;
    }

    tn->sn.node.key = hash;
    tn->sn.str.len = txid->len;
    tn->sn.str.data = tn->data;
    tn->flow = fn;
    ngx_memcpy(tn->data, txid->data, txid->len);

    ngx_rbtree_insert(&fctx->sh->txids, &tn->sn.node);

    fn->txid = tn;
}


static ngx_int_t
ngx_http_scep_flow_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_scep_flow_ctx_t  *octx = data;

    size_t                     len;
    ngx_http_scep_flow_ctx_t  *fctx;

    fctx = shm_zone->data;

    if (octx) {
        /* a reload with the zone unchanged keeps its flows */
        fctx->sh = octx->sh;
        fctx->shpool = octx->shpool;
        return NGX_OK;
    }

    fctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        fctx->sh = fctx->shpool->data;
        return NGX_OK;
    }

    fctx->sh = ngx_slab_alloc(fctx->shpool,
                              sizeof(ngx_http_scep_flow_shctx_t));
    if (fctx->sh == NULL) {
        return NGX_ERROR;
    }

    fctx->shpool->data = fctx->sh;

    ngx_rbtree_init(&fctx->sh->rbtree, &fctx->sh->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_rbtree_init(&fctx->sh->txids, &fctx->sh->txid_sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&fctx->sh->queue);

    fctx->sh->active = 0;
    fctx->sh->evicted = 0;

    len = sizeof(" in scep_flow_zone \"\"") + shm_zone->shm.name.len;

    fctx->shpool->log_ctx = ngx_slab_alloc(fctx->shpool, len);
    if (fctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(fctx->shpool->log_ctx, " in scep_flow_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone evicts: the allocator need not say so */
    fctx->shpool->log_nomem = 0;

    return NGX_OK;
}


/* scep_flow_zone name:size [timeout=time]; */

char *
ngx_http_scep_flow_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char                    *p;
    ssize_t                    size;
    ngx_str_t                 *value, name, s;
    ngx_uint_t                 i;
    ngx_msec_t                 timeout;
    ngx_shm_zone_t            *shm_zone;
    ngx_http_scep_flow_ctx_t  *fctx;

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\", name:size expected",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (name.len == 0 || size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    timeout = 600000;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            timeout = ngx_parse_time(&s, 0);

            if (timeout == (ngx_msec_t) NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid timeout \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_scep_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    fctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_flow_ctx_t));
    if (fctx == NULL) {
        return NGX_CONF_ERROR;
    }

    fctx->timeout = timeout;

    shm_zone->init = ngx_http_scep_flow_init_zone;
    shm_zone->data = fctx;

    return NGX_CONF_OK;
}


/* scep_flow name | off; */

char *
ngx_http_scep_flow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->flow != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        slcf->flow = NULL;
        return NGX_CONF_OK;
    }

    slcf->flow = ngx_shared_memory_add(cf, &value[1], 0,
                                       &ngx_http_scep_module);
    if (slcf->flow == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_scep_flow_log_handler(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_scep_module);

    if (ctx) {
        ngx_http_scep_flow_update(r, ctx);
    }

    return NGX_OK;
}
