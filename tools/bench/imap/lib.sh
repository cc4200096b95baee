# shellcheck shell=bash
# Functions of tools/bench/imap/run: tools, the two servers, measurements, memory, the table.
# Sourced by run, which sets: build, work, seconds, clients, connections, users, idle_users,
# password, bench_user, idle_user.

# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

prepare_tools() {
  store=$build/services/store/tessera-store
  imap=$build/services/imap/tessera-imap
  mailctl=$build/tools/mailctl/mailctl
  gen=$build/tools/bench/imap/tessera-imap-load
  [ -x "$store" ] && [ -x "$imap" ] && [ -x "$mailctl" ] ||
    fail "build Tessera first (./tools/test or ninja -C build)"
  if [ -f "$build/build.ninja" ]; then
    # Two ninjas in one build directory corrupt its logs: wait for another one (ten minutes at
    # most), then build only the generator, or use the one there is.
    for _ in $(seq 1 60); do ninja_busy || break; sleep 10; done
    if ! ninja_busy; then
      grep -q tessera-imap-load "$build/build.ninja" || cmake -S "$ROOT" -B "$build" >/dev/null
      ninja -C "$build" tessera-imap-load >/dev/null || fail "ninja -C $build tessera-imap-load failed"
    elif [ -x "$gen" ]; then
      log "another ninja is building $build: using the tessera-imap-load there is"
    fi
  fi
  [ -x "$gen" ] || fail "no $gen"
  if [ ! -x /usr/sbin/dovecot ]; then
    [ "$(id -u)" = 0 ] || fail "Dovecot is missing: apt-get install dovecot-imapd"
    log "installing dovecot-imapd"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
      --no-install-recommends dovecot-imapd >/dev/null
  fi
  # Dovecot's master runs unprivileged (peers.md §1): as root, as the package's "dovecot" user.
  if [ "$(id -u)" = 0 ]; then
    peer_user=dovecot peer_group=$(id -gn dovecot)
  else
    peer_user=$(id -un) peer_group=$(id -gn)
  fi
}

as_peer() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid="$peer_user" --regid="$peer_group" --clear-groups -- "$@"
  else
    "$@"
  fi
}

