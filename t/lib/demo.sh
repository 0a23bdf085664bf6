#!/bin/bash
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# make demo: enrol one device through nginx + ngx_http_scep_module to a
# fresh local SCEP server, print the JSON records of that enrolment, and
# fail unless the certificate was issued.
#
# Everything runs in a private network namespace that has only loopback,
# when the machine allows one; otherwise on 127.0.0.1.

set -euo pipefail

module=${1:?usage: demo.sh /path/to/ngx_http_scep_module.so}
top=$(cd "$(dirname "$0")/../.." && pwd)
nginx=${NGINX_BIN:-/usr/sbin/nginx}

if [ -z "${SCEP_DEMO_NETNS:-}" ]; then
    for opts in "--net" "--net --map-root-user"; do
        if unshare $opts true 2>/dev/null; then
            exec env SCEP_DEMO_NETNS=1 unshare $opts -- "$0" "$@"
        fi
    done
    echo "demo: no private network namespace here; using 127.0.0.1" >&2
else
    ip link set lo up
fi

work=$(mktemp -d /tmp/scep-demo.XXXXXX)
chmod 755 "$work"
pids=()

cleanup() {
    [ -f "$work/nginx/logs/nginx.pid" ] \
        && "$nginx" -p "$work/nginx/" -c "$top/conf/demo.conf" \
                    -g "load_module $module;" -s stop 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: nothing listens on port $1" >&2
    return 1
}

step() { printf '\n== %s\n' "$*"; }

step "a fresh CA and scepserver (the stand-in for NDES) on 127.0.0.1:8481"
( cd "$work" && scepserver ca -init -depot depot -keySize 2048 >/dev/null )
scepserver -depot "$work/depot" -port 8481 -challenge demo-challenge \
    > "$work/scepserver.log" 2>&1 &
pids+=($!)
wait_port 8481

step "nginx with ngx_http_scep_module on 127.0.0.1:8480 (conf/demo.conf)"
mkdir -p "$work/nginx/logs"
"$nginx" -p "$work/nginx/" -c "$top/conf/demo.conf" -g "load_module $module;"
wait_port 8480

step "scepclient enrols device 'demo-device' through nginx"
mkdir "$work/device"
( cd "$work/device"
  openssl genrsa -traditional -out key.pem 2048 2>/dev/null
  scepclient -server-url http://127.0.0.1:8480/certsrv/mscep/mscep.dll \
             -challenge demo-challenge -private-key key.pem \
             -cn demo-device -debug > scepclient.log 2>&1 ) || true
grep -E 'pkiStatus|msg=' "$work/device/scepclient.log" | sed 's/^/  /' || true

"$nginx" -p "$work/nginx/" -c "$top/conf/demo.conf" \
         -g "load_module $module;" -s quit
for _ in $(seq 1 50); do
    [ -f "$work/nginx/logs/nginx.pid" ] || break
    sleep 0.1
done

step "JSON records of the enrolment ($work/nginx/logs/scep.log)"
perl -MJSON::PP -ne \
    'print JSON::PP->new->pretty->canonical->encode(JSON::PP::decode_json($_))' \
    "$work/nginx/logs/scep.log"

step "result"
if [ -s "$work/device/client.pem" ] \
   && openssl verify -CAfile "$work/depot/ca.pem" "$work/device/client.pem" \
        >/dev/null 2>&1
then
    openssl x509 -in "$work/device/client.pem" -noout -subject -issuer \
        | sed 's/^/  /'
    echo "  certificate issued through nginx + ngx_http_scep_module"
else
    echo "  FAILED: no certificate was issued" >&2
    sed 's/^/  scepclient: /' "$work/device/scepclient.log" >&2
    exit 1
fi
