# shellcheck shell=bash
# What every tools/bench/*/run shares: log lines with the elapsed time, one-line failures, free
# ports, waiting for a server to listen. Sourced by the benchmarks' lib.sh, after `started` and
# `work` are set by their run script.

log() { printf '[%4ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() { echo "$0: $*" >&2; exit 1; }

# A port nothing listens on, below the ephemeral range the load generators' connections use.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  fail "no free port"
}

wait_port() {  # port pid name
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
    kill -0 "$2" 2>/dev/null || fail "$3 exited; see its log in $work (--keep keeps it)"
    sleep 0.1
  done
  fail "$3 does not listen on $1"
}
