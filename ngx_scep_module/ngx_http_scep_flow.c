/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * Device flows: one enrolment attempt each, its prelude (GetCACert,
 * GetCACaps, GetNextCACert) and the PKIOperations of one transaction with
 * their polls, in a shared memory zone all workers see.  The zone is kept
 * the way limit_req keeps its own: rbtrees keyed by digests, an LRU queue,
 * expiry from the tail, eviction when full.
 *
 * A request joins a flow on evidence, strongest first (the record's
 * flow.joined_by): its transaction (the transactionID and the signer key
 * of a PKCSReq, RenewalReq, UpdateReq or CertPoll), its connection (an
 * earlier request of the flow came on it), its address (the client
 * address, User-Agent and CA identifier of the flow's latest prelude,
 * within the prelude window); or it starts a new flow.
 *
 * The senderNonces are kept apart, in a table of their own in the same
 * zone (ngx_http_scep_nonce.c), which no eviction of flows touches.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_diagnosis.h"
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


/*
 * keys[DEVICE] holds the digest of the flow's first address and
 * User-Agent, in its rbtree only while the flow is its device's latest
 * without a transaction: what a request joins by address.
 */

typedef struct {
    ngx_http_scep_flow_key_t   keys[NGX_HTTP_SCEP_FLOW_KEYS];
    ngx_queue_t                queue;
    ngx_msec_t                 last;
    uint64_t                   id;
    uint32_t                   step;
    uint32_t                   started;   /* Unix time in ms, low 32 bits */
    uint32_t                   ca;        /* CA identifier's digest, or 0 */
    u_char                     nseq;      /* operations kept */
    u_char                     outcome;   /* SCEP_OUTCOME_* */
    u_char                     inserted;  /* bit per keys[] in its rbtree */
    u_char                     flags;
    u_char                     seq[NGX_HTTP_SCEP_FLOW_SEQ];
} ngx_http_scep_flow_node_t;


#define NGX_HTTP_SCEP_FLOW_TRANSACTION  0x01  /* it holds one */
#define NGX_HTTP_SCEP_FLOW_KEEPALIVE    0x02  /* its latest request's client
                                                 keeps its connection */
#define NGX_HTTP_SCEP_FLOW_FAILED       0x04  /* an attempt failed upstream:
                                                 timed out, a 5xx */


/* what a client connection remembers of the flow it last served */

typedef struct {
    ngx_shm_zone_t            *zone;
    ngx_http_scep_flow_node_t *node;
    uint64_t                   id;
    ngx_msec_t                 last;      /* the flow's, when it served it */
    ngx_rbtree_key_t           device;    /* its request's device digest */
    u_char                     rest[8];
    ngx_uint_t                 shared;    /* it carried two devices' */
} ngx_http_scep_flow_conn_t;


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
    ngx_msec_t                   prelude;
} ngx_http_scep_flow_ctx_t;


static ngx_int_t ngx_http_scep_flow_key(ngx_http_request_t *r,
    ngx_http_scep_flow_key_t *key);
static ngx_int_t ngx_http_scep_flow_txid(ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_flow_key_t *key);
static uint32_t ngx_http_scep_flow_ca(ngx_http_scep_ctx_t *ctx);
static ngx_http_scep_flow_node_t *ngx_http_scep_flow_join(
    ngx_http_scep_flow_ctx_t *fctx, ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_flow_conn_t *conn, ngx_http_scep_flow_key_t *device,
    ngx_http_scep_flow_key_t *txid, uint32_t ca, ngx_uint_t address);
static ngx_http_scep_flow_node_t *ngx_http_scep_flow_new(
    ngx_http_request_t *r, ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_key_t *device);
static ngx_http_scep_flow_conn_t *ngx_http_scep_flow_conn(
    ngx_http_request_t *r);
static void ngx_http_scep_flow_conn_cleanup(void *data);
static ngx_uint_t ngx_http_scep_flow_keepalive(ngx_http_request_t *r,
    ngx_http_scep_flow_conn_t *conn);
