/* Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE. */
/*
 * make include-check compiles this file and expects it to fail: a system
 * header before <ngx_config.h>, the mistake that breaks every nginx from
 * 1.23.0 on, must be refused by ngx_http_scep_ctx.h on any version.
 */

#undef _GNU_SOURCE                  /* as if CFLAGS had not defined it */

#include <stdio.h>

#if !(defined __linux__ && defined __GLIBC__)
#error "include-order: not glibc on Linux, where the order does not matter"
#endif

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_ctx.h"
