# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Read after nginx's objs/Makefile, whose CC, CFLAGS and ALL_INCS compile
# the module's own files (make include-check).

include-order-probe:
	$(CC) -fsyntax-only $(CFLAGS) $(ALL_INCS) $(TOP)/t/tools/include-order.c
