#!/bin/bash
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# What the module adds to a request, in instructions, a figure machine
# noise does not move (the CPU-time ratios of bench.sh do, by several per
# cent between runs on a shared machine).
#   bench/instructions.sh /path/to/ngx_http_scep_module.so [requests]
#
# One nginx with one process (master_process off) under callgrind, two
# servers: plain proxy_pass, and scep on with the JSON record, a flow zone
# and the signature check off, as in bench.sh.  The same N requests go to
# the plain server in one run and to the module's in another; the
# difference of the two totals over N is what the module adds: inspection,
# decoding, the answer's copy and decoding, the flow, the record and its
# write.  Prints "<case>_instructions <n>" for GetCACaps and the iOS-like
# PKIOperation GET.

set -euo pipefail

module=$(realpath "${1:?usage: instructions.sh module.so [requests]}")
n=${2:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX_BIN:-/usr/sbin/nginx}
work=$(mktemp -d /tmp/scep-instr.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/proxy/logs" "$work/upstream/logs"

plain=18541 module_port=18542 upstream=18544

. "$top/bench/common.sh"

stop() { nginx_stop "$work/upstream"; }
trap 'stop; rm -rf "$work"' EXIT

cat > "$work/upstream/nginx.conf" <<_EOC_
$(conf_head)
http {
    access_log off;
    large_client_header_buffers 4 64k;
    map \$arg_operation \$answer {
        PKIOperation  certrep-success.der;
        default       getcacaps-ndes.txt;
    }
    server {
        listen 127.0.0.1:$upstream;
        location / {
            root $top/t/data;
            rewrite ^ /\$answer break;
        }
    }
}
_EOC_

cat > "$work/proxy/nginx.conf" <<_EOC_
load_module $module;
$(conf_head)
master_process off;
daemon off;
http {
    access_log off;
    large_client_header_buffers 4 64k;
    log_format scep_json escape=none '\$scep_log_json';
    scep_flow_zone devices:1m;
    upstream ndes {
        server 127.0.0.1:$upstream;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$plain;
        location /certsrv/mscep/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://ndes;
        }
    }
    server {
        listen 127.0.0.1:$module_port;
        access_log logs/scep.json scep_json buffer=64k if=\$scep_log_json;
        location /certsrv/mscep/ {
            scep on;
            scep_flow devices;
            scep_verify_signature off;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://ndes;
        }
    }
}
_EOC_

"$nginx" -p "$work/upstream/" -c "$work/upstream/nginx.conf" -e logs/error.log

query=$(perl -MMIME::Base64 -e 'local $/; my $b = encode_base64(<STDIN>, "");
                                 $b =~ s/([^A-Za-z0-9])/sprintf("%%%02X", ord $1)/ge;
                                 print $b' < "$top/t/data/ios-pkcsreq-ber.der")
path=/certsrv/mscep/mscep.dll

# the program's total instructions for N requests of $2 to port $1
total() {
    local port=$1 url=$2 pid

    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
        "$nginx" -p "$work/proxy/" -c "$work/proxy/nginx.conf" \
        -e logs/error.log > /dev/null 2>&1 &
    pid=$!

    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.2
    done

    for _ in $(seq 1 "$n"); do
        curl -s -o /dev/null -H 'User-Agent: bench-device' "http://127.0.0.1:$port$url"
    done

    kill -QUIT "$pid"
    wait "$pid" || true

    callgrind_annotate "$work/cg.out" 2>/dev/null \
        | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

for c in "getcacaps:$path?operation=GetCACaps&message=ca" \
         "pkiop_get:$path?operation=PKIOperation&message=$query"
do
    name=${c%%:*}
    url=${c#*:}
    a=$(total "$plain" "$url")
    b=$(total "$module_port" "$url")
    echo "${name}_instructions $(( (b - a) / n ))"
done
