/*
 * make include-check compiles this file and expects it to fail: a system
 * header before <ngx_config.h>, the mistake that breaks every nginx from
 * 1.23.0 on, must be refused by ngx_http_scep_module.h on any version.
 */

#include <stdio.h>

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
