#!/bin/bash
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# What a device flow costs: memory and time.
#   bench/flows.sh /path/to/ngx_http_scep_module.so [seconds]
#
# Memory: a 32 MB scep_flow_zone is filled with distinct devices (one
# User-Agent each) until it first evicts; the module logs how many flows it
# held then.  Time: with the zone full, wrk sends requests of 100 000
# devices that have flows, to a location with scep_flow and to the same
# location without; 1 worker, medians of 3 runs; the difference in time
# per request is the lookup and update.  With valgrind, callgrind counts
# the instructions of ngx_http_scep_flow_update per request.

set -uo pipefail

module=$(realpath "${1:?usage: flows.sh module.so [seconds]}")
secs=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX_BIN:-/usr/sbin/nginx}
work=$(mktemp -d /tmp/scep-flows.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/logs"

. "$top/bench/common.sh"

stop() { nginx_stop "$work"; }
trap 'stop; rm -rf "$work"' EXIT

conf() {
    cat > "$work/nginx.conf" <<_EOC_
load_module $module;
$(conf_head)
master_process $1;
daemon $1;
http {
    access_log off;
    large_client_header_buffers 4 64k;
    scep_flow_zone devices:32m timeout=1h;
    server {
        listen 127.0.0.1:18511;
        location / { scep on; scep_flow devices;
                     return 200 "\$scep_flow_step\n"; }
    }
    server {
        listen 127.0.0.1:18512;
        location / { scep on; return 200 "\$scep_operation\n"; }
    }
}
_EOC_
}

# each request a device of its own, or one of the first 100 000 again
cat > "$work/fill.lua" <<'_EOL_'
local n, prefix = 0, os.getenv("FLOW_PREFIX") or "device"
local cycle = tonumber(os.getenv("FLOW_CYCLE") or "0")
request = function()
    n = n + 1
    if cycle > 0 and n > cycle then n = 1 end
    return wrk.format("GET", "/certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca",
                      { ["User-Agent"] = prefix .. "-" .. n })
end
_EOL_

conf on
$pin_proxy "$nginx" -p "$work/" -c "$work/nginx.conf" -e logs/error.log

for round in 1 2 3 4 5 6; do  # 10 s each: ~25k new devices a second
    FLOW_PREFIX="fill$round" wrk -t1 -c16 -d10s -s "$work/fill.lua" \
        http://127.0.0.1:18511/ > /dev/null
    if grep -q 'no memory in scep_flow_zone' "$work/logs/error.log"; then
        break
    fi
done

flows=$(sed -n 's/.*for a new flow at \([0-9]*\) flows.*/\1/p' "$work/logs/error.log" | head -1)
flows=${flows:-0}

flow_rate() {
    FLOW_PREFIX=fill1 FLOW_CYCLE=100000 rate "$1" / -s "$work/fill.lua"
}

on=(); off=()
for i in 1 2 3; do
    on+=("$(flow_rate 18511)")
    off+=("$(flow_rate 18512)")
done

stop

m_on=$(median "${on[@]}"); m_off=$(median "${off[@]}")

echo "zone of 32 MB: full at $flows flows"
echo "req/s with scep_flow:    ${on[*]} (median $m_on)"
echo "req/s without:           ${off[*]} (median $m_off)"

instr=
if command -v valgrind > /dev/null; then
    conf off
    : > "$work/logs/error.log"
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
        "$nginx" -p "$work/" -c "$work/nginx.conf" -e logs/error.log \
        2> "$work/valgrind.log" &
    for i in $(seq 1 50); do
        curl -s -o /dev/null http://127.0.0.1:18511/ && break
        sleep 0.2
    done
    # 2000 new devices, then the same 2000 again: a start and an update
    FLOW_PREFIX=cg FLOW_CYCLE=2000 wrk -t1 -c1 -d4s -s "$work/fill.lua" \
        http://127.0.0.1:18511/ > "$work/wrk.txt"
    n=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
    kill -QUIT "$(cat "$work/logs/nginx.pid")"
    wait || true
    ir=$(callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null \
            | awk '/ngx_http_scep_flow_update/ { gsub(",", "", $1); print $1; exit }')
    if [ -n "$ir" ] && [ "${n:-0}" -gt 0 ]; then
        instr=$(( ir / n ))
    fi
fi

echo "flow_bytes $(( 32 * 1024 * 1024 / (flows > 0 ? flows : 1) ))"
echo "flows_per_32mb $flows"
echo "flow_update_us $(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.2f", (1 / a - 1 / b) * 1e6 }')"
[ -n "$instr" ] && echo "flow_update_instructions $instr"
exit 0