static uint32_t ngx_http_scep_flow_start(ngx_http_request_t *r);
static uint64_t ngx_http_scep_flow_id(ngx_http_request_t *r);
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
static ngx_shm_zone_t *ngx_http_scep_flow_next_zone(ngx_list_part_t **part,
    ngx_uint_t *i);


#define ngx_http_scep_flow_node(kn)                                           \
    ((ngx_http_scep_flow_node_t *)                                            \
         ((u_char *) (kn) - (kn)->node.data * sizeof(ngx_http_scep_flow_key_t)))


/*
 * How long ago the flow's latest request came.  Each worker has its own
 * cached ngx_current_msec: another worker's may be a little ahead, and an
 * unsigned difference would make a flow just seen look expired.
 */

#define ngx_http_scep_flow_age(fn)                                            \
    ((ngx_msec_int_t) (ngx_current_msec - (fn)->last) > 0                     \
     ? (ngx_msec_t) (ngx_current_msec - (fn)->last) : 0)


/* per worker: the digest's context, for the flows and the nonce table */

static EVP_MD      *ngx_http_scep_flow_md;
static EVP_MD_CTX  *ngx_http_scep_flow_mdctx;


/*
 * The device: the client address (after the realip module) and the
 * User-Agent.  The CA identifier is kept apart (ngx_http_scep_flow_ca()):
 * PKIOperation requests carry none, and a device's GetCACert and its
 * PKCSReq would fall apart.
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
 * The transaction: the transactionID and the signer key (the signer
 * certificate's SubjectPublicKeyInfo), of a PKCSReq, RenewalReq, UpdateReq
 * or CertPoll whose signature did not fail.  GetCert and GetCRL are not
 * one: clients send them with constant or counted transactionIDs
 * (sscep's "SSCEP transactionId", jscep's 0, 1, 2 ...).
 */

static ngx_int_t
ngx_http_scep_flow_txid(ngx_http_scep_ctx_t *ctx,
    ngx_http_scep_flow_key_t *key)
{
    scep_msg_t    *m;
    scep_bytes_t   spki;

    m = ctx->message.msg;

    if (m == NULL || m->transaction_id.data == NULL
        || ctx->message.signature == SCEP_SIG_INVALID)
    {
        return NGX_DECLINED;
    }

    switch (m->type) {
    case SCEP_MSG_PKCSREQ:
    case SCEP_MSG_RENEWALREQ:
    case SCEP_MSG_UPDATEREQ:
    case SCEP_MSG_CERTPOLL:
        break;
    default:
        return NGX_DECLINED;
    }

    if (scep_msg_signer_spki(m, &spki) != 0) {
        return NGX_DECLINED;
    }

    return ngx_http_scep_flow_digest(key, (u_char *) m->transaction_id.data,
                                     m->transaction_id.len,
                                     (u_char *) spki.data, spki.len);
}


/*
 * The CA identifier of a GetCACert, GetNextCACert or GetCACaps, or 0: a
 * CRC, not a digest, for it only tells one CA name from another, and
 * anyone can send any name.
 */

static uint32_t
ngx_http_scep_flow_ca(ngx_http_scep_ctx_t *ctx)
{
    size_t    i;
    uint32_t  ca;

    switch (ctx->request.op) {
    case SCEP_OP_GETCACERT:
    case SCEP_OP_GETNEXTCACERT:
    case SCEP_OP_GETCACAPS:
        break;
    default:
        return 0;
    }

    if (ctx->request.ca_ident.len == 0) {
        return 0;
    }

    /*
     * A number is an index a client walks, as certmonger walks
     * message=0, message=1 in one prelude: it names no device's CA.
     */

    for (i = 0; i < ctx->request.ca_ident.len; i++) {
        if (ctx->request.ca_ident.data[i] < '0'
            || ctx->request.ca_ident.data[i] > '9')
        {
            break;
        }
    }

    if (i == ctx->request.ca_ident.len && i <= 3) {
        return 0;
    }

    ca = ngx_crc32_long(ctx->request.ca_ident.data, ctx->request.ca_ident.len);

    return ca ? ca : 1;
}


