/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

/*
 * The senderNonces a flow zone has seen within its timeout, zone-wide: a
 * table of fixed size, allocated once when the zone is made, apart from
 * the flows.  Evicting flows frees nothing here, so no flood of devices
 * can flush it; only new senderNonces push out the oldest ones, and each
 * one pushed out before its timeout is counted.
 *
 * The table is a ring in the order the nonces came, which is also the
 * order they expire in, and a hash index of chains into it.  An entry
 * keeps digests only: of the senderNonce and of the whole message that
 * first carried it, to tell a client's retry (the same bytes) from a
 * replay (the same nonce in another message).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_scep_ctx.h"
#include "ngx_http_scep_nonce.h"


#define NGX_HTTP_SCEP_NONCE_NIL  0xffffffff


typedef struct {
    ngx_http_scep_nonce_t      digest;
    uint64_t                   flow;      /* the flow that first sent it */
    ngx_msec_t                 time;      /* when */
    uint32_t                   next;      /* in its chain of the index */
} ngx_http_scep_nonce_entry_t;


struct ngx_http_scep_nonces_s {
    ngx_http_scep_nonce_entry_t  *entries;
    uint32_t                     *index;
    ngx_uint_t                    size;       /* entries */
    ngx_uint_t                    mask;       /* of the index */
    ngx_uint_t                    used;
    ngx_uint_t                    head;       /* the next to write */
    ngx_uint_t                    evicted;
    u_char                        salt[16];   /* set once, read unlocked */
};


static ngx_http_scep_nonce_entry_t *ngx_http_scep_nonce_find(
    ngx_http_scep_nonces_t *nt, ngx_http_scep_nonce_t *n);
static void ngx_http_scep_nonce_add(ngx_http_scep_nonces_t *nt,
    ngx_msec_t timeout, ngx_http_scep_nonce_t *n, uint64_t flow);
static ngx_uint_t ngx_http_scep_nonce_hash(ngx_http_scep_nonces_t *nt,
    u_char *digest);


/*
 * Outside the zone's lock: the digests of the nonce, salted with the
 * zone's secret (senderNonces are the sender's choice, their place in the
 * index is not), and of the message.
 */

ngx_int_t
ngx_http_scep_nonce_digest(EVP_MD_CTX *c, const EVP_MD *sha256,
    ngx_http_scep_nonces_t *nt, ngx_http_scep_nonce_t *n, u_char *nonce,
    size_t nonce_len, u_char *msg, size_t msg_len)
{
    u_char  md[EVP_MAX_MD_SIZE];

    if (c == NULL
        || EVP_DigestInit_ex2(c, sha256, NULL) != 1
        || EVP_DigestUpdate(c, nt->salt, sizeof(nt->salt)) != 1
        || EVP_DigestUpdate(c, nonce, nonce_len) != 1
        || EVP_DigestFinal_ex(c, md, NULL) != 1)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(n->nonce, md, NGX_HTTP_SCEP_NONCE_DIGEST);

    if (EVP_DigestInit_ex2(c, sha256, NULL) != 1
        || EVP_DigestUpdate(c, msg, msg_len) != 1
        || EVP_DigestFinal_ex(c, md, NULL) != 1)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(n->message, md, NGX_HTTP_SCEP_NONCE_DIGEST);

    return NGX_OK;
}


/*
 * Under the zone's lock: a senderNonce seen within the timeout is a
 * replay, and a retransmission too when the message is the one that first
 * carried it.  A new one is kept when the caller says so (a message the
 * module refused never reached the upstream).
 */

void
ngx_http_scep_nonce_check(ngx_http_scep_nonces_t *nt, ngx_msec_t timeout,
    ngx_http_scep_nonce_t *n, uint64_t flow, ngx_uint_t keep,
    ngx_http_scep_flow_state_t *fs)
{
    ngx_http_scep_nonce_entry_t  *e;

    fs->nonce = 1;

    e = ngx_http_scep_nonce_find(nt, n);

    if (e && ngx_current_msec - e->time <= timeout) {
        fs->replay = 1;
        fs->replay_of = e->flow;
        fs->retransmission = (ngx_memcmp(e->digest.message, n->message,
                                         NGX_HTTP_SCEP_NONCE_DIGEST) == 0);
        return;
    }

    if (keep) {
        ngx_http_scep_nonce_add(nt, timeout, n, flow);
    }
}


