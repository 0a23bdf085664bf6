/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * Device flows: each device's GetCACert -> GetCACaps -> PKIOperation
 * sequence, in a shared memory zone all workers see.  The zone is kept
 * the way limit_req keeps its own: an rbtree keyed by a hash of the
 * device, an LRU queue, expiry from the tail, eviction when full.  Both
 * rbtrees (devices, transactionIDs) are nginx's string rbtrees.  The
 * senderNonces are kept apart, in a table of their own in the same zone
 * (ngx_http_scep_nonce.c), which no eviction of flows touches.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_flow.h"
#include "ngx_http_scep_metrics.h"
#include "ngx_http_scep_nonce.h"


/*
 * What the zone keeps of a device or a transactionID is a digest: 128
 * bits of SHA-256, in the rbtree key and the 8 bytes after it.  Every flow
 * is one node of fixed size, and the zone holds no address, User-Agent or
 * nonce in clear.
 */

typedef struct {
    ngx_rbtree_node_t          node;      /* node.data: index in keys[] */
    u_char                     rest[8];
} ngx_http_scep_flow_key_t;


#define NGX_HTTP_SCEP_FLOW_DEVICE  0
#define NGX_HTTP_SCEP_FLOW_TXID    1
#define NGX_HTTP_SCEP_FLOW_KEYS    2


typedef struct {
    ngx_http_scep_flow_key_t   keys[NGX_HTTP_SCEP_FLOW_KEYS];
    ngx_queue_t                queue;
    ngx_msec_t                 last;
    uint64_t                   id;
    uint32_t                   step;
    u_char                     nseq;      /* operations kept */
    u_char                     outcome;   /* SCEP_OUTCOME_* */
    u_char                     inserted;  /* bit per keys[] in its rbtree */
    u_char                     seq[NGX_HTTP_SCEP_FLOW_SEQ];
} ngx_http_scep_flow_node_t;


typedef struct {
    ngx_rbtree_t               rbtree[NGX_HTTP_SCEP_FLOW_KEYS];
    ngx_rbtree_node_t          sentinel[NGX_HTTP_SCEP_FLOW_KEYS];
    ngx_queue_t                queue;     /* most recently seen first */
    ngx_http_scep_nonces_t    *nonces;
    ngx_uint_t                 active;
    ngx_uint_t                 evicted;
    ngx_uint_t                 full;      /* flows when it first evicted */
} ngx_http_scep_flow_shctx_t;


typedef struct {
    ngx_http_scep_flow_shctx_t  *sh;
    ngx_slab_pool_t             *shpool;
    ngx_msec_t                   timeout;
} ngx_http_scep_flow_ctx_t;


static ngx_int_t ngx_http_scep_flow_key(ngx_http_request_t *r,
    ngx_http_scep_flow_key_t *key);
static ngx_int_t ngx_http_scep_flow_digest(ngx_http_scep_flow_key_t *key,
    u_char *a, size_t alen, u_char *b, size_t blen);
static ngx_http_scep_flow_node_t *ngx_http_scep_flow_find(
    ngx_http_scep_flow_ctx_t *fctx, ngx_uint_t i,
    ngx_http_scep_flow_key_t *key);
static void ngx_http_scep_flow_set(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn, ngx_uint_t i,
    ngx_http_scep_flow_key_t *key);
static void ngx_http_scep_flow_unset(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn, ngx_uint_t i);
static void ngx_http_scep_flow_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_scep_flow_outcome(ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_flow_node_t *fn);
static ngx_http_scep_flow_node_t *ngx_http_scep_flow_alloc(
    ngx_http_scep_flow_ctx_t *fctx);
static void ngx_http_scep_flow_expire(ngx_http_scep_flow_ctx_t *fctx,
    ngx_uint_t n, ngx_uint_t evict);
static void ngx_http_scep_flow_free(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn);
static ngx_int_t ngx_http_scep_flow_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


#define ngx_http_scep_flow_node(kn)                                           \
    ((ngx_http_scep_flow_node_t *)                                            \
         ((u_char *) (kn) - (kn)->node.data * sizeof(ngx_http_scep_flow_key_t)))


/* per worker: the digest's context */

static EVP_MD      *ngx_http_scep_flow_md;
static EVP_MD_CTX  *ngx_http_scep_flow_mdctx;


