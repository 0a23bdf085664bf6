/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_RESPONSE_H_INCLUDED_
#define _NGX_HTTP_SCEP_RESPONSE_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


ngx_int_t ngx_http_scep_response_init(ngx_conf_t *cf);
void ngx_http_scep_response_incomplete(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
void ngx_http_scep_certs_cache_free(void);


#endif /* _NGX_HTTP_SCEP_RESPONSE_H_INCLUDED_ */