cleanup() {
  set +e
  [ -n "${gen_pid:-}" ] && kill "$gen_pid" 2>/dev/null && wait "$gen_pid" 2>/dev/null
  [ -n "${imap_pid:-}" ] && kill "$imap_pid" 2>/dev/null && wait "$imap_pid" 2>/dev/null
  [ -n "${store_pid:-}" ] && kill "$store_pid" 2>/dev/null && wait "$store_pid" 2>/dev/null
  if [ -n "${dovecot_pid:-}" ] && kill -0 "$dovecot_pid" 2>/dev/null; then
    kill "$dovecot_pid"  # the master ends its children
    for _ in $(seq 1 300); do kill -0 "$dovecot_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}


accounts() {  # every account both servers get, one per line
  for i in $(seq 1 "$users"); do echo "${bench_user/\{\}/$i}"; done
  for i in $(seq 1 "$idle_users"); do echo "${idle_user/\{\}/$i}"; done
}

# Per-account sessions (100 IDLE sessions per account here) and the per-session command pace
# (APPEND with one client passes 200/s) raised too, where this tessera-imap has them: Dovecot
# has neither limit.
imap_limits() {
  local doc
  doc=$("$imap" --config-doc 2>/dev/null)
  grep -q 'limits.connections_per_account' <<<"$doc" &&
    echo "  connections_per_account: $((connections + 1000))"
  grep -q 'limits.commands_per_second' <<<"$doc" && echo "  commands_per_second: 1000000"
  return 0
}

start_tessera() {
  local dir=$work/tessera
  mkdir -p "$dir"
  store_port=$(free_port) imap_port=$(free_port)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  printf 'grpc:\n  listen: 127.0.0.1:%s\ndata:\n  path: %s\nlog:\n  level: warning\n' \
    "$store_port" "$dir/data" >"$dir/store.yaml"
  cat >"$dir/imap.yaml" <<YAML
listen:
  imap: 127.0.0.1:$imap_port
  imaps: ""
tls:
  cert: $dir/cert.pem
  key: $dir/key.pem
store:
  address: 127.0.0.1:$store_port
auth:
  allow_plaintext: true
limits:
  connections: $((connections + 1000))
  connections_per_ip: $((connections + 1000))
$(imap_limits)
drain:
  timeout: 5s
log:
  level: warning
YAML
  "$store" --config "$dir/store.yaml" >"$dir/store.log" 2>&1 &
  store_pid=$!
  wait_port "$store_port" "$store_pid" tessera-store
  log "tessera: creating $((users + idle_users)) accounts (one Argon2id hash each)"
  "$mailctl" --store "127.0.0.1:$store_port" domain add bench.test >/dev/null
  accounts | xargs -P 2 -I @ sh -c 'printf "%s\n" "$0" |
    "$1" --store "$2" account add "$3" --password-stdin >/dev/null' \
    "$password" "$mailctl" "127.0.0.1:$store_port" @
  "$imap" --config "$dir/imap.yaml" >"$dir/imap.log" 2>&1 &
  imap_pid=$!
  wait_port "$imap_port" "$imap_pid" tessera-imap
}

start_dovecot() {
  local dir=$work/dovecot hash
  mkdir -p "$dir/run" "$dir/state" "$dir/home"
  dovecot_port=$(free_port)
  # The same cost per login as Tessera: Tessera's own Argon2id hash (m=64 MiB, t=3, p=1), which
  # Dovecot's ARGON2ID scheme reads. The IDLE accounts use PLAIN: 10,000 Argon2id logins would
  # take Dovecot's single auth process a quarter of an hour, and memory is what they measure.
  hash=$("$gen" hash --password "$password")
  for i in $(seq 1 "$users"); do echo "${bench_user/\{\}/$i}:{ARGON2ID}$hash::::::"; done \
    >"$dir/users"
  for i in $(seq 1 "$idle_users"); do echo "${idle_user/\{\}/$i}:{PLAIN}$password::::::"; done \
    >>"$dir/users"
  dovecot_conf "$dir" >"$dir/dovecot.conf"
  [ "$(id -u)" = 0 ] && chown -R "$peer_user:$peer_group" "$dir"
  as_peer /usr/bin/doveconf -n -c "$dir/dovecot.conf" >/dev/null ||
    fail "doveconf rejected $dir/dovecot.conf"
  as_peer /usr/sbin/dovecot -c "$dir/dovecot.conf" || fail "dovecot did not start"
  for _ in $(seq 1 100); do [ -s "$dir/run/master.pid" ] && break; sleep 0.1; done
  dovecot_pid=$(cat "$dir/run/master.pid")
  wait_port "$dovecot_port" "$dovecot_pid" dovecot
}

# peers.md §1, reduced to IMAP without TLS (Tessera is measured without TLS too), plus what
# 10,000 sessions need: Dovecot's default one imap process per session (client_limit 1) with
# process_limit raised, login processes in high-performance mode (service_count 0), and client
# limits of the services every imap process talks to (anvil, auth, stats).
dovecot_conf() {
  local dir=$1 limit=$((connections + 1000))
  cat <<CONF
instance_name = tessera-bench-dovecot
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $peer_user
default_internal_group = $peer_group
default_login_user = $peer_user
first_valid_uid = $(id -u "$peer_user")
passdb {
  driver = passwd-file
  args = $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
  default_fields = uid=$peer_user gid=$peer_group home=$dir/home/%u
}
mail_location = maildir:~/Maildir
protocol imap {
  mail_max_userip_connections = $limit
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $dovecot_port
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
  process_min_avail = 2
  client_limit = 1000
}
service imap {
  process_limit = $limit
}
service anvil {
  chroot =
  client_limit = $limit
}
service auth {
  client_limit = $limit
}
service stats {
  client_limit = $limit
}
CONF
}

port_of() {
  case $1 in
    tessera) port=$imap_port ;;
    dovecot) port=$dovecot_port ;;
  esac
}

load() { "$gen" "$@" --port "$port" --password "$password"; }

