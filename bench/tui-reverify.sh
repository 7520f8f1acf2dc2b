#!/usr/bin/env bash
# How long the TUI takes to re-verify every stored capture after `s` sets a (wrong) Stripe secret.
# Makes a store of N copies of one real 2 KB Stripe-signed webhook (tui-fill-store.sh) unless DB
# exists, runs the TUI on a copy under a private tmux server (120x40), presses `s`, types the secret,
# presses Enter, and polls the screen until the status bar says "re-verified all captures".
# Usage: bench/tui-reverify.sh [N, default 100000] [DB, default /tmp/hookscope-export-bench-N.sqlite]
# Env: HOOKSCOPE_BIN=path (default .build-release/release/hookscope)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
db=${2:-/tmp/hookscope-export-bench-$count.sqlite}
bin=$(realpath "${HOOKSCOPE_BIN:-.build-release/release/hookscope}")
[ -f "$db" ] || bench/tui-fill-store.sh "$db" "$count" "$bin"
work=$(mktemp -d)
socket=hookscope-reverify-$$
trap 'tmux -L "$socket" kill-server 2>/dev/null; rm -rf "$work"' EXIT
cp "$db" "$work/store.sqlite"
tmux -L "$socket" new-session -d -x 120 -y 40 "HOME=$work $bin --port 0 --db $work/store.sqlite"
for _ in $(seq 300); do tmux -L "$socket" capture-pane -p | grep -q "$count captures" && break; sleep 0.1; done
tmux -L "$socket" send-keys s
for _ in $(seq 50); do tmux -L "$socket" capture-pane -p | grep -q "secret for stripe" && break; sleep 0.1; done
tmux -L "$socket" send-keys "whsec_not_the_signer"
start=$(date +%s.%N)
tmux -L "$socket" send-keys Enter
for _ in $(seq 12000); do tmux -L "$socket" capture-pane -p | grep -q "re-verified all captures" && break; sleep 0.1; done
end=$(date +%s.%N)
tmux -L "$socket" capture-pane -p | tail -1
echo "seconds from Enter to done: $(echo "$end - $start" | bc)"
echo "verdicts with the cause looked for / not: $(sqlite3 "$work/store.sqlite" "select count(*) from request where sig_detail not like '%not looked for%'") / $(sqlite3 "$work/store.sqlite" "select count(*) from request where sig_detail like '%not looked for%'")"