/*
 * The request joins a flow, or starts one: once, when the record or a
 * flow variable is first wanted, or in the log phase; a PKIOperation
 * joins in the handler, so that its senderNonce is checked before the
 * upstream sees it.  A request that joined before its answer came is
 * called again for the outcome the answer gives.
 */

void
ngx_http_scep_flow_update(ngx_http_request_t *r, ngx_http_scep_ctx_t *ctx)
{
    uint32_t                    ca;
    uint64_t                    start;
    ngx_uint_t                  i, nonce, trusted, own, answer, failed;
    ngx_msec_t                  now;
    scep_msg_t                 *m;
    ngx_http_scep_nonce_t       snonce;
    ngx_http_scep_flow_ctx_t   *fctx;
    ngx_http_scep_flow_key_t    device, txid, *tx;
    ngx_http_scep_flow_node_t  *fn, one;
    ngx_http_scep_flow_conn_t  *conn;
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

        /* the answer, or the upstream's failure, of a flow joined before */

        answer = (ctx->flow.joined && ctx->answer.certrep
                  && !ctx->flow.answered);
        failed = (ctx->flow.joined && ctx->flow.node && ctx->flow.attempt
                  && !ctx->flow.failed
                  && ngx_http_scep_upstream_failed(r, ctx));

        if (!answer && !failed) {
            return;
        }

        ctx->flow.answered |= answer;
        ctx->flow.failed |= failed;

        if (ctx->flow.node == NULL) {
            /* a flow of its own, kept nowhere */
            one.outcome = (u_char) ctx->flow.outcome;
            ngx_http_scep_flow_outcome(ctx, &one);
            return;
        }

        /* the zone the flow was joined in */

        fctx = ctx->flow.zone->data;

        ngx_shmtx_lock(&fctx->shpool->mutex);

        /* the node is still this flow's unless the id says otherwise */

        fn = ctx->flow.node;

        if (fn->id == ctx->flow.id && fn->step) {

            if (answer) {
                ngx_http_scep_flow_outcome(ctx, fn);
            }

            if (failed) {
                fn->flags |= NGX_HTTP_SCEP_FLOW_FAILED;
            }
        }

        ngx_shmtx_unlock(&fctx->shpool->mutex);

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

    tx = (ngx_http_scep_flow_txid(ctx, &txid) == NGX_OK) ? &txid : NULL;

    fctx = slcf->flow->data;

    nonce = (m && m->sender_nonce.data && m->sender_nonce.len);

    if (nonce) {
        if (ngx_http_scep_nonce_digest(ngx_http_scep_flow_mdctx,
                                       ngx_http_scep_flow_md,
                                       fctx->sh->nonces, &snonce,
                                       (u_char *) m->sender_nonce.data,
                                       m->sender_nonce.len,
                                       ctx->message.der.data,
                                       ctx->message.der.len)
            != NGX_OK)
        {
            return;
        }
    }

    ca = ngx_http_scep_flow_ca(ctx);

    /*
     * A message refused, or whose signature failed, says nothing of any
     * flow but the one its transaction and signer key name, or its
     * connection's: it joins no flow by address.
     */

    trusted = !(ctx->verdict.reject && !ctx->verdict.forwarded)
              && ctx->message.signature != SCEP_SIG_INVALID;

    conn = ngx_http_scep_flow_conn(r);

    ctx->flow.zone = slcf->flow;
    now = ngx_current_msec;

    ngx_shmtx_lock(&fctx->shpool->mutex);

    ngx_http_scep_flow_expire(fctx, 2, 0);

    fn = ngx_http_scep_flow_join(fctx, ctx, conn, &device, tx, ca, trusted);

    own = 0;

    if (fn == NULL && !trusted) {
        /* a flow of its own, one step, kept nowhere */
        fn = &one;
        ngx_memzero(fn, sizeof(ngx_http_scep_flow_node_t));
        fn->started = ngx_http_scep_flow_start(r);
        own = 1;

        fn->id = ngx_http_scep_flow_id(r);

    } else if (fn == NULL) {
        fn = ngx_http_scep_flow_new(r, fctx, &device);

        if (fn == NULL) {
            ngx_shmtx_unlock(&fctx->shpool->mutex);
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "scep: could not allocate a flow in "
                          "scep_flow_zone \"%V\"", &slcf->flow->shm.name);
            return;
        }

    } else {
        ngx_queue_remove(&fn->queue);
    }

    if (!own) {
        ngx_queue_insert_head(&fctx->sh->queue, &fn->queue);
        fn->last = now;
    }

    fn->step++;

    /*
     * An earlier attempt of this transaction failed upstream, before this
     * request's own failure is added: NDES may have issued the first.
     * Only an attempt of a transaction counts: a prelude request that
     * failed (NDES's 500 to GetNextCACert) issued nothing.
     */

    ctx->flow.attempt = (tx != NULL);

    ctx->flow.failed_before = (ctx->flow.joined_by == SCEP_JOIN_TRANSACTION
                               && (fn->flags & NGX_HTTP_SCEP_FLOW_FAILED));

    if (!own && tx && ngx_http_scep_upstream_failed(r, ctx)) {
        fn->flags |= NGX_HTTP_SCEP_FLOW_FAILED;
        ctx->flow.failed = 1;
    }

    /* from another address or User-Agent than the flow's first */

    ctx->flow.moved = (fn->step > 1
                       && (fn->keys[NGX_HTTP_SCEP_FLOW_DEVICE].node.key
                           != device.node.key
                           || ngx_memcmp(fn->keys[NGX_HTTP_SCEP_FLOW_DEVICE]
                                             .rest,
                                         device.rest, sizeof(device.rest))
                              != 0));

    if (!own && tx && ctx->flow.joined_by != SCEP_JOIN_TRANSACTION) {
        ngx_http_scep_flow_set(fctx, fn, NGX_HTTP_SCEP_FLOW_TXID, tx);
        fn->flags |= NGX_HTTP_SCEP_FLOW_TRANSACTION;
    }

    if (!own && ca && fn->ca == 0) {
        fn->ca = ca;
    }

    if (!own && trusted) {
        if (ngx_http_scep_flow_keepalive(r, conn)) {
            fn->flags |= NGX_HTTP_SCEP_FLOW_KEEPALIVE;

        } else {
            fn->flags &= ~NGX_HTTP_SCEP_FLOW_KEEPALIVE;
        }
    }

    /*
     * The device's latest flow without a transaction is what its next
     * prelude request, or its PKCSReq, joins by address.
     */

    if (!own && !ctx->flow.moved && trusted
        && !(fn->flags & NGX_HTTP_SCEP_FLOW_TRANSACTION))
    {
        ngx_http_scep_flow_set(fctx, fn, NGX_HTTP_SCEP_FLOW_DEVICE, &device);
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

    ctx->flow.node = own ? NULL : fn;
    ctx->flow.id = fn->id;
    ctx->flow.step = fn->step;
    ctx->flow.nseq = fn->nseq;

    for (i = 0; i < fn->nseq; i++) {
        ctx->flow.seq[i] = fn->seq[i];
    }

    /*
     * The flow's first request: the wall clock's milliseconds, of which
     * the flow keeps the low 32 bits, within 24 days of this request's.
     */

    start = (uint64_t) r->start_sec * 1000 + r->start_msec;

    ctx->flow.started = start + (int32_t) (fn->started - (uint32_t) start);

    ngx_shmtx_unlock(&fctx->shpool->mutex);

    if (conn && !own) {
        conn->zone = slcf->flow;
        conn->node = fn;
        conn->id = fn->id;
        conn->last = now;
        conn->device = device.node.key;
        ngx_memcpy(conn->rest, device.rest, sizeof(device.rest));
    }

    ctx->flow.joined = 1;
    ctx->flow.answered = (ctx->answer.certrep != NULL);
}


