/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_DIAGNOSIS_H_INCLUDED_
#define _NGX_HTTP_SCEP_DIAGNOSIS_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


ngx_int_t ngx_http_scep_diagnosis_init(ngx_conf_t *cf);
ngx_http_upstream_state_t *ngx_http_scep_upstream_state(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_str_t *ngx_http_scep_upstream_addr(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_int_t ngx_http_scep_ra_store(ngx_http_request_t *r, ngx_str_t *addr,
    time_t ra_not_after, ngx_uint_t warnings);
scep_upstream_error_e ngx_http_scep_upstream_error(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_uint_t ngx_http_scep_upstream_failed(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
scep_diag_e ngx_http_scep_diagnose(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);


#endif /* _NGX_HTTP_SCEP_DIAGNOSIS_H_INCLUDED_ */
