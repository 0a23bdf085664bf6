# ngx_scep: build the module against the distribution's nginx, run it, test it.
#
#   make            build/ngx_http_scep_module.so (Debian nginx-dev tree, or NGINX_SRC=...)
#   make deps       install the Debian packages the project needs (idempotent)
#   make demo       enrol a device through nginx + the module to a local SCEP server
#   make test       the Test::Nginx suite (prove -r t)

SHELL := /bin/bash

BUILD      := build
MODULE     := $(BUILD)/ngx_http_scep_module.so
NGINX_DEV  := /usr/share/nginx/src
NGINX_SRC  ?=
NGINX_TREE := $(BUILD)/nginx
NGINX_BIN  ?= /usr/sbin/nginx

SRCS := $(wildcard ngx_scep_module/*.c ngx_scep_module/*.h)

DEB_PACKAGES := build-essential nginx-core nginx-dev libssl-dev libjansson-dev \
                scep certmonger openssl curl iproute2 util-linux \
                libtest-base-perl libjson-validator-perl

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps demo test docs clean

all: $(MODULE) $(BUILD)/scep-facts

# dpkg-query is cheap: apt-get runs only when something is missing.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# A copy of the nginx tree is configured once; objs/Makefile then rebuilds
# only the module objects.
$(NGINX_TREE)/objs/Makefile: config | deps
	rm -rf $(NGINX_TREE) && mkdir -p $(BUILD)
	@if [ -n "$(NGINX_SRC)" ]; then \
	    cp -a "$(NGINX_SRC)" $(NGINX_TREE) && \
	    cd $(NGINX_TREE) && ./configure --with-compat $(NGINX_CONFIGURE_FLAGS) \
	        --add-dynamic-module=$(CURDIR); \
	else \
	    cp -a $(NGINX_DEV) $(NGINX_TREE) && \
	    cd $(NGINX_TREE) && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR); \
	fi > $(BUILD)/configure.log 2>&1 || { tail -20 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(NGINX_TREE)/objs/Makefile $(SRCS)
	$(MAKE) -C $(NGINX_TREE) -f objs/Makefile modules
	cp $(NGINX_TREE)/objs/ngx_http_scep_module.so $@

# the module's tables as data, for the docs and the tests derived from them
$(BUILD)/scep-facts: t/lib/scep_facts.c ngx_scep_module/scep_tables.c ngx_scep_module/scep.h
	@mkdir -p $(BUILD)
	$(CC) -Wall -Werror -Ingx_scep_module -o $@ t/lib/scep_facts.c ngx_scep_module/scep_tables.c

# rewrites the generated table between the markers in docs/directives.md
docs: $(BUILD)/scep-facts
	$(BUILD)/scep-facts markdown > $(BUILD)/rejects.md
	sed -i -e '/<!-- reject-reasons:begin -->/,/<!-- reject-reasons:end -->/{//!d}' \
	    -e '/<!-- reject-reasons:begin -->/r $(BUILD)/rejects.md' docs/directives.md

demo: deps $(MODULE)
	t/lib/demo.sh $(CURDIR)/$(MODULE)

# The compatible harness in t/compat is used only when the real
# Test::Nginx is not installed.
test: deps $(MODULE) $(BUILD)/scep-facts
	SCEP_FACTS=$(CURDIR)/$(BUILD)/scep-facts t/lib/run-tests $(CURDIR)/$(MODULE) $(TESTS)

clean:
	rm -rf $(BUILD) t/servroot t/records
