/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_FLOW_H_INCLUDED_
#define _NGX_HTTP_SCEP_FLOW_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


/* what ngx_http_scep_flow_metrics() writes of each zone */
#define NGX_HTTP_SCEP_FLOW_ACTIVE          0
#define NGX_HTTP_SCEP_FLOW_EVICTED         1
#define NGX_HTTP_SCEP_FLOW_NONCES_EVICTED  2


void ngx_http_scep_flow_update(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx);
ngx_int_t ngx_http_scep_flow_init_process(ngx_cycle_t *cycle);
void ngx_http_scep_flow_exit_process(ngx_cycle_t *cycle);
u_char *ngx_http_scep_flow_metrics(u_char *p, ngx_uint_t what);
void ngx_http_scep_flow_expire_all(void);
char *ngx_http_scep_flow_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_scep_flow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_SCEP_FLOW_H_INCLUDED_ */
