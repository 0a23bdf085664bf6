/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_NONCE_H_INCLUDED_
#define _NGX_HTTP_SCEP_NONCE_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


/* 128 bits of SHA-256, as the flow zone keeps its other keys */
#define NGX_HTTP_SCEP_NONCE_DIGEST  16

/* one senderNonce for each NGX_HTTP_SCEP_NONCE_SHARE bytes of the zone */
#define NGX_HTTP_SCEP_NONCE_SHARE   512


typedef struct ngx_http_scep_nonces_s  ngx_http_scep_nonces_t;


/* a message's senderNonce and the whole message, as the table keeps them */

typedef struct {
    u_char                     nonce[NGX_HTTP_SCEP_NONCE_DIGEST];
    u_char                     message[NGX_HTTP_SCEP_NONCE_DIGEST];
} ngx_http_scep_nonce_t;


ngx_int_t ngx_http_scep_nonce_digest(EVP_MD_CTX *c, const EVP_MD *sha256,
    ngx_http_scep_nonces_t *nt, ngx_http_scep_nonce_t *n, u_char *nonce,
    size_t nonce_len, u_char *msg, size_t msg_len);
void ngx_http_scep_nonce_check(ngx_http_scep_nonces_t *nt,
    ngx_msec_t timeout, ngx_http_scep_nonce_t *n, uint64_t flow,
    ngx_uint_t keep, ngx_http_scep_flow_state_t *fs);
ngx_http_scep_nonces_t *ngx_http_scep_nonce_table(ngx_slab_pool_t *shpool,
    size_t size);
ngx_uint_t ngx_http_scep_nonce_evicted(ngx_http_scep_nonces_t *nt);


#endif /* _NGX_HTTP_SCEP_NONCE_H_INCLUDED_ */
