# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# What the benchmark scripts share; sourced, not run.

# the median of the numbers given
median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# a / b, three decimals; - when either is missing
ratio() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        echo -
        return
    fi

    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

# With two CPUs or more, the nginx under test alone on the first, wrk and
# the upstream on the second: what the module costs then shows as the
# proxy's own CPU running out, and neither side is scheduled onto the
# other's CPU mid-run (most of the noise between runs on a small machine).
if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
    pin_proxy="taskset -c 0"
    pin_rest="taskset -c 1"
else
    pin_proxy=
    pin_rest=
fi

# "busy idle" jiffies of cpu$1, from /proc/stat
cpu_ticks() {
    awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat
}

# the share of time (0 to 1) cpu$1 was busy between two cpu_ticks
cpu_share() {
    awk -v a="$2" -v b="$3" 'BEGIN { split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2];
        printf "%.4f\n", busy / (busy + idle) }'
}

# wrk's requests a second: rate PORT URL-PATH [wrk arguments...]
rate() {
    local port=$1 path=$2
    shift 2
    $pin_rest wrk -t1 -c16 -d"${secs}s" "$@" "http://127.0.0.1:$port$path" \
        | awk '/Requests\/sec/ { print $2 }'
}

# stops the nginx whose prefix is $1 and waits for it to go
nginx_stop() {
    local pid
    [ -f "$1/logs/nginx.pid" ] || return 0
    pid=$(cat "$1/logs/nginx.pid")
    kill -QUIT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
}

# the start of each configuration here: one worker, its logs in its prefix
conf_head() {
    cat <<'_EOC_'
worker_processes 1;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 1024; }
_EOC_
}
