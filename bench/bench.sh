#!/bin/bash
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# make bench: what the module costs on the proxy path.
#   bench/bench.sh /path/to/ngx_http_scep_module.so [seconds]
#
# One nginx, one worker, the same proxy configuration five times: plain
# proxy_pass; with scep on, the JSON access log and a flow zone
# (scep_verify_signature off); the same with the signature checked; plain
# proxy_pass with nginx's combined access log, the usual baseline; plain
# proxy_pass with the JSON log an operator would write without the module
# (escape=json, the ECS base fields the record has: time, duration,
# source, user agent, method, status, bytes, path, upstream).  A
# second nginx is the upstream and answers at once from t/data.  wrk
# drives each case on loopback for a fixed time, the servers interleaved,
# five rounds (BENCH_ROUNDS); the figures are medians.  The nginx under
# test runs alone on CPU 0, and the ratios compare its CPU time a request
# (see below).  Then the decoder's own figures (bench/bench_decode.c,
# callgrind), the instructions the module adds to a request
# (bench/instructions.sh) and the flows' (bench/flows.sh).  Last, one
# "name value" line per figure.

set -euo pipefail

module=$(realpath "${1:?usage: bench.sh module.so [seconds]}")
secs=${2:-5}
rounds=${BENCH_ROUNDS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX_BIN:-/usr/sbin/nginx}
work=$(mktemp -d /tmp/scep-bench.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/proxy/logs" "$work/upstream/logs"

plain=18531 module_port=18532 verify_port=18533 upstream=18534 logged=18535 ecs=18536

. "$top/bench/common.sh"

stop() { nginx_stop "$work/proxy"; nginx_stop "$work/upstream"; }
trap 'stop; rm -rf "$work"' EXIT

cat > "$work/upstream/nginx.conf" <<_EOC_
$(conf_head)
http {
    access_log off;
    large_client_header_buffers 4 64k;
    client_max_body_size 1m;
    map \$arg_operation \$answer {
        GetCACert     getcacert-ca-ra.der;
        PKIOperation  certrep-success.der;
        default       getcacaps-ndes.txt;
    }
    server {
        listen 127.0.0.1:$upstream;
        keepalive_requests 1000000;
        location / {
            root $top/t/data;
            rewrite ^ /\$answer break;
            error_page 405 =200 /\$answer;
        }
    }
}
_EOC_

server() {
    # $1 port, $2 extra directives of the location, $3 extra of the server
    cat <<_EOC_
    server {
        listen 127.0.0.1:$1;
        keepalive_requests 1000000;
        $3
        location /certsrv/mscep/ {
            $2
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://ndes;
        }
    }
_EOC_
}

cat > "$work/proxy/nginx.conf" <<_EOC_
load_module $module;
$(conf_head)
http {
    access_log off;
    large_client_header_buffers 4 64k;
    client_max_body_size 72k;
    log_format scep_json escape=none '\$scep_log_json';
    log_format ecs_json escape=json '{"@timestamp":"\$time_iso8601",'
        '"event":{"duration":\$request_time},'
        '"source":{"ip":"\$remote_addr","port":\$remote_port},'
        '"user_agent":{"original":"\$http_user_agent"},'
        '"http":{"request":{"method":"\$request_method","bytes":\$request_length},'
        '"response":{"status_code":\$status,"bytes":\$bytes_sent}},'
        '"url":{"path":"\$uri"},'
        '"upstream":{"addr":"\$upstream_addr","status":"\$upstream_status",'
        '"response_time":"\$upstream_response_time"}}';
    scep_flow_zone devices:32m;
    upstream ndes {
        server 127.0.0.1:$upstream;
        keepalive 32;
    }
$(server $plain "" "")
$(server $module_port "scep on; scep_flow devices; scep_verify_signature off;" \
  "access_log logs/scep.json scep_json buffer=64k if=\$scep_log_json;")
$(server $verify_port "scep on; scep_flow devices; scep_verify_signature on;" \
  "access_log logs/scep-verify.json scep_json buffer=64k if=\$scep_log_json;")
$(server $logged "" "access_log logs/combined.log combined buffer=64k;")
$(server $ecs "" "access_log logs/ecs.log ecs_json buffer=64k;")
}
_EOC_

$pin_rest "$nginx" -p "$work/upstream/" -c "$work/upstream/nginx.conf" -e logs/error.log
$pin_proxy "$nginx" -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e logs/error.log
sleep 0.3

# the PKIOperation: an iOS-like PKCSReq (BER, 6.5 KB), as iOS sends it
msg=$top/t/data/ios-pkcsreq-ber.der
query=$(perl -MMIME::Base64 -e 'local $/; my $b = encode_base64(<STDIN>, "");
                                 $b =~ s/([^A-Za-z0-9])/sprintf("%%%02X", ord $1)/ge;
                                 print $b' < "$msg")
path=/certsrv/mscep/mscep.dll
uri_len=$(( ${#path} + ${#query} + 32 ))

cat > "$work/post.lua" <<_EOL_
local f = io.open("$msg", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/x-pki-message"
_EOL_

# case: name, port list, wrk arguments
declare -A url lua
url[getcacaps]="$path?operation=GetCACaps&message=ca"
url[getcacert]="$path?operation=GetCACert&message=ca"
url[pkiop_get]="$path?operation=PKIOperation&message=$query"
url[pkiop_post]="$path?operation=PKIOperation"
lua[pkiop_post]="-s $work/post.lua"


# every case answered 200 through each server before timing anything
for c in getcacaps getcacert pkiop_get pkiop_post; do
    for p in $plain $module_port $verify_port $logged $ecs; do
        if [ "$c" = pkiop_post ]; then
            code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$msg" \
                   -H 'Content-Type: application/x-pki-message' "http://127.0.0.1:$p${url[$c]}")
        else
            code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p${url[$c]}")
        fi
        [ "$code" = 200 ] || { echo "bench: $c on $p answered $code" >&2; exit 1; }
    done
done

cases=(getcacaps:$plain:plain getcacaps:$module_port:module getcacaps:$logged:logged
       getcacaps:$ecs:ecs
       getcacert:$plain:plain getcacert:$module_port:module getcacert:$ecs:ecs
       pkiop_get:$plain:plain pkiop_get:$module_port:module pkiop_get:$verify_port:verify
       pkiop_get:$logged:logged pkiop_get:$ecs:ecs
       pkiop_post:$plain:plain pkiop_post:$module_port:module pkiop_post:$ecs:ecs)

# Each run gives req/s and, pinned, how busy the proxy's CPU was: its CPU
# time per request.  On two CPUs the plain proxy is not what runs out
# first (wrk and the upstream fill CPU 1), so req/s alone would let the
# module hide in the proxy's idle time; the ratios compare CPU time per
# request instead, which is req/s where the proxy's CPU is the limit, as
# in front of a remote NDES.
echo "wrk -t1 -c16 -d${secs}s, 1 worker, $rounds rounds, interleaved; PKIOperation: $(stat -c %s "$msg") B BER, a $uri_len B URI over GET"

# The logs, counted and emptied after each run: a run of five minutes
# writes gigabytes.  What nginx still holds in its buffers is written into
# the emptied file and counted the next time.
records=0
logs_done() {
    records=$(( records + $(cat "$work/proxy/logs/"*.json | wc -l) ))
    truncate -s 0 "$work/proxy/logs/"*.json "$work/proxy/logs/combined.log" \
        "$work/proxy/logs/ecs.log"
}

declare -A rps cpu_us
for r in $(seq 1 "$rounds"); do
    for c in "${cases[@]}"; do
        IFS=: read -r name port kind <<< "$c"
        t0=$(cpu_ticks 0)
        n=$(rate "$port" "${url[$name]}" ${lua[$name]:-})
        logs_done
        rps[$name.$kind]+="$n "
        if [ -n "$pin_proxy" ]; then
            cpu_us[$name.$kind]+="$(cpu_share 0 "$t0" "$(cpu_ticks 0)" \
                                   | awk -v n="$n" '{ printf "%.2f", 1e6 * $1 / n }') "
        else
            cpu_us[$name.$kind]+="$(awk -v n="$n" 'BEGIN { printf "%.2f", 1e6 / n }') "
        fi
    done
done

if [ -n "$pin_proxy" ]; then
    echo "(the proxy alone on CPU 0; wrk and the upstream on CPU 1)"
else
    echo "(one CPU: CPU time per request is taken as 1 / req/s)"
fi

printf '\n%-11s %9s %9s %9s %9s %9s | %8s %8s %8s %8s %8s | %6s %7s %7s %7s\n' \
    case plain module +verify +log +ecs plain module +verify +log +ecs \
    ratio ratio+v "vs log" "vs ecs"
printf '%-11s %49s | %44s |\n' "" "req/s" "proxy CPU, us a request"
declare -A med us
for name in getcacaps getcacert pkiop_get pkiop_post; do
    for kind in plain module verify logged ecs; do
        [ -n "${rps[$name.$kind]:-}" ] || continue
        med[$name.$kind]=$(median ${rps[$name.$kind]} | awk '{ printf "%.0f", $1 }')
        us[$name.$kind]=$(median ${cpu_us[$name.$kind]})
    done
    printf '%-11s %9s %9s %9s %9s %9s | %8s %8s %8s %8s %8s | %6s %7s %7s %7s\n' "$name" \
        "${med[$name.plain]}" "${med[$name.module]}" \
        "${med[$name.verify]:--}" "${med[$name.logged]:--}" "${med[$name.ecs]:--}" \
        "${us[$name.plain]}" "${us[$name.module]}" "${us[$name.verify]:--}" \
        "${us[$name.logged]:--}" "${us[$name.ecs]:--}" \
        "$(ratio "${us[$name.plain]}" "${us[$name.module]}")" \
        "$(ratio "${us[$name.plain]}" "${us[$name.verify]:-}")" \
        "$(ratio "${us[$name.logged]:-}" "${us[$name.module]}")" \
        "$(ratio "${us[$name.ecs]:-}" "${us[$name.module]}")"
done
echo "(medians; ratio: plain's CPU time a request / the module's, i.e. module"
echo " req/s / plain req/s with the proxy's CPU the limit; vs log: against plain"
echo " proxy_pass with the combined access log; vs ecs: against plain proxy_pass"
echo " with an escape=json log of the record's ECS base fields)"

stop
logs_done
echo "(JSON records written: $records)"

echo
echo "decoder (bench/bench_decode.c, t/data/scepclient-pkcsreq.der):"
make -s -C "$top/bench" run > "$work/decode.txt"
grep -v -E -e '^[a-z_.0-9-]+ [a-z0-9._-]+$' -e '^$' "$work/decode.txt" | sed -n -e '1,30s/^/  /p'

echo
echo "decoder against message size (bench/resize.pl: the reference's envelope grown):"
mkdir -p "$work/sizes"
"$top/bench/resize.pl" "$top/t/data/scepclient-pkcsreq.der" "$work/sizes" 1024 4096 16384 61440
"$top/build/bench/bench-decode" -r 3 -t 20 "$work"/sizes/*.der \
    | grep -v -E -e '^[a-z_.0-9-]+ [a-z0-9._-]+$' -e '^$' | sed -e 's/^/  /' -e 's/(invalid)/(digest no longer matches)/'

echo
echo "instructions the module adds to a request (bench/instructions.sh, callgrind):"
"$top/bench/instructions.sh" "$module" 200 > "$work/instructions.txt"
sed 's/^/  /' "$work/instructions.txt"

echo
echo "flows (bench/flows.sh):"
"$top/bench/flows.sh" "$module" "$secs" > "$work/flows.txt" 2>&1
grep -v -E '^[a-z_0-9]+ -?[0-9.]+$' "$work/flows.txt" | sed 's/^/  /'

line() { grep -m1 "^$1 " "$2" | awk '{ print $2 }'; }

echo
echo "getcacaps_ratio $(ratio "${us[getcacaps.plain]}" "${us[getcacaps.module]}")"
echo "getcacert_ratio $(ratio "${us[getcacert.plain]}" "${us[getcacert.module]}")"
echo "pkiop_get_ratio $(ratio "${us[pkiop_get.plain]}" "${us[pkiop_get.module]}")"
echo "pkiop_get_verify_ratio $(ratio "${us[pkiop_get.plain]}" "${us[pkiop_get.verify]}")"
echo "pkiop_post_ratio $(ratio "${us[pkiop_post.plain]}" "${us[pkiop_post.module]}")"
echo "getcacaps_logged_ratio $(ratio "${us[getcacaps.logged]}" "${us[getcacaps.module]}")"
echo "pkiop_get_logged_ratio $(ratio "${us[pkiop_get.logged]}" "${us[pkiop_get.module]}")"
for name in getcacaps getcacert pkiop_get pkiop_post; do
    echo "${name}_ecs_ratio $(ratio "${us[$name.ecs]}" "${us[$name.module]}")"
done
echo "decode_us $(line decode_us "$work/decode.txt")"
echo "openssl_d2i_us $(line openssl_d2i_us "$work/decode.txt")"
echo "verify_us $(line verify_us "$work/decode.txt")"
echo "flow_bytes $(line flow_bytes "$work/flows.txt")"
echo "flows_per_32mb $(line flows_per_32mb "$work/flows.txt")"
echo "decode_instructions $(line decode_instructions "$work/decode.txt")"
echo "flow_update_instructions $(line flow_update_instructions "$work/flows.txt")"
echo "getcacaps_instructions $(line getcacaps_instructions "$work/instructions.txt")"
echo "pkiop_get_instructions $(line pkiop_get_instructions "$work/instructions.txt")"
