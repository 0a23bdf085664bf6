
/*
 * ngx_http_scep_module: what the nginx side of the module shares.
 */


#ifndef _NGX_HTTP_SCEP_MODULE_H_INCLUDED_
#define _NGX_HTTP_SCEP_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "scep.h"


typedef struct {
    ngx_flag_t                 enable;
    size_t                     max_uri_length;

    /* server level only: some location of this server has "scep on" */
    unsigned                   server_scep:1;
    unsigned                   uri_warned:1;
} ngx_http_scep_loc_conf_t;


typedef struct {
    scep_op_e                  op;
    ngx_str_t                  ca_ident;
    ngx_str_t                  path;
    ngx_str_t                  args;

    scep_reject_e              reject;
    ngx_str_t                  reject_detail;

    /* the request never reached a location: nginx core answered it */
    unsigned                   core:1;
    unsigned                   args_truncated:1;
    unsigned                   checked:1;
} ngx_http_scep_ctx_t;


ngx_http_scep_ctx_t *ngx_http_scep_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_scep_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_scep_record(ngx_http_request_t *r,
    ngx_http_scep_ctx_t *ctx, ngx_str_t *out);


extern ngx_module_t  ngx_http_scep_module;


#endif /* _NGX_HTTP_SCEP_MODULE_H_INCLUDED_ */
