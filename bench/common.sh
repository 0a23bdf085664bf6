# What the benchmark scripts share; sourced, not run.

# the median of the numbers given
median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# a / b, three decimals
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

# wrk's requests a second: rate PORT URL-PATH [wrk arguments...]
rate() {
    local port=$1 path=$2
    shift 2
    wrk -t1 -c16 -d"${secs}s" "$@" "http://127.0.0.1:$port$path" \
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
