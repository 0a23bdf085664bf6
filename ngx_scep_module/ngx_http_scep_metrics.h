/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_METRICS_H_INCLUDED_
#define _NGX_HTTP_SCEP_METRICS_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


/* the longest line of the metrics */
#define NGX_HTTP_SCEP_METRIC_LINE  256


ngx_int_t ngx_http_scep_metrics_init(ngx_conf_t *cf);
void ngx_http_scep_metrics_count(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
void ngx_http_scep_metrics_flow_ended(ngx_uint_t last, ngx_uint_t outcome);
char *ngx_http_scep_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_SCEP_METRICS_H_INCLUDED_ */
