/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */

#ifndef _NGX_HTTP_SCEP_VARIABLES_H_INCLUDED_
#define _NGX_HTTP_SCEP_VARIABLES_H_INCLUDED_


#include "ngx_http_scep_ctx.h"


ngx_int_t ngx_http_scep_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SCEP_VARIABLES_H_INCLUDED_ */