# measure NAME ARGS...: the generator command NAME (append1/appendN: append) against both
# servers, $rounds times; who goes first alternates, so that neither always follows the other.
measure() {
  local name=$1 command=${1%[1N]} server out round order
  shift
  for round in $(seq 1 "$rounds"); do
    order="tessera dovecot"
    [ $((round % 2)) = 0 ] && order="dovecot tessera"
    for server in $order; do
      port_of "$server"
      out=$work/$server-$name-$round
      log "$server: $name $* (round $round of $rounds)"
      if [ "$command" = append ]; then  # a new, empty folder each time, on both servers
        load "$command" "$@" --mailbox "Bench-$name-$round" >"$out.json" 2>"$out.err" || true
      else
        load "$command" "$@" >"$out.json" 2>"$out.err" || true
      fi
      [ -s "$out.json" ] ||
        printf '{"errors": 1, "first_error": "no result: %s"}\n' "$(tail -1 "$out.err")" \
          >"$out.json"
    done
  done
}

field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" | head -1; }
first_error() { sed -n 's/.*"first_error": "\(.*\)"}$/\1/p' | head -1; }

# "PSS PTE" in KiB, summed over the given processes: proportional set size (shared pages split
# among the processes that map them) and page tables. Processes gone meanwhile count 0.
memory_of() {
  [ $# -gt 0 ] || { echo "0 0"; return; }
  local smaps=() status=() pid
  for pid in "$@"; do smaps+=("/proc/$pid/smaps_rollup") status+=("/proc/$pid/status"); done
  echo "$(cat "${smaps[@]}" 2>/dev/null | awk '/^Pss:/ { s += $2 } END { print s + 0 }')" \
    "$(cat "${status[@]}" 2>/dev/null | awk '/^VmPTE:/ { s += $2 } END { print s + 0 }')"
}

dovecot_pids() { echo "$dovecot_pid"; pgrep -P "$dovecot_pid" || true; }

# snapshot SERVER WHEN: " WHEN_pss=.. WHEN_pte=.. WHEN_store_pss=.. WHEN_procs=.." for the vals file.
snapshot() {
  local pss pte store_pss store_pte procs=1 pids
  case $1 in
    tessera) read -r pss pte < <(memory_of "$imap_pid") ;;
    dovecot)
      mapfile -t pids < <(dovecot_pids)
      procs=${#pids[@]}
      read -r pss pte < <(memory_of "${pids[@]}")
      ;;
  esac
  read -r store_pss store_pte < <(memory_of "$store_pid")
  printf ' %s_pss=%s %s_pte=%s %s_store_pss=%s %s_procs=%s' "$2" "$pss" "$2" "$pte" "$2" \
    "$store_pss" "$2" "$procs"
}

# idle_memory SERVER: memory of the server before and while $connections sessions are in IDLE.
idle_memory() {
  local server=$1 out=$work/$1-idle ready=0 vals
  port_of "$server"
  sleep 3  # sessions of the throughput runs are gone, Dovecot's imap processes with them
  vals=$(snapshot "$server" before)
  log "$server: opening $connections IDLE sessions as $idle_users users"
  "$gen" idle --port "$port" --password "$password" --user "$idle_user" --users "$idle_users" \
    --connections "$connections" --concurrency 8 --hold 900 --setup-seconds 3600 \
    >"$out.json" 2>"$out.err" &
  gen_pid=$!
  for _ in $(seq 1 3700); do
    grep -q '"ready"' "$out.json" && { ready=1; break; }
    kill -0 "$gen_pid" 2>/dev/null || break
    sleep 1
  done
  [ "$ready" = 1 ] || fail "$server: the IDLE sessions never became ready: $(tail -2 "$out.err")"
  sleep 5  # let the servers finish what the last logins started
  vals+=$(snapshot "$server" during)
  kill -USR1 "$gen_pid"
  wait "$gen_pid" || true
  gen_pid=
  echo " idling=$(grep '"ready"' "$out.json" | field idling)$vals" >"$out.vals"
  log "$server: $(idle_value "$server" idling) sessions in IDLE;" \
    "PSS $(idle_value "$server" before_pss) -> $(idle_value "$server" during_pss) KiB" \
    "in $(idle_value "$server" during_procs) processes"
}