/* the flow the evidence names, or NULL for a new one */

static ngx_http_scep_flow_node_t *
ngx_http_scep_flow_join(ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_flow_conn_t *conn,
    ngx_http_scep_flow_key_t *device, ngx_http_scep_flow_key_t *txid,
    uint32_t ca, ngx_uint_t address)
{
    ngx_uint_t                  prelude;
    ngx_msec_t                  window;
    ngx_http_scep_flow_node_t  *fn;

    ctx->flow.joined_by = SCEP_JOIN_NEW;

    if (txid) {
        fn = ngx_http_scep_flow_find(fctx, NGX_HTTP_SCEP_FLOW_TXID, txid);

        if (fn) {
            ctx->flow.joined_by = SCEP_JOIN_TRANSACTION;
            return fn;
        }
    }

    /*
     * Another transaction, or a new prelude after one, is another
     * enrolment attempt: a flow that holds a transaction takes neither.
     */

    prelude = (ctx->request.op == SCEP_OP_GETCACERT
               || ctx->request.op == SCEP_OP_GETNEXTCACERT
               || ctx->request.op == SCEP_OP_GETCACAPS);

    /*
     * The same client connection as the flow's latest request, from the
     * same address and User-Agent: a proxy in front (realip) may carry
     * other clients' requests on it.
     */

    if (conn && conn->zone
        && (conn->device != device->node.key
            || ngx_memcmp(conn->rest, device->rest, sizeof(device->rest))
               != 0))
    {
        conn->shared = 1;

    } else if (conn && conn->zone == ctx->flow.zone) {
        fn = conn->node;

        if (fn->id == conn->id && fn->step
            && ngx_http_scep_flow_age(fn) <= fctx->timeout
            && (!(fn->flags & NGX_HTTP_SCEP_FLOW_TRANSACTION)
                || !(txid || prelude)))
        {
            ctx->flow.joined_by = SCEP_JOIN_CONNECTION;
            return fn;
        }
    }

    if (!address) {
        return NULL;
    }

    /*
     * The device's latest flow without a transaction, still in its
     * prelude, unless its latest request came on a connection that is
     * still open: that client would have sent this one on it, so this is
     * another device behind the same address.
     */

    fn = ngx_http_scep_flow_find(fctx, NGX_HTTP_SCEP_FLOW_DEVICE, device);

    window = ngx_min(fctx->prelude, fctx->timeout);

    if (fn && ngx_http_scep_flow_age(fn) <= window
        && !(fn->flags & (NGX_HTTP_SCEP_FLOW_TRANSACTION
                          |NGX_HTTP_SCEP_FLOW_KEEPALIVE))
        && (ca == 0 || fn->ca == 0 || fn->ca == ca))
    {
        ctx->flow.joined_by = SCEP_JOIN_ADDRESS;
        return fn;
    }

    return NULL;
}