/*
 * The device: the client address (after the realip module) and the
 * User-Agent.  The CA identifier is not part of it: PKIOperation requests
 * carry none, and a device's GetCACert and its PKCSReq would fall apart.
 */

static ngx_int_t
ngx_http_scep_flow_key(ngx_http_request_t *r, ngx_http_scep_flow_key_t *key)
{
    ngx_str_t  *addr, ua;

    addr = &r->connection->addr_text;

    if (r->headers_in.user_agent) {
        ua = r->headers_in.user_agent->value;

    } else {
        ngx_str_null(&ua);
    }

    return ngx_http_scep_flow_digest(key, addr->data, addr->len,
                                     ua.data, ua.len);
}


/* SHA-256 of a, NUL, b */

static ngx_int_t
ngx_http_scep_flow_digest(ngx_http_scep_flow_key_t *key, u_char *a,
    size_t alen, u_char *b, size_t blen)
{
    u_char  md[EVP_MAX_MD_SIZE];

    if (ngx_http_scep_flow_mdctx == NULL
        || EVP_DigestInit_ex2(ngx_http_scep_flow_mdctx,
                              ngx_http_scep_flow_md, NULL) != 1
        || EVP_DigestUpdate(ngx_http_scep_flow_mdctx, a, alen) != 1
        || EVP_DigestUpdate(ngx_http_scep_flow_mdctx, "", 1) != 1
        || EVP_DigestUpdate(ngx_http_scep_flow_mdctx, b, blen) != 1
        || EVP_DigestFinal_ex(ngx_http_scep_flow_mdctx, md, NULL) != 1)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(&key->node.key, md, sizeof(ngx_rbtree_key_t));
    ngx_memcpy(key->rest, md + sizeof(ngx_rbtree_key_t), sizeof(key->rest));

    return NGX_OK;
}


/*
 * The request joins its device's flow, or starts one: once, when the
 * record or a flow variable is first wanted, or in the log phase; a
 * PKIOperation joins in the handler, so that its senderNonce is checked
 * before the upstream sees it.  A request that joined before its answer
 * came is called again for the outcome the answer gives.
 */

