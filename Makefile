# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# ngx_scep: build the module against the distribution's nginx, run it, test it.
#
#   make            build/ngx_http_scep_module.so (Debian nginx-dev tree, or NGINX_SRC=...)
#   make deps       install the Debian packages the project needs (idempotent;
#                   make deps-build: only what building the module takes)
#   make demo       enrol a device through nginx + the module to a local SCEP server
#   make test       the Test::Nginx suite (prove -r t)
#   make test-nginx NGINX_VERSION=1.30.4
#                   the suite against that nginx release, built from
#                   ../shared/nginx (make test-nginx-all: every release)
#   make test-real  the suite under openresty's Test::Nginx (../shared/test-nginx)

SHELL := /bin/bash

BUILD      := build
MODULE     := $(BUILD)/ngx_http_scep_module.so
NGINX_DEV  := /usr/share/nginx/src
NGINX_SRC  ?=
NGINX_TREE := $(BUILD)/nginx
NGINX_BIN  ?= /usr/sbin/nginx

# the decoding core, free of nginx types, in ngx_scep_module/core (its one
# list of sources is core/sources, read by config, fuzz/ and bench/ too);
# tools, fuzzers and benchmarks build it on its own
CORE_DIR  := ngx_scep_module/core
CORE      := $(addprefix $(CORE_DIR)/,$(shell cat $(CORE_DIR)/sources))
CORE_DEPS := $(CORE) $(wildcard $(CORE_DIR)/*.h) $(CORE_DIR)/sources

SRCS := $(wildcard ngx_scep_module/*.c ngx_scep_module/*.h) $(CORE_DEPS)

# what building the module takes (make package too), and what the demo and
# the suite run besides: the real SCEP server and clients, the real
# consumers of the records and metrics (rsyslog, Prometheus), the tools
BUILD_PACKAGES := build-essential nginx-core nginx-dev libssl-dev \
                  libjansson-dev
TEST_PACKAGES := scep certmonger openssl curl iproute2 util-linux \
                 libtest-base-perl libjson-validator-perl jq rsyslog \
                 prometheus
TOOL_PACKAGES := clang libclang-rt-14-dev valgrind wrk
PKG_PACKAGES := debhelper dpkg-dev
# what t/lib/package-test takes besides the package
PKG_TEST_PACKAGES := openssl curl
# what building nginx itself takes (make test-nginx)
NGINX_BUILD_PACKAGES := dpkg-dev libpcre2-dev zlib1g-dev
# what openresty's Test::Nginx needs besides Test::Base (make test-real)
REAL_TEST_PACKAGES := libtest-longstring-perl liblist-moreutils-perl \
                      libipc-run-perl libtext-diff-perl libwww-perl

# nginx releases besides the distribution's, as source trees (not part of
# a clone: the targets that need them say so and skip)
NGINX_SOURCES  ?= $(abspath ../shared/nginx)
NGINX_VERSIONS ?= 1.24.0 1.26.3 1.30.4 1.31.4
NGINX_VERSION  := 1.30.4
TEST_NGINX_LIB ?= $(abspath ../shared/test-nginx/lib)
PKG := $(BUILD)/pkg
BENCH_SECONDS ?= 5
LOAD_REQUESTS ?= 100000

# the module with AddressSanitizer and UBSan, for make test-asan
ASAN_TREE   := $(BUILD)/nginx-asan
ASAN_MODULE := $(BUILD)/asan-module/ngx_http_scep_module.so
ASAN_CC     := clang -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fsanitize-address-use-odr-indicator \
               -fno-omit-frame-pointer -g -O1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: FORCE all deps deps-build deps-tools deps-nginx deps-real demo test test-nginx test-nginx-all test-real include-check docs fuzz bench bench-decode bench-capture bench-flows bench-instructions package package-test test-valgrind test-asan test-load fixtures clean

# what the suite runs besides nginx
TEST_TOOLS := $(BUILD)/scep-facts $(BUILD)/scep-diff $(BUILD)/scep-resp-dump \
              $(BUILD)/scep-gen

# where the tests find them
TEST_ENV := SCEP_FACTS=$(CURDIR)/$(BUILD)/scep-facts \
            SCEP_DIFF=$(CURDIR)/$(BUILD)/scep-diff \
            SCEP_RESP_DUMP=$(CURDIR)/$(BUILD)/scep-resp-dump \
            SCEP_GEN=$(CURDIR)/$(BUILD)/scep-gen

all: $(MODULE) $(TEST_TOOLS)

# dpkg-query is cheap: apt-get runs only when something is missing.
define apt_install
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps-build:
	$(call apt_install,$(BUILD_PACKAGES))

deps: deps-build
	$(call apt_install,$(TEST_PACKAGES))

# clang's libFuzzer and sanitizers, valgrind's callgrind
deps-tools: deps
	$(call apt_install,$(TOOL_PACKAGES))

deps-nginx: deps
	$(call apt_install,$(NGINX_BUILD_PACKAGES))

deps-real: deps
	$(call apt_install,$(REAL_TEST_PACKAGES))

# A copy of the nginx tree is configured once; objs/Makefile then rebuilds
# only the module objects.  A release tarball has ./configure, a tree of
# nginx's repository auto/configure.  With Debian's tree, the compiler and linker
# flags are those dh_nginx gives the package (dpkg-buildflags: -O2,
# fortified, hardened), so that the tests and the benchmarks run the code
# that ships.
$(NGINX_TREE)/objs/Makefile: config $(CORE_DIR)/sources $(BUILD)/nginx-src \
                             $(BUILD)/module-files | deps-build
	rm -rf $(NGINX_TREE) && mkdir -p $(BUILD)
	@if [ -n "$(NGINX_SRC)" ]; then \
	    cp -a "$(NGINX_SRC)" $(NGINX_TREE) && cd $(NGINX_TREE) && \
	    { [ -x configure ] && c=./configure || c=auto/configure; } && \
	    $$c --with-compat $(NGINX_CONFIGURE_FLAGS) \
	        --add-dynamic-module=$(CURDIR); \
	else \
	    cp -a $(NGINX_DEV) $(NGINX_TREE) && \
	    cd $(NGINX_TREE) && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="$$(dpkg-buildflags --get CFLAGS) -fPIC $$(dpkg-buildflags --get CPPFLAGS)" \
	        --with-ld-opt="$$(dpkg-buildflags --get LDFLAGS) -fPIC" \
	        --add-dynamic-module=$(CURDIR); \
	fi > $(BUILD)/configure.log 2>&1 || { tail -20 $(BUILD)/configure.log; exit 1; }

# the tree build/nginx was configured from: another NGINX_SRC configures anew
$(BUILD)/nginx-src: FORCE
	@mkdir -p $(BUILD)
	@echo '$(NGINX_SRC)' | cmp -s - $@ || echo '$(NGINX_SRC)' > $@

# the module's files as config found them (its sources and headers are
# read at configure time): a file added or removed configures anew
$(BUILD)/module-files: FORCE
	@mkdir -p $(BUILD)
	@ls ngx_scep_module ngx_scep_module/core | cmp -s - $@ \
	    || ls ngx_scep_module ngx_scep_module/core > $@

FORCE:

$(MODULE): $(NGINX_TREE)/objs/Makefile $(SRCS)
	$(MAKE) -C $(NGINX_TREE) -f objs/Makefile modules
	cp $(NGINX_TREE)/objs/ngx_http_scep_module.so $@

# the module's tables as data, for the docs and the tests derived from them
# the C tools of the tests (t/tools), built on the core alone: no nginx
# include path, so a core file that includes an nginx header fails here
$(BUILD)/scep-facts: t/tools/scep_facts.c $(CORE_DEPS) | deps-build
	@mkdir -p $(BUILD)
	$(CC) -Wall -Werror -I$(CORE_DIR) -o $@ t/tools/scep_facts.c $(CORE) -lcrypto

$(BUILD)/scep-diff: t/tools/scep_diff.c $(CORE_DEPS) | deps-build
	@mkdir -p $(BUILD)
	$(CC) -O2 -Wall -Werror -I$(CORE_DIR) -o $@ t/tools/scep_diff.c $(CORE) -lcrypto

$(BUILD)/scep-resp-dump: t/tools/scep_resp_dump.c $(CORE_DEPS) | deps-build
	@mkdir -p $(BUILD)
	$(CC) -O2 -Wall -Werror -I$(CORE_DIR) -o $@ t/tools/scep_resp_dump.c $(CORE) -lcrypto

$(BUILD)/scep-gen: t/tools/scep_gen.c | deps-build
	@mkdir -p $(BUILD)
	$(CC) -O2 -Wall -Werror -o $@ t/tools/scep_gen.c -lcrypto

# regenerates the committed fixtures in t/data (deterministic)
fixtures: $(BUILD)/scep-gen
	$(BUILD)/scep-gen t/data

# libFuzzer targets with ASan and UBSan; FUZZ_SECONDS each (default 60)
fuzz: deps-tools
	$(MAKE) -C fuzz run

# decoder, d2i_PKCS7 and signature check, side by side
bench-decode: deps-tools
	$(MAKE) -C bench run

# what decoding GetCACert answers costs on the proxy path
bench-capture: deps-tools $(MODULE)
	bench/capture.sh $(CURDIR)/$(MODULE)

# the whole suite with every nginx process under valgrind's memcheck
# (valgrind.suppress: nginx's own exit-time leaks, each explained)
test-valgrind: deps-tools all
	TEST_NGINX_USE_VALGRIND=1 $(MAKE) test

# The module built by clang with ASan and UBSan in a copy of the configured
# tree, linked to the shared ASan runtime and never unloaded (-z nodelete:
# a leak found at exit can still name its frames); the suite then runs in
# Debian's nginx with that runtime preloaded (t/lib/asan-test); not
# fortified, so that ASan sees every memcpy (its CFLAGS).  The ODR
# indicator: the module's own ngx_modules[] is interposed by nginx's, and
# without it ASan would put the redzone of the small one on the large one.
$(ASAN_MODULE): $(NGINX_TREE)/objs/Makefile $(SRCS) | deps-tools
	rm -rf $(ASAN_TREE) && cp -a $(NGINX_TREE) $(ASAN_TREE)
	find $(ASAN_TREE)/objs -name "*.o" -delete && rm -f $(ASAN_TREE)/objs/*.so
	$(MAKE) -C $(ASAN_TREE) -f objs/Makefile modules CC="$(ASAN_CC)" \
	    CFLAGS="-pipe -W -Wall -Wpointer-arith -Wno-unused-parameter -Werror" \
	    LINK="$(ASAN_CC) -shared-libasan -Wl,-z,nodelete"
	@mkdir -p $(dir $@)
	cp $(ASAN_TREE)/objs/ngx_http_scep_module.so $@

test-asan: deps-tools $(ASAN_MODULE) $(TEST_TOOLS)
	$(TEST_ENV) t/lib/asan-test $(CURDIR)/$(ASAN_MODULE) $(TESTS)

# 100 000 mixed requests, two reloads and a reopen, every record counted
# and checked (t/lib/load-test)
test-load: all
	t/lib/load-test $(CURDIR)/$(MODULE) $(LOAD_REQUESTS)

# the module against plain proxying, the decoder, the flows: a table, then
# "name value" lines (bench/bench.sh; BENCH_SECONDS per wrk run)
bench: deps-tools $(MODULE)
	bench/bench.sh $(CURDIR)/$(MODULE) $(BENCH_SECONDS)

# bytes per device flow and the cost of a flow lookup and update
bench-flows: deps-tools $(MODULE)
	bench/flows.sh $(CURDIR)/$(MODULE)

# the instructions the module adds to a GetCACaps and a PKIOperation GET
bench-instructions: deps-tools $(MODULE)
	bench/instructions.sh $(CURDIR)/$(MODULE)

# the Debian package libnginx-mod-http-scep (debian/, dh_nginx), built
# from a copy of the tree so that nothing lands beside the repository
package: deps-build
	$(call apt_install,$(PKG_PACKAGES))
	rm -rf $(PKG) && mkdir -p $(PKG)/src
	tar --exclude=./build --exclude=./.git --exclude='./t/servroot*' \
	    --exclude=./t/records -cf - . | tar -C $(PKG)/src -xf -
	cd $(PKG)/src && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 \
	    || { tail -30 $(PKG)/build.log; exit 1; }
	@ls $(PKG)/*.deb

# installs the package, loads the module the Debian way, nginx -t, purges
package-test: package
	$(call apt_install,$(PKG_TEST_PACKAGES))
	t/lib/package-test $(PKG)/libnginx-mod-http-scep_*_$$(dpkg --print-architecture).deb

# rewrites the generated tables between the markers in docs/directives.md
docs: $(BUILD)/scep-facts
	$(BUILD)/scep-facts markdown > $(BUILD)/rejects.md
	$(BUILD)/scep-facts diagnoses > $(BUILD)/diagnoses.md
	$(BUILD)/scep-facts ndes-errors > $(BUILD)/ndes-errors.md
	sed -i -e '/<!-- reject-reasons:begin -->/,/<!-- reject-reasons:end -->/{//!d}' \
	    -e '/<!-- reject-reasons:begin -->/r $(BUILD)/rejects.md' \
	    -e '/<!-- diagnoses:begin -->/,/<!-- diagnoses:end -->/{//!d}' \
	    -e '/<!-- diagnoses:begin -->/r $(BUILD)/diagnoses.md' docs/directives.md
	t/lib/schema-fields docs/scep-log.schema.json > $(BUILD)/fields.md
	sed -i -e '/<!-- fields:begin -->/,/<!-- fields:end -->/{//!d}' \
	    -e '/<!-- fields:begin -->/r $(BUILD)/fields.md' \
	    -e '/<!-- diagnoses:begin -->/,/<!-- diagnoses:end -->/{//!d}' \
	    -e '/<!-- diagnoses:begin -->/r $(BUILD)/diagnoses.md' \
	    -e '/<!-- ndes-errors:begin -->/,/<!-- ndes-errors:end -->/{//!d}' \
	    -e '/<!-- ndes-errors:begin -->/r $(BUILD)/ndes-errors.md' docs/soc-guide.md

demo: deps $(MODULE)
	t/lib/demo.sh $(CURDIR)/$(MODULE)

# The compatible harness in t/compat is used only when the real
# Test::Nginx is not installed.
test: deps $(MODULE) $(TEST_TOOLS) include-check
	$(TEST_ENV) t/lib/run-tests $(CURDIR)/$(MODULE) $(TESTS)

# Every glue file starts with <ngx_config.h>, and ngx_http_scep_ctx.h
# refuses a file that reads a system header first (from nginx 1.23.0 on,
# such a file does not build); t/tools/include-order.c proves that the
# refusal still works, with Debian's 1.22, where nothing else would.
# The core, for its part, includes no nginx header at all.
INCLUDE_ORDER_ERROR := a header is included before <ngx_config.h>

include-check: $(NGINX_TREE)/objs/Makefile
	@! grep -n '#include *[<"]ngx_' $(CORE_DIR)/* \
	    || { echo "include-check: the core includes nginx"; exit 1; }
	@! grep -n '#include "ngx_http_scep_' ngx_scep_module/*.h | grep -v '"ngx_http_scep_ctx.h"' \
	    || { echo "include-check: a glue header includes another than ngx_http_scep_ctx.h"; exit 1; }
	@for f in ngx_scep_module/ngx_http_*.c; do \
	    grep -m1 '^#include' $$f | grep -q '^#include <ngx_config.h>$$' \
	        || { echo "include-check: $$f does not include <ngx_config.h> first"; exit 1; }; \
	done
	@if $(MAKE) -s -C $(NGINX_TREE) -f objs/Makefile \
	        -f $(CURDIR)/t/tools/include-order.mk include-order-probe \
	        TOP=$(CURDIR) > $(BUILD)/include-order.log 2>&1; then \
	    echo "include-check: t/tools/include-order.c compiled, the header's check is gone"; \
	    exit 1; \
	elif grep -q 'include-order: not glibc' $(BUILD)/include-order.log; then \
	    echo "include-check: not glibc on Linux, the header's check does not apply"; \
	elif grep -qF '#error "$(INCLUDE_ORDER_ERROR)"' $(BUILD)/include-order.log; then \
	    echo "include-check: a system header before <ngx_config.h> is refused"; \
	else \
	    cat $(BUILD)/include-order.log; exit 1; \
	fi

# One nginx release from ../shared/nginx, built as a distribution builds
# it (t/lib/nginx-release: --with-compat, TLS, HTTP/2, stream, realip,
# auth_request, Debian's hardening flags; -Werror on every file, the
# module's included), and the whole suite against it and the module.
test-nginx: deps-nginx $(TEST_TOOLS)
	$(TEST_ENV) NGINX_SOURCES="$(NGINX_SOURCES)" \
	    t/lib/nginx-release $(NGINX_VERSION) $(TESTS)

test-nginx-all: deps-nginx $(TEST_TOOLS)
	@set -o pipefail; for v in $(NGINX_VERSIONS); do \
	    $(MAKE) --no-print-directory test-nginx NGINX_VERSION=$$v \
	        2>&1 | tee $(BUILD)/test-nginx-$$v.log || exit 1; \
	done; \
	grep -h '^test-nginx [0-9.]*: \(build\|skipped\)' \
	    $(foreach v,$(NGINX_VERSIONS),$(BUILD)/test-nginx-$(v).log)

# The suite under openresty's own Test::Nginx instead of t/compat, against
# Debian's nginx; skipped when ../shared/test-nginx is absent.
test-real: deps-real $(MODULE) $(TEST_TOOLS)
	@if [ -f "$(TEST_NGINX_LIB)/Test/Nginx/Socket.pm" ]; then \
	    $(TEST_ENV) SCEP_TEST_NGINX_LIB="$(TEST_NGINX_LIB)" \
	        t/lib/run-tests $(CURDIR)/$(MODULE) $(TESTS); \
	else \
	    echo "test-real: skipped, $(TEST_NGINX_LIB) is absent" \
	         "(openresty's Test::Nginx is not part of a clone)"; \
	    [ "$(SCEP_REQUIRE_SHARED)" != 1 ]; \
	fi

clean:
	rm -rf $(BUILD) t/servroot t/records