/* the most recent entry of this nonce: chains are newest first */

static ngx_http_scep_nonce_entry_t *
ngx_http_scep_nonce_find(ngx_http_scep_nonces_t *nt, ngx_http_scep_nonce_t *n)
{
    uint32_t                      i;
    ngx_http_scep_nonce_entry_t  *e;

    for (i = nt->index[ngx_http_scep_nonce_hash(nt, n->nonce)];
         i != NGX_HTTP_SCEP_NONCE_NIL;
         i = e->next)
    {
        e = &nt->entries[i];

        if (ngx_memcmp(e->digest.nonce, n->nonce, NGX_HTTP_SCEP_NONCE_DIGEST)
            == 0)
        {
            return e;
        }
    }

    return NULL;
}


/* in the next slot of the ring: the oldest nonce goes, counted if live */

static void
ngx_http_scep_nonce_add(ngx_http_scep_nonces_t *nt, ngx_msec_t timeout,
    ngx_http_scep_nonce_t *n, uint64_t flow)
{
    uint32_t                     *p;
    ngx_uint_t                    h;
    ngx_http_scep_nonce_entry_t  *e;

    e = &nt->entries[nt->head];

    if (nt->used == nt->size) {

        if (ngx_current_msec - e->time <= timeout) {
            nt->evicted++;
        }

        /* out of its chain */

        p = &nt->index[ngx_http_scep_nonce_hash(nt, e->digest.nonce)];

        while (*p != nt->head) {
            p = &nt->entries[*p].next;
        }

        *p = e->next;

    } else {
        nt->used++;
    }

    h = ngx_http_scep_nonce_hash(nt, n->nonce);

    e->digest = *n;
    e->flow = flow;
    e->time = ngx_current_msec;
    e->next = nt->index[h];

    nt->index[h] = (uint32_t) nt->head;

    nt->head = (nt->head + 1) % nt->size;
}


static ngx_uint_t
ngx_http_scep_nonce_hash(ngx_http_scep_nonces_t *nt, u_char *digest)
{
    uint32_t  h;

    /* the bytes of a digest are as good as any hash of them */

    ngx_memcpy(&h, digest, sizeof(uint32_t));

    return h & nt->mask;
}


/*
 * When the zone is made: NGX_HTTP_SCEP_NONCE_SHARE bytes of the zone for
 * each nonce (about 60 of them taken here), the rest for the flows.
 */

ngx_http_scep_nonces_t *
ngx_http_scep_nonce_table(ngx_slab_pool_t *shpool, size_t size)
{
    u_char                  *p;
    ngx_uint_t               n, i, buckets;
    ngx_http_scep_nonces_t  *nt;

    n = size / NGX_HTTP_SCEP_NONCE_SHARE;

    if (n == 0 || n >= NGX_HTTP_SCEP_NONCE_NIL) {
        return NULL;
    }

    for (buckets = 1; buckets < n; buckets <<= 1) { /* void */ }

    p = ngx_slab_alloc(shpool, sizeof(ngx_http_scep_nonces_t)
                               + n * sizeof(ngx_http_scep_nonce_entry_t)
                               + buckets * sizeof(uint32_t));
    if (p == NULL) {
        return NULL;
    }

    nt = (ngx_http_scep_nonces_t *) p;
    p += sizeof(ngx_http_scep_nonces_t);

    nt->entries = (ngx_http_scep_nonce_entry_t *) p;
    p += n * sizeof(ngx_http_scep_nonce_entry_t);

    nt->index = (uint32_t *) p;

    for (i = 0; i < buckets; i++) {
        nt->index[i] = NGX_HTTP_SCEP_NONCE_NIL;
    }

    nt->size = n;
    nt->mask = buckets - 1;
    nt->used = 0;
    nt->head = 0;
    nt->evicted = 0;

    if (RAND_bytes(nt->salt, sizeof(nt->salt)) != 1) {
        return NULL;
    }

    return nt;
}


ngx_uint_t
ngx_http_scep_nonce_evicted(ngx_http_scep_nonces_t *nt)
{
    return nt->evicted;
}
