# Shared helpers for the bench scripts: `source bench/lib.sh` after `cd` to the repository root.

# A free loopback TCP port.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until something accepts connections on 127.0.0.1:PORT (up to about 20 s).
wait_port() {
  for _ in $(seq 400); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# write_post_lua FILE BODY: a wrk script posting BODY as the 2 KB Stripe-like webhook the benchmarks use.
write_post_lua() {
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
wrk.headers["Stripe-Signature"] = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
local f = io.open("$2", "rb"); wrk.body = f:read("*a"); f:close()
LUA
}

# wrk_summary: reads wrk --latency output, prints "requests/s p50-ms p99-ms non-2xx".
wrk_summary() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ {rps=$2} /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)} /Non-2xx/ {bad=$NF}
    END {printf "%s %.3f %.3f %s\n", rps, p50, p99, (bad == "" ? 0 : bad)}'
}

# start_nginx DIR PORT: one nginx worker on 127.0.0.1:PORT, pinned to CPU 1, that reads the whole
# request body into memory (mirror_request_body) and answers 200; sets nginx_pid.
start_nginx() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  client_body_buffer_size 64k;
  client_body_in_single_buffer on;
  client_max_body_size 25m;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$port;
    location / {
      # mirror_request_body makes nginx read the whole body into memory before it answers.
      mirror /discard;
      mirror_request_body on;
      return 200;
    }
    location = /discard { internal; return 204; }
  }
}
CONF
  taskset -c 1 nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" &
  nginx_pid=$!
  wait_port "$port"
}

# drop_page_cache: writes dirty pages out and drops the clean page cache, when allowed (root), so that
# every server of a comparison starts from the same memory state. On this kind of VM, growing the
# page cache into memory the guest has not used recently makes each appended page cost several
# times more (bench/capture-growth.sh shows it; docs/benchmarks.md, "The large-database slowdown").
drop_page_cache() {
  sync
  if [[ -w /proc/sys/vm/drop_caches ]]; then echo 1 > /proc/sys/vm/drop_caches; echo "page cache dropped"; else echo "page cache not dropped (not root)"; fi
}

# bench_work: a new temporary directory in $work, removed at exit, after stopping the listener whose
# pid the script keeps in $pid (when it has one).
bench_work() {
  work=$(mktemp -d)
  pid=""
  trap bench_cleanup EXIT
}
bench_cleanup() {
  if [[ -n "${pid:-}" ]]; then kill "$pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}

# webhook_files: the 2 KB webhook ($work/body.json) and the wrk script posting it ($work/post.lua).
webhook_files() {
  bench/make-webhook-body.py "$work/body.json"
  write_post_lua "$work/post.lua" "$work/body.json"
}

# release_binary: sets `bin` to $HOOKSCOPE_BIN, else to a release build made in .build-release.
release_binary() {
  if [[ -z "${HOOKSCOPE_BIN:-}" ]]; then
    swift build -c release --scratch-path .build-release --product hookscope >/dev/null
  fi
  bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
}

# distinct_ids: with DISTINCT_IDS=1, the wrk script gives each request its own event id (a counter
# in place of the body's `evt_…`): otherwise every capture is another attempt of one delivery,
# whose numbering counts the earlier ones and grows with the store.
distinct_ids() {
  [[ "${DISTINCT_IDS:-0}" == 1 ]] || return 0
  cat >> "$work/post.lua" <<'LUA'
local template = wrk.body
local sent = 0
request = function()
  sent = sent + 1
  return wrk.format(nil, nil, nil, (template:gsub("evt_1NG8Du2eZvKYlo2CUI79vXWy", string.format("evt_%024d", sent))))
end
LUA
}

# listening_url FILE: waits (up to 10 s) for a headless listener's "listening on URL" line in FILE,
# its standard output (its standard error with --json, whose stdout carries JSON objects only);
# prints the URL.
listening_url() {
  for _ in $(seq 200); do grep -q "listening on" "$1" 2>/dev/null && break; sleep 0.05; done
  grep -m1 "^listening on" "$1" | awk '{print $3}'
}
