#!/bin/bash
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# What response capture costs: GetCACert (a CA + 2 RA certificates, as NDES
# answers) through nginx with scep_inspect_response on, then off, against
# the same local upstream; wrk on loopback, 1 worker, medians of 3 runs.
#   bench/capture.sh /path/to/ngx_http_scep_module.so [seconds]

set -euo pipefail

module=$(realpath "${1:?usage: capture.sh module.so [seconds]}")
secs=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX_BIN:-/usr/sbin/nginx}
work=$(mktemp -d /tmp/scep-bench.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/logs" "$work/html"
cp "$top/t/data/getcacert-ca-ra.der" "$work/html/getcacert.der"

. "$top/bench/common.sh"

trap 'nginx_stop "$work"; rm -rf "$work"' EXIT

cat > "$work/nginx.conf" <<_EOC_
load_module $module;
$(conf_head)
http {
    access_log off;
    log_format scep_json escape=none '\$scep_log_json';
    upstream ndes { server 127.0.0.1:18503; keepalive 32; }
    server {
        listen 127.0.0.1:18501;
        access_log logs/scep.json scep_json buffer=64k;
        location / { scep on; scep_inspect_response on;
                     proxy_http_version 1.1; proxy_set_header Connection "";
                     proxy_pass http://ndes/getcacert.der; }
    }
    server {
        listen 127.0.0.1:18502;
        access_log logs/scep.json scep_json buffer=64k;
        location / { scep on; scep_inspect_response off;
                     proxy_http_version 1.1; proxy_set_header Connection "";
                     proxy_pass http://ndes/getcacert.der; }
    }
    server {
        listen 127.0.0.1:18503;
        location / { root $work/html; default_type application/x-x509-ca-ra-cert; }
    }
}
_EOC_

$pin_proxy "$nginx" -p "$work/" -c "$work/nginx.conf" -e logs/error.log


on=(); off=()
for i in 1 2 3; do
    on+=("$(rate 18501 "/?operation=GetCACert&message=ca")")
    off+=("$(rate 18502 "/?operation=GetCACert&message=ca")")
done

m_on=$(median "${on[@]}"); m_off=$(median "${off[@]}")

echo "GetCACert req/s, inspect on:  ${on[*]} (median $m_on)"
echo "GetCACert req/s, inspect off: ${off[*]} (median $m_off)"
echo "getcacert_capture_ratio $(ratio "$m_on" "$m_off")"