# value SERVER MEASUREMENT FIELD: the median over the rounds.
value() {
  local f
  for f in "$work/$1-$2"-[0-9]*.json; do field "$3" <"$f"; done | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
idle_value() { sed -n "s/.* $2=\([-0-9]*\).*/\1/p" "$work/$1-idle.vals"; }  # server key

# KiB per IDLE connection of SERVER: the growth of the given vals (pss, pte, store_pss) summed,
# divided by the sessions in IDLE.
per_connection() {
  local server=$1 growth=0 key
  for key in "${@:2}"; do
    growth=$((growth + $(idle_value "$server" "during_$key") - $(idle_value "$server" "before_$key")))
  done
  awk -v g="$growth" -v n="$(idle_value "$server" idling)" \
    'BEGIN { if (n > 0) printf "%.1f", g / n; else print "n/a" }'
}

rounds_of() {  # server measurement: per_second of each round, "a / b / c"
  local round out=()
  for round in $(seq 1 "$rounds"); do out+=("$(field per_second <"$work/$1-$2-$round.json")"); done
  local IFS=/
  echo "${out[*]}"
}

row() {  # label tessera dovecot better
  local ratio
  ratio=$(awk -v a="$2" -v b="$3" 'BEGIN {
    if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a";
    else printf "%.2f", a / b }')
  printf '%-46s %10s %10s %9s  %s\n' "$1" "${2:-n/a}" "${3:-n/a}" "$ratio" "$4"
}

print_table() {
  local t=tessera d=dovecot f name
  echo
  echo "IMAP, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' \
    /proc/meminfo) GiB; Tessera $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) vs \
$(/usr/sbin/dovecot --version 2>/dev/null | cut -d' ' -f1); load average at the start: $load_at_start; median of $rounds rounds"
  printf '%-46s %10s %10s %9s  %s\n' measurement tessera dovecot ratio better
  row "logins/s, $clients clients, connection each" "$(value $t login per_second)" \
    "$(value $d login per_second)" higher
  row "  login p99 ms" "$(value $t login p99_ms)" "$(value $d login p99_ms)" lower
  row "FETCH of 100 ENVELOPEs/s, $clients clients" "$(value $t fetch per_second)" \
    "$(value $d fetch per_second)" higher
  row "  FETCH p99 ms" "$(value $t fetch p99_ms)" "$(value $d fetch p99_ms)" lower
  row "APPEND 10 KiB/s, 1 client" "$(value $t append1 per_second)" \
    "$(value $d append1 per_second)" higher
  row "  APPEND p99 ms, 1 client" "$(value $t append1 p99_ms)" "$(value $d append1 p99_ms)" lower
  row "APPEND 10 KiB/s, $clients clients" "$(value $t appendN per_second)" \
    "$(value $d appendN per_second)" higher
  row "  APPEND p99 ms, $clients clients" "$(value $t appendN p99_ms)" \
    "$(value $d appendN p99_ms)" lower
  row "KiB per IDLE connection ($connections), PSS" "$(per_connection $t pss)" \
    "$(per_connection $d pss)" lower
  row "  PSS + page tables" "$(per_connection $t pss pte)" "$(per_connection $d pss pte)" lower
  row "  tessera-imap + tessera-store, PSS + PT" "$(per_connection $t pss pte store_pss)" \
    "$(per_connection $d pss pte)" lower
  row "seconds to open them (dovecot: PLAIN password)" \
    "$(grep '"ready"' "$work/$t-idle.json" | field setup_seconds)" \
    "$(grep '"ready"' "$work/$d-idle.json" | field setup_seconds)" lower
  if [ "$rounds" -gt 1 ]; then
    echo "Rounds (per_second):"
    for name in login fetch append1 appendN; do
      printf '  %-8s tessera %-26s dovecot %s\n' "$name" "$(rounds_of $t $name)" "$(rounds_of $d $name)"
    done
  fi
  echo "Memory: growth while the sessions idle, per session. Tessera: tessera-imap (the third" \
    "line adds tessera-store); Dovecot: all $(idle_value $d during_procs) processes of the instance."
  for f in "$work"/*.json; do
    local last errors=0 key n
    last=$(tail -1 "$f")
    for key in errors setup_errors finish_errors; do
      n=$(field "$key" <<<"$last")
      errors=$((errors + ${n:-0}))
    done
    [ "$errors" -gt 0 ] && echo "errors in $(basename "$f" .json): $errors; first: $(first_error <<<"$last")"
  done
  return 0
}