static ngx_http_scep_flow_node_t *
ngx_http_scep_flow_new(ngx_http_request_t *r, ngx_http_scep_flow_ctx_t *fctx,
    ngx_http_scep_flow_key_t *device)
{
    ngx_uint_t                  i;
    ngx_http_scep_flow_node_t  *fn;

    fn = ngx_http_scep_flow_alloc(fctx);
    if (fn == NULL) {
        return NULL;
    }

    ngx_memzero(fn, sizeof(ngx_http_scep_flow_node_t));

    for (i = 0; i < NGX_HTTP_SCEP_FLOW_KEYS; i++) {
        fn->keys[i].node.data = (u_char) i;
    }

    fn->id = ngx_http_scep_flow_id(r);

    /* the first address and User-Agent, in the rbtree or not */

    fn->keys[NGX_HTTP_SCEP_FLOW_DEVICE].node.key = device->node.key;
    ngx_memcpy(fn->keys[NGX_HTTP_SCEP_FLOW_DEVICE].rest, device->rest,
               sizeof(device->rest));

    fn->started = ngx_http_scep_flow_start(r);

    fctx->sh->active++;

    return fn;
}


/* when the request started, the low 32 bits of its Unix time in ms */

static uint32_t
ngx_http_scep_flow_start(ngx_http_request_t *r)
{
    return (uint32_t) ((uint64_t) r->start_sec * 1000 + r->start_msec);
}


