/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_DIAGNOSIS_H_INCLUDED_
#define _NGX_HTTP_SCEP_DIAGNOSIS_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


/* a certificate's subject as the metrics show it, cut */
#define NGX_HTTP_SCEP_RA_SUBJECT    128
/* and its serial, as the core writes it (scep_cert_t) */
#define NGX_HTTP_SCEP_RA_SERIAL     80

/* its line: the name, the labels with their values escaped, the time */
#define NGX_HTTP_SCEP_RA_CERT_LINE  (128 + 2 * NGX_SOCKADDR_STRLEN          \
                                     + 2 * NGX_HTTP_SCEP_RA_SUBJECT       \
                                     + NGX_HTTP_SCEP_RA_SERIAL)


ngx_int_t ngx_http_scep_diagnosis_init(ngx_conf_t *cf);
ngx_http_upstream_state_t *ngx_http_scep_upstream_state(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_str_t *ngx_http_scep_upstream_addr(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_int_t ngx_http_scep_ra_store(ngx_http_request_t *r, ngx_str_t *addr,
    time_t ra_not_after, ngx_uint_t warnings, scep_certs_t *certs);
ngx_uint_t ngx_http_scep_ra_certs(void);
u_char *ngx_http_scep_ra_metrics(u_char *p, u_char *last);
scep_upstream_error_e ngx_http_scep_upstream_error(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_uint_t ngx_http_scep_upstream_failed(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
scep_diag_e ngx_http_scep_diagnose(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);


#endif /* _NGX_HTTP_SCEP_DIAGNOSIS_H_INCLUDED_ */