void
ngx_http_scep_flow_update(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    ngx_uint_t                  i, nonce;
    ngx_msec_t                  now;
    scep_msg_t                 *m;
    ngx_http_scep_nonce_t       snonce;
    ngx_http_scep_flow_ctx_t   *fctx;
    ngx_http_scep_flow_key_t    device, txid;
    ngx_http_scep_flow_node_t  *fn;
    ngx_http_scep_loc_conf_t   *slcf;

    if (ctx->end.done) {
        /* the log phase settled the flow: what follows only reads it */
        return;
    }

    /*
     * Not before a "scep on" location took the request in (its settings
     * hold), and a PKIOperation not before the module's decision, which
     * checks its senderNonce against the zone.
     */

    if (!ctx->request.taken
        || (!ctx->verdict.checked && ctx->request.op == SCEP_OP_PKIOPERATION))
    {
        return;
    }

    if (ctx->flow.done) {

        if (ctx->flow.joined && ctx->answer.certrep && !ctx->flow.answered) {
            ctx->flow.answered = 1;

            /* the zone the flow was joined in */

            fctx = ctx->flow.zone->data;

            ngx_shmtx_lock(&fctx->shpool->mutex);

            /* the node is still this flow's unless the id says otherwise */

            fn = ctx->flow.node;

            if (fn->id == ctx->flow.id && fn->step) {
                ngx_http_scep_flow_outcome(ctx, fn);
            }

            ngx_shmtx_unlock(&fctx->shpool->mutex);
        }

        return;
    }

    ctx->flow.done = 1;

    slcf = ctx->conf;

    if (slcf->flow == NULL || ctx->request.by_nginx) {
        return;
    }

    if (ngx_http_scep_flow_key(r, &device) != NGX_OK) {
        return;
    }

    m = ctx->message.msg;

    if (m && m->transaction_id.data) {
        if (ngx_http_scep_flow_digest(&txid, NULL, 0,
                                      (u_char *) m->transaction_id.data,
                                      m->transaction_id.len)
            != NGX_OK)
        {
            return;
        }
    }

    fctx = slcf->flow->data;

    nonce = (m && m->sender_nonce.data && m->sender_nonce.len);

    if (nonce) {
        if (ngx_http_scep_nonce_digest(fctx->sh->nonces, &snonce,
                                       (u_char *) m->sender_nonce.data,
                                       m->sender_nonce.len,
                                       ctx->message.der.data,
                                       ctx->message.der.len)
            != NGX_OK)
        {
            return;
        }
    }

    ctx->flow.zone = slcf->flow;
    now = ngx_current_msec;

    ngx_shmtx_lock(&fctx->shpool->mutex);

    ngx_http_scep_flow_expire(fctx, 2, 0);

    fn = NULL;

    /*
     * A transactionID seen before ties the request to that flow, from
     * whatever address or User-Agent it comes (a CertPoll, a retry).
     */

    if (m && m->transaction_id.data) {
        fn = ngx_http_scep_flow_find(fctx, NGX_HTTP_SCEP_FLOW_TXID, &txid);
    }

    if (fn == NULL) {
        fn = ngx_http_scep_flow_find(fctx, NGX_HTTP_SCEP_FLOW_DEVICE, &device);
    }

    if (fn == NULL) {
        fn = ngx_http_scep_flow_alloc(fctx);

        if (fn == NULL) {
            ngx_shmtx_unlock(&fctx->shpool->mutex);
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "scep: could not allocate a flow in "
                          "scep_flow_zone \"%V\"", &slcf->flow->shm.name);
            return;
        }

        ngx_memzero(fn, sizeof(ngx_http_scep_flow_node_t));

        for (i = 0; i < NGX_HTTP_SCEP_FLOW_KEYS; i++) {
            fn->keys[i].node.data = (u_char) i;
        }

        if (RAND_bytes((u_char *) &fn->id, sizeof(fn->id)) != 1) {
            fn->id = ((uint64_t) ngx_random() << 32) ^ ngx_random();
        }

        ngx_http_scep_flow_set(fctx, fn, NGX_HTTP_SCEP_FLOW_DEVICE, &device);
        fctx->sh->active++;

    } else {
        ngx_queue_remove(&fn->queue);
    }

    ngx_queue_insert_head(&fctx->sh->queue, &fn->queue);

    fn->last = now;
    fn->step++;

    if (m && m->transaction_id.data) {
        ngx_http_scep_flow_set(fctx, fn, NGX_HTTP_SCEP_FLOW_TXID, &txid);
    }

    /*
     * A senderNonce the zone has seen within its timeout is a replay,
     * whichever flow sent it and whatever became of that flow since.
     */

    if (nonce) {
        /* kept unless refused here: then it never reached the upstream */

        ngx_http_scep_nonce_check(fctx->sh->nonces, fctx->timeout, &snonce,
                                  fn->id,
                                  !ctx->verdict.reject
                                  || ctx->verdict.forwarded,
                                  &ctx->flow);
    }

    /* the last NGX_HTTP_SCEP_FLOW_SEQ operations, oldest first */

    if (fn->nseq == NGX_HTTP_SCEP_FLOW_SEQ) {
        ngx_memmove(fn->seq, fn->seq + 1, NGX_HTTP_SCEP_FLOW_SEQ - 1);
        fn->nseq--;
    }

    fn->seq[fn->nseq++] = (u_char) ctx->request.op;

    ngx_http_scep_flow_outcome(ctx, fn);

    ctx->flow.node = fn;
    ctx->flow.id = fn->id;
    ctx->flow.step = fn->step;
    ctx->flow.nseq = fn->nseq;

    for (i = 0; i < fn->nseq; i++) {
        ctx->flow.seq[i] = fn->seq[i];
    }

    ngx_shmtx_unlock(&fctx->shpool->mutex);

    ctx->flow.joined = 1;
    ctx->flow.answered = (ctx->answer.certrep != NULL);
}


/* how the flow stands: the last answer or rejection that said so */

static void
ngx_http_scep_flow_outcome(ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_flow_node_t *fn)
{
    if (ctx->verdict.reject && !ctx->verdict.forwarded) {

        /* a copy of a message is no news of the enrolment */

        if (ctx->verdict.reject != SCEP_REJECT_REPLAY) {
            fn->outcome = SCEP_OUTCOME_REJECTED;
        }

    } else if (ctx->answer.certrep) {

        switch (ctx->answer.certrep->pki_status) {
        case SCEP_STATUS_SUCCESS:
            fn->outcome = SCEP_OUTCOME_ISSUED;
            break;
        case SCEP_STATUS_PENDING:
            fn->outcome = SCEP_OUTCOME_PENDING;
            break;
        case SCEP_STATUS_FAILURE:
            fn->outcome = SCEP_OUTCOME_FAILED;
            break;
        default:
            break;
        }
    }

    ctx->flow.outcome = fn->outcome;
}