/*
 * What the client connection (an HTTP/2 stream's: its connection's)
 * remembers of its last flow: kept with the connection's pool, found by
 * its cleanup handler, in the worker that holds the connection, so unique
 * across workers without a key in the zone.
 */

/*
 * The SOC guide joins the logs of several edges by flow id, so an id must
 * be the edge's own: 64 bits from OpenSSL's DRBG, seeded by the kernel
 * and reseeded in each worker after fork(), not ngx_random(), which
 * srandom() seeded from the pid and the time, the same in two edges
 * started in the same second with the same pid (containers: pid 1).
 * Should the DRBG fail, a digest of the edge's name, the pid, the time
 * and a count stands in: still the edge's own.
 */

static uint64_t
ngx_http_scep_flow_id(ngx_http_request_t *r)
{
    u_char                     *p;
    uint64_t                    id;
    ngx_http_scep_flow_key_t    key;
    ngx_http_scep_main_conf_t  *smcf;
    static uint64_t             count;
    u_char                      buf[NGX_INT64_LEN * 4];

    if (RAND_bytes((u_char *) &id, sizeof(id)) == 1) {
        return id;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    p = ngx_sprintf(buf, "%P %T %M %uL", ngx_pid, ngx_time(),
                    ngx_current_msec, ++count);

    if (ngx_http_scep_flow_digest(&key, smcf->observer_name.data,
                                  smcf->observer_name.len, buf, p - buf)
        != NGX_OK)
    {
        return ((uint64_t) ngx_random() << 32) ^ ngx_random() ^ count;
    }

    ngx_memcpy(&id, key.rest, sizeof(id));

    return id;
}


static ngx_http_scep_flow_conn_t *
ngx_http_scep_flow_conn(ngx_http_request_t *r)
{
    ngx_connection_t           *c;
    ngx_pool_cleanup_t         *cln;
    ngx_http_scep_flow_conn_t  *conn;

    c = r->connection;

#if (NGX_HTTP_V2)
    if (r->stream) {
        c = r->stream->connection->connection;
    }
#endif

    for (cln = c->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_scep_flow_conn_cleanup) {
            return cln->data;
        }
    }

    cln = ngx_pool_cleanup_add(c->pool, sizeof(ngx_http_scep_flow_conn_t));
    if (cln == NULL) {
        return NULL;
    }

    conn = cln->data;
    ngx_memzero(conn, sizeof(ngx_http_scep_flow_conn_t));

    cln->handler = ngx_http_scep_flow_conn_cleanup;

    return conn;
}


/*
 * The connection closes: a flow whose latest request came on it no longer
 * keeps a connection open, and its device's next request, on a new one,
 * may join it by address again.
 */

static void
ngx_http_scep_flow_conn_cleanup(void *data)
{
    ngx_http_scep_flow_conn_t *conn = data;

    ngx_http_scep_flow_ctx_t   *fctx;
    ngx_http_scep_flow_node_t  *fn;

    if (conn->zone == NULL) {
        return;
    }

    fctx = conn->zone->data;

    ngx_shmtx_lock(&fctx->shpool->mutex);

    fn = conn->node;

    if (fn->id == conn->id && fn->step && fn->last == conn->last) {
        fn->flags &= ~NGX_HTTP_SCEP_FLOW_KEEPALIVE;
    }

    ngx_shmtx_unlock(&fctx->shpool->mutex);
}


/*
 * The connection stays open for the client's next request: the client
 * asked for it and nginx keeps it.  Not r->keepalive, which nginx clears
 * before the log phase.  Not a proxy's connection.
 */

