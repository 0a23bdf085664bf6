/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_RECORD_H_INCLUDED_
#define _NGX_HTTP_SCEP_RECORD_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


void ngx_http_scep_json_init(void);
ngx_int_t ngx_http_scep_record(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_str_t *out);
u_char *ngx_http_scep_iso8601(u_char *buf, long long t);


#endif /* _NGX_HTTP_SCEP_RECORD_H_INCLUDED_ */