/* a live flow whose key i is this one */

static ngx_http_scep_flow_node_t *
ngx_http_scep_flow_find(ngx_http_scep_flow_ctx_t *fctx, ngx_uint_t i,
    ngx_http_scep_flow_key_t *key)
{
    ngx_int_t                   rc;
    ngx_rbtree_node_t          *node, *sentinel;
    ngx_http_scep_flow_key_t   *kn;
    ngx_http_scep_flow_node_t  *fn;

    node = fctx->sh->rbtree[i].root;
    sentinel = fctx->sh->rbtree[i].sentinel;

    while (node != sentinel) {

        if (key->node.key != node->key) {
            node = (key->node.key < node->key) ? node->left : node->right;
            continue;
        }

        kn = (ngx_http_scep_flow_key_t *) node;
        rc = ngx_memcmp(key->rest, kn->rest, sizeof(kn->rest));

        if (rc == 0) {
            fn = ngx_http_scep_flow_node(kn);

            if (ngx_current_msec - fn->last > fctx->timeout) {
                /* expired, and expire() did not reach it yet */
                ngx_queue_remove(&fn->queue);
                ngx_http_scep_flow_free(fctx, fn);
                return NULL;
            }

            return fn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* key i of the flow is now this one, in its rbtree, taken from any other */

static void
ngx_http_scep_flow_set(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn, ngx_uint_t i, ngx_http_scep_flow_key_t *key)
{
    ngx_http_scep_flow_node_t  *other;

    if ((fn->inserted & (1 << i))
        && fn->keys[i].node.key == key->node.key
        && ngx_memcmp(fn->keys[i].rest, key->rest, sizeof(key->rest)) == 0)
    {
        return;
    }

    other = ngx_http_scep_flow_find(fctx, i, key);

    if (other) {
        /* a transactionID moves to the flow that sent it last */
        ngx_http_scep_flow_unset(fctx, other, i);
    }

    ngx_http_scep_flow_unset(fctx, fn, i);

    fn->keys[i].node.key = key->node.key;
    ngx_memcpy(fn->keys[i].rest, key->rest, sizeof(key->rest));

    ngx_rbtree_insert(&fctx->sh->rbtree[i], &fn->keys[i].node);
    fn->inserted |= 1 << i;
}


static void
ngx_http_scep_flow_unset(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn, ngx_uint_t i)
{
    if (fn->inserted & (1 << i)) {
        ngx_rbtree_delete(&fctx->sh->rbtree[i], &fn->keys[i].node);
        fn->inserted &= ~(1 << i);
    }
}


static void
ngx_http_scep_flow_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t         **p;
    ngx_http_scep_flow_key_t   *kn, *kt;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            kn = (ngx_http_scep_flow_key_t *) node;
            kt = (ngx_http_scep_flow_key_t *) temp;

            p = (ngx_memcmp(kn->rest, kt->rest, sizeof(kn->rest)) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* a full zone evicts its least recently seen flows, counted, not fails */

static ngx_http_scep_flow_node_t *
ngx_http_scep_flow_alloc(ngx_http_scep_flow_ctx_t *fctx)
{
    u_char      *p;
    ngx_uint_t   i;

    for (i = 0; i < 8; i++) {
        p = ngx_slab_alloc_locked(fctx->shpool,
                                  sizeof(ngx_http_scep_flow_node_t));
        if (p) {
            return (ngx_http_scep_flow_node_t *) p;
        }

        if (ngx_queue_empty(&fctx->sh->queue)) {
            break;
        }

        if (fctx->sh->full == 0) {
            fctx->sh->full = fctx->sh->active;

            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "scep: no memory%s for a new flow at %ui flows, "
                          "evicting the least recently seen",
                          fctx->shpool->log_ctx, fctx->sh->active);
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


/*
 * A flow out of its rbtrees, expired or evicted; the queue is done.  How
 * it ended is counted: its last operation, its outcome then.
 */

static void
ngx_http_scep_flow_free(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_node_t *fn)
{
    ngx_uint_t  i;

    if (fn->nseq) {
        ngx_http_scep_metrics_flow_ended(fn->seq[fn->nseq - 1], fn->outcome);
    }

    for (i = 0; i < NGX_HTTP_SCEP_FLOW_KEYS; i++) {
        ngx_http_scep_flow_unset(fctx, fn, i);
    }

    /* a request still holding the node sees it is no longer its flow */
    fn->step = 0;

    ngx_slab_free_locked(fctx->shpool, fn);

    fctx->sh->active--;
}


/*
 * The metrics of every flow zone, "scep_flows_active",
 * "scep_flows_evicted_total" or "scep_nonces_evicted_total": a line of
 * NGX_HTTP_SCEP_METRIC_LINE bytes at most for each.
 */

u_char *
ngx_http_scep_flow_metrics(u_char *p, ngx_uint_t what)
{
    ngx_uint_t                 i, n;
    ngx_shm_zone_t            *zone;
    ngx_list_part_t           *part;
    ngx_http_scep_flow_ctx_t  *fctx;

    static const char  *names[] = {
        "scep_flows_active",
        "scep_flows_evicted_total",
        "scep_nonces_evicted_total"
    };

    part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].tag != &ngx_http_scep_module
            || zone[i].init != ngx_http_scep_flow_init_zone)
        {
            continue;
        }

        fctx = zone[i].data;

        switch (what) {
        case NGX_HTTP_SCEP_FLOW_ACTIVE:
            n = fctx->sh->active;
            break;
        case NGX_HTTP_SCEP_FLOW_EVICTED:
            n = fctx->sh->evicted;
            break;
        default: /* NGX_HTTP_SCEP_FLOW_NONCES_EVICTED */
            n = ngx_http_scep_nonce_evicted(fctx->sh->nonces);
            break;
        }

        p = ngx_sprintf(p, "%s{zone=\"%*s\"} %ui\n", names[what],
                        ngx_min(zone[i].shm.name.len, 128),
                        zone[i].shm.name.data, n);
    }

    return p;
}


/*
 * Before the metrics are read: the flows that timed out end now, not when
 * the next request comes, so that scep_flows_ended_total is up to date.
 */

void
ngx_http_scep_flow_expire_all(void)
{
    ngx_uint_t                 i;
    ngx_shm_zone_t            *zone;
    ngx_list_part_t           *part;
    ngx_http_scep_flow_ctx_t  *fctx;

    part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].tag != &ngx_http_scep_module
            || zone[i].init != ngx_http_scep_flow_init_zone)
        {
            continue;
        }

        fctx = zone[i].data;

        ngx_shmtx_lock(&fctx->shpool->mutex);
        ngx_http_scep_flow_expire(fctx, NGX_MAX_UINT32_VALUE, 0);
        ngx_shmtx_unlock(&fctx->shpool->mutex);
    }
}


