/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_MESSAGE_H_INCLUDED_
#define _NGX_HTTP_SCEP_MESSAGE_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


ngx_int_t ngx_http_scep_message_check(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_http_scep_loc_conf_t *slcf);
void ngx_http_scep_message_peek(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_int_t ngx_http_scep_message_normalize(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_int_t ngx_http_scep_keys_init(ngx_cycle_t *cycle);
void ngx_http_scep_keys_done(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_SCEP_MESSAGE_H_INCLUDED_ */