static ngx_uint_t
ngx_http_scep_flow_keepalive(ngx_http_request_t *r,
    ngx_http_scep_flow_conn_t *conn)
{
    ngx_http_core_loc_conf_t   *clcf;

    ngx_http_variable_value_t  *vv;

    static ngx_str_t  realip = ngx_string("realip_remote_addr");

    /*
     * A connection that carried another device's requests, or a proxy's
     * (the realip module took the address from a header), carries other
     * clients' requests: it says nothing of this device's.
     */

    if (conn == NULL || conn->shared) {
        return 0;
    }

    /*
     * A client that sends no User-Agent may open a connection for each
     * request while an earlier one stays open (certmonger's scep-submit
     * does, for GetCACert message=0 and message=1): its open connection
     * says nothing of another device.
     */

    if (r->headers_in.user_agent == NULL) {
        return 0;
    }

    vv = ngx_http_get_variable(r, &realip,
                               ngx_hash_key(realip.data, realip.len));

    if (vv && !vv->not_found
        && (vv->len != r->connection->addr_text.len
            || ngx_strncmp(vv->data, r->connection->addr_text.data, vv->len)
               != 0))
    {
        return 0;
    }

#if (NGX_HTTP_V2)
    if (r->stream) {
        return 1;
    }
#endif

    switch (r->headers_in.connection_type) {
    case NGX_HTTP_CONNECTION_KEEP_ALIVE:
        break;
    case NGX_HTTP_CONNECTION_CLOSE:
        return 0;
    default:
        if (r->http_version <= NGX_HTTP_VERSION_10) {
            return 0;
        }
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    return clcf->keepalive_timeout > 0
           && r->connection->requests < clcf->keepalive_requests;
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

            if (ngx_http_scep_flow_age(fn) > fctx->timeout) {
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
    ngx_queue_t                *q;
    ngx_http_scep_flow_node_t  *fn;

    while (n-- && !ngx_queue_empty(&fctx->sh->queue)) {

        q = ngx_queue_last(&fctx->sh->queue);
        fn = ngx_queue_data(q, ngx_http_scep_flow_node_t, queue);

        if (!evict && ngx_http_scep_flow_age(fn) <= fctx->timeout) {
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


/* the cycle's next flow zone, from part and i on; NULL after the last */

static ngx_shm_zone_t *
ngx_http_scep_flow_next_zone(ngx_list_part_t **part, ngx_uint_t *i)
{
    ngx_shm_zone_t  *zone;

    for ( ;; ) {

        if (*i >= (*part)->nelts) {
            if ((*part)->next == NULL) {
                return NULL;
            }

            *part = (*part)->next;
            *i = 0;
            continue;
        }

        zone = (ngx_shm_zone_t *) (*part)->elts + (*i)++;

        if (zone->tag == &ngx_http_scep_module
            && zone->init == ngx_http_scep_flow_init_zone)
        {
            return zone;
        }
    }
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
    i = 0;

    while ((zone = ngx_http_scep_flow_next_zone(&part, &i)) != NULL) {

        fctx = zone->data;

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
                        ngx_min(zone->shm.name.len, 128),
                        zone->shm.name.data, n);
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
    i = 0;

    while ((zone = ngx_http_scep_flow_next_zone(&part, &i)) != NULL) {

        fctx = zone->data;

        ngx_shmtx_lock(&fctx->shpool->mutex);
        ngx_http_scep_flow_expire(fctx, NGX_MAX_UINT32_VALUE, 0);
        ngx_shmtx_unlock(&fctx->shpool->mutex);
    }
}


ngx_int_t
ngx_http_scep_flow_init_process(ngx_cycle_t *cycle)
{
    ngx_http_scep_flow_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    ngx_http_scep_flow_mdctx = EVP_MD_CTX_new();

    if (ngx_http_scep_flow_md == NULL || ngx_http_scep_flow_mdctx == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "scep: could not set up SHA-256 for the flows "
                      "and their senderNonces");
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


/* scep_flow_zone name:size [timeout=time] [prelude=time]; */

char *
ngx_http_scep_flow_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char                    *p;
    ssize_t                    size;
    ngx_str_t                 *value, name, s;
    ngx_uint_t                 i;
    ngx_msec_t                 timeout, prelude;
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
    prelude = 60000;

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

        if (ngx_strncmp(value[i].data, "prelude=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            prelude = ngx_parse_time(&s, 0);

            if (prelude == (ngx_msec_t) NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid prelude \"%V\"", &value[i]);
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
    fctx->prelude = prelude;

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