ngx_int_t
ngx_http_scep_flow_init_process(ngx_cycle_t *cycle)
{
    if (ngx_http_scep_nonce_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_scep_flow_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    ngx_http_scep_flow_mdctx = EVP_MD_CTX_new();

    if (ngx_http_scep_flow_md == NULL || ngx_http_scep_flow_mdctx == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "scep: could not set up SHA-256 for the flows");
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_scep_flow_exit_process(ngx_cycle_t *cycle)
{
    EVP_MD_CTX_free(ngx_http_scep_flow_mdctx);
    EVP_MD_free(ngx_http_scep_flow_md);

    ngx_http_scep_flow_mdctx = NULL;
    ngx_http_scep_flow_md = NULL;

    ngx_http_scep_nonce_exit_process(cycle);
}


static ngx_int_t
ngx_http_scep_flow_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_scep_flow_ctx_t  *octx = data;

    size_t                     len;
    ngx_uint_t                 i;
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

    for (i = 0; i < NGX_HTTP_SCEP_FLOW_KEYS; i++) {
        ngx_rbtree_init(&fctx->sh->rbtree[i], &fctx->sh->sentinel[i],
                        ngx_http_scep_flow_rbtree_insert_value);
    }

    ngx_queue_init(&fctx->sh->queue);

    /* its own share of the zone, taken before any flow can take it */

    fctx->sh->nonces = ngx_http_scep_nonce_table(fctx->shpool,
                                                 shm_zone->shm.size);
    if (fctx->sh->nonces == NULL) {
        return NGX_ERROR;
    }

    fctx->sh->active = 0;
    fctx->sh->evicted = 0;
    fctx->sh->full = 0;

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
