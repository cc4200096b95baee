# shellcheck shell=bash
# Functions of tools/bench/relay/run: the two submission sides, one measured run, the table.
# Sourced by run, which sets: build, work, sides, rounds, sessions, size, count1, countN,
# reconnect, hold, started, keep. The side-independent helpers (install_packages, as_peer, stop_pid,
# has_side, all_accounts, queued, val, elapsed, rate, median, rounds_of, memory_of, family, mib,
# row) come from the SMTP-in benchmark's lib.sh; the functions of the same name as its others
# (prepare_tools, cleanup, start_tessera, start_dovecot, start_postfix, runs, measure, memory,
# print_table) are replaced by the ones below.

# shellcheck source-path=SCRIPTDIR source=../smtp-in/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../smtp-in/lib.sh"

HERE_RELAY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
password=bench-password
accounts=$sessions  # one account a session: all_accounts gives s<S>r<R>u<k>@bench.test, k <= S

prepare_tools() {
  store=$build/services/store/tessera-store
  smtpd=$build/services/smtp-in/tessera-smtpd
  relayd=$build/services/relay/tessera-relayd
  mailctl=$build/tools/mailctl/mailctl
  if has_side tessera; then
    local bin
    for bin in "$store" "$smtpd" "$relayd" "$mailctl"; do
      [ -x "$bin" ] || fail "no $bin: build Tessera first (ninja -C build), or measure only the peer (--only-peer)"
    done
  fi
  command -v python3 >/dev/null || fail "python3 is needed for the submission client"
  local missing=()
  [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
  if has_side peer; then
    [ "$(id -u)" = 0 ] || fail "the Postfix side needs root (postfix start; its master drops to the postfix user)"
    [ -x /usr/sbin/postfix ] || missing+=(postfix)
    [ -x /usr/sbin/dovecot ] || missing+=(dovecot-core)  # the SASL backend of Postfix (peers.md §3c)
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | grep .)
  install_packages "${missing[@]}"
  peer_user=dovecot peer_group=$(id -gn dovecot 2>/dev/null || echo dovecot)
}

cleanup() {
  set +e
  stop_pid "${client_pid:-}"
  stop_pid "${relayd_pid:-}"
  stop_pid "${smtpd_pid:-}"
  stop_pid "${store_pid:-}"
  stop_pid "${postfix_pid:-}"  # the master ends its daemons
  stop_pid "${dovecot_pid:-}"
  stop_pid "${sink_pid:-}"
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# One certificate for both sides (the same TLS handshake cost): EC P-256, self-signed.
make_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=relay.bench.test -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null || fail "openssl could not make a certificate"
  chmod 644 "$work/key.pem"  # read by Postfix's smtpd (as postfix) and by Tessera
}

# "the Internet": smtp-sink takes every message Postfix relays and throws it away. Not used by
# Tessera yet (phase 2, see run).
start_sink() {
  sink_port=$(free_port)
  /usr/sbin/smtp-sink -u nobody "127.0.0.1:$sink_port" 1000 >"$work/sink.log" 2>&1 &
  sink_pid=$!
  wait_port "$sink_port" "$sink_pid" smtp-sink
}

# tessera-store, tessera-smtpd (only Inbound.Deliver, for hosted recipients; none here) and
# tessera-relayd with submission (STARTTLS) on a free port; every account made with mailctl
# (one Argon2id hash each, the store's defaults m=64 MiB, t=3, p=1).
start_tessera() {
  local dir=$work/tessera n common
  mkdir -p "$dir/spool"
  store_port=$(free_port) inbound_port=$(free_port) submission_port=$(free_port)
  printf 'grpc:\n  listen: 127.0.0.1:%s\ndata:\n  path: %s\nlog:\n  level: warning\n' \
    "$store_port" "$dir/data" >"$dir/store.yaml"
  common="store:
  address: 127.0.0.1:$store_port
spool:
  path: $dir/spool
tls:
  cert: $work/cert.pem
  key: $work/key.pem"
  cat >"$dir/smtpd.yaml" <<YAML
listen:
  smtp: ''
  lmtp: ''
grpc:
  listen: 127.0.0.1:$inbound_port
hostname: mx.bench.test
$common
log:
  level: warning
YAML
  # Info logging: one "queued as entry" line a message, which the run counts (Postfix logs a
  # few lines a message too). The hourly sending limit stays on, counted by the store as in
  # production, but high enough for the benchmark.
  cat >"$dir/relayd.yaml" <<YAML
listen:
  submission: 127.0.0.1:$submission_port
  submissions: ''
hostname: relay.bench.test
inbound:
  address: 127.0.0.1:$inbound_port
$common
limits:
  messages_per_hour: 1000000
  connections_per_ip: $((sessions + 100))
YAML
  # Phase 1 only queues. Once relayd has delivery workers: keep them off, and never let them
  # ask the system's resolver (not on loopback): a DNS server nobody answers on.
  local doc
  doc=$("$relayd" --config-doc 2>/dev/null) || doc=
  if grep -q '`delivery\.enabled`' <<<"$doc"; then printf 'delivery:\n  enabled: false\n'; fi >>"$dir/relayd.yaml"
  if grep -q '`dns\.servers`' <<<"$doc"; then
    printf 'dns:\n  servers: ["127.0.0.1:%s"]\n' "$(free_port)"
  fi >>"$dir/relayd.yaml"
  "$store" --config "$dir/store.yaml" >"$dir/store.log" 2>&1 &
  store_pid=$!
  wait_port "$store_port" "$store_pid" tessera-store
  n=$(all_accounts | wc -l)
  log "tessera: creating domain bench.test and $n accounts (one Argon2id hash each)"
  "$mailctl" --store "127.0.0.1:$store_port" domain add bench.test >/dev/null ||
    fail "mailctl domain add bench.test failed"
  all_accounts | xargs -P 2 -I @ sh -c 'printf "%s\n" "$0" |
    "$1" --store "$2" account add "$3" --password-stdin >/dev/null || exit 255' \
    "$password" "$mailctl" "127.0.0.1:$store_port" @ || fail "mailctl account add failed"
  "$smtpd" --config "$dir/smtpd.yaml" >"$dir/smtpd.log" 2>&1 &
  smtpd_pid=$!
  wait_port "$inbound_port" "$smtpd_pid" tessera-smtpd
  "$relayd" --config "$dir/relayd.yaml" >"$dir/relayd.log" 2>&1 &
  relayd_pid=$!
  wait_port "$submission_port" "$relayd_pid" tessera-relayd
  log "tessera: store on $store_port, smtpd (Inbound) on $inbound_port, relayd submission on $submission_port"
}

# Dovecot (peers.md §1) reduced to its auth service: Postfix's SASL backend on an inet
# listener. passwd-file with the same Argon2id parameters as Tessera's store (doveadm pw's
# ARGON2ID defaults are m=64 MiB, t=3, p=1); no auth cache, like Tessera.
start_dovecot() {
  local dir=$work/dovecot hash
  mkdir -p "$dir/run" "$dir/state" "$dir/home"
  auth_port=$(free_port)
  hash=$(doveadm pw -s ARGON2ID -p "$password") || fail "doveadm pw -s ARGON2ID failed"
  grep -q 'm=65536,t=3,p=1' <<<"$hash" || log "dovecot: Argon2id parameters differ from Tessera's: $hash"
  all_accounts | sed "s|\$|:$hash::::::|" >"$dir/users"
  cat >"$dir/dovecot.conf" <<CONF
instance_name = tessera-bench-relay-dovecot
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = none
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $peer_user
default_internal_group = $peer_group
default_login_user = $peer_user
passdb {
  driver = passwd-file
  args = $dir/users
}
userdb {
  driver = static
  args = uid=$peer_user gid=$peer_group home=$dir/home/%u
}
service anvil {
  chroot =
}
service auth {
  inet_listener sasl {
    address = 127.0.0.1
    port = $auth_port
  }
}
CONF
  chown -R "$peer_user:$peer_group" "$dir"
  as_peer /usr/bin/doveconf -n -c "$dir/dovecot.conf" >/dev/null 2>"$dir/doveconf.err" ||
    fail "doveconf rejected $dir/dovecot.conf: $(tail -1 "$dir/doveconf.err")"
  as_peer /usr/sbin/dovecot -c "$dir/dovecot.conf" || fail "dovecot did not start"
  for _ in $(seq 1 100); do [ -s "$dir/run/master.pid" ] && break; sleep 0.1; done
  dovecot_pid=$(cat "$dir/run/master.pid")
  wait_port "$auth_port" "$dovecot_pid" dovecot
}

# peers.md §3c reduced to the submission role: STARTTLS required, SASL from Dovecot, the
# sender must be the login (smtpd_sender_login_maps, as Tessera checks MAIL FROM), everything
# relayed to [127.0.0.1]:sink_port; no DNS, no chroot. With hold set, every message accepted
# goes to the hold queue instead (an access action at the end of DATA): queued, not delivered,
# like Tessera's queue while the relay has no delivery workers.
start_postfix() {
  local dir=$work/postfix
  mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
  chown postfix: "$dir/data"
  pf_port=$(free_port)
  all_accounts | awk '{ print $1, $1 }' >"$dir/etc/senders"
  cat >"$dir/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = relay.bench.test
mydomain = bench.test
myorigin = bench.test
mydestination =
relay_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_bind_address = 127.0.0.1
relayhost = [127.0.0.1]:$sink_port
smtpd_tls_cert_file = $work/cert.pem
smtpd_tls_key_file = $work/key.pem
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$auth_port
smtpd_sender_login_maps = texthash:$dir/etc/senders
CONF
  cat >"$dir/etc/master.cf" <<CONF
127.0.0.1:$pf_port inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject${hold:+
  -o smtpd_end_of_data_restrictions=check_client_access,static:HOLD}
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
  # Without a terminal the postfix command says nothing when it fails; script(1) gives it one.
  script -qec "postfix -c $dir/etc check" /dev/null >"$dir/check.out" 2>&1 ||
    fail "postfix check failed: $(tr -d '\r' <"$dir/check.out" | tail -1)"
  script -qec "postfix -c $dir/etc start" /dev/null >"$dir/start.out" 2>&1 ||
    fail "postfix did not start: $(tr -d '\r' <"$dir/start.out" | tail -1)"
  for _ in $(seq 1 100); do [ -s "$dir/spool/pid/master.pid" ] && break; sleep 0.1; done
  postfix_pid=$(tr -d ' ' <"$dir/spool/pid/master.pid")
  wait_port "$pf_port" "$postfix_pid" postfix
  log "postfix: submission on $pf_port, dovecot auth on $auth_port, relaying to smtp-sink on $sink_port"
}

# The runs: "SESSIONS MESSAGES" for the 1-session and the N-session run.
runs() { echo "1 $count1"; echo "$sessions $countN"; }

# Messages each side has taken for the Internet so far: Tessera's queue entries (relayd's
# log), Postfix's messages relayed to the sink (status=sent in its maillog) or, with
# --postfix-hold, the queue files on hold.
taken() {
  case $1 in
    tessera) grep -c 'queued as entry' "$work/tessera/relayd.log" || true ;;
    peer)
      if [ -n "$hold" ]; then
        find "$work/postfix/spool/hold" -type f | wc -l
      else
        grep -c "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$sink_port,.*status=sent" "$work/postfix/maillog" || true
      fi
      ;;
  esac
}

# wait_taken SIDE COUNT SECONDS: until taken() reaches COUNT; prints the moment (EPOCHREALTIME)
# or nothing after SECONDS. For Postfix that is also the moment its queue is empty.
wait_taken() {
  for _ in $(seq 1 $(($3 * 50))); do
    if [ "$(taken "$1")" -ge "$2" ] && { [ "$1" = tessera ] || [ -n "$hold" ] || [ "$(queued)" = 0 ]; }; then
      echo "$EPOCHREALTIME"
      return
    fi
    sleep 0.02
  done
}

# measure SIDE SESSIONS MESSAGES ROUND: one run of submit.py against SIDE; writes
# $work/SIDE-SESSIONS-ROUND.vals ("accepted_s=.. [relayed_s=..] errors=..").
measure() {
  local side=$1 s=$2 m=$3 round=$4 id=s$2r$4 out=$work/$1-$2-$4 port limit before t2 rc=0
  local opts=()
  [ "$reconnect" = 1 ] && opts+=(--reconnect)
  case $side in tessera) port=$submission_port ;; peer) port=$pf_port ;; esac
  log "$side: $m messages of $size bytes, $s session(s) (round $round of $rounds)"
  limit=$((120 + m / 5))  # seconds; an honest run needs a fraction of that
  before=$(taken "$side")
  timeout -k 5 $((limit + 30)) python3 "$HERE_RELAY/submit.py" --port "$port" --sessions "$s" \
    --messages "$m" --size "$size" --login "${id}u{k}@bench.test" --password "$password" \
    --deadline "$limit" "${opts[@]}" >"$out.client" 2>&1 &
  client_pid=$!
  wait "$client_pid" || rc=$?
  client_pid=
  if [ "$rc" != 0 ]; then
    echo "errors=1 first_error=client exit $rc: $(grep -m1 -o 'first_error=.*' "$out.client" || tail -1 "$out.client")" >"$out.vals"
    log "$side: $(tail -1 "$out.client")"
    return
  fi
  # Every 250 must have made one queue entry (Tessera) or one delivery to the sink (Postfix).
  t2=$(wait_taken "$side" $((before + m)) "$limit")
  if [ -z "$t2" ]; then
    echo "errors=1 first_error=$side: $(($(taken "$side") - before)) of $m messages queued/relayed after $limit s" >"$out.vals"
    log "$side: only $(($(taken "$side") - before)) of $m messages queued/relayed"
    return
  fi
  sleep 0.3
  if [ "$(taken "$side")" != $((before + m)) ]; then
    echo "errors=1 first_error=$side: $(($(taken "$side") - before)) messages taken for $m sent" >"$out.vals"
    return
  fi
  {
    printf 'accepted_s=%s login_s=%s ' "$(val "$out.client" elapsed_s)" "$(val "$out.client" login_s)"
    [ "$side" = peer ] && [ -z "$hold" ] &&
      printf 'relayed_s=%s ' "$(elapsed "$(val "$out.client" started)" "$t2")"
    echo "errors=0"
  } >"$out.vals"
  log "$side: $(sed 's/errors=0//' "$out.vals")"
}

# memory SIDE: after that side's last N-session run, into $work/SIDE-memory.vals. The sink is
# "the Internet" and not counted.
memory() {
  local hwm pss procs pids
  case $1 in
    tessera) read -r hwm pss procs < <(memory_of "$relayd_pid" "$smtpd_pid" "$store_pid") ;;
    peer)
      mapfile -t pids < <(family "$postfix_pid"; family "$dovecot_pid")
      read -r hwm pss procs < <(memory_of "${pids[@]}")
      ;;
  esac
  echo "hwm=$hwm pss=$pss procs=$procs" >"$work/$1-memory.vals"
}

print_table() {
  local s m f label mode=reused pf="relaying to smtp-sink meanwhile"
  [ "$reconnect" = 1 ] && mode="one per message"
  [ -n "$hold" ] && pf="holding every message (--postfix-hold)"
  echo
  echo "Submission, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' \
    /proc/meminfo) GiB; Tessera $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) relayd vs Postfix \
$(postconf -dh mail_version 2>/dev/null) submission + Dovecot $(/usr/sbin/dovecot --version 2>/dev/null | cut -d' ' -f1) SASL;" \
    "STARTTLS + AUTH PLAIN, sessions $mode; Postfix $pf; load average at the start: $load_at_start;" \
    "$size-byte messages to remote recipients; median of $rounds rounds"
  printf '%-44s %10s %10s %7s  %s\n' "messages/s" tessera postfix ratio better
  while read -r s m; do
    label="$s session"
    [ "$s" = 1 ] || label="$s sessions"
    row "submitted (250, queued), $label ($m msgs)" "$(median tessera "$s" "$m" accepted_s)" \
      "$(median peer "$s" "$m" accepted_s)" higher
    row "  postfix: relayed to the sink too, $label" "" "$(median peer "$s" "$m" relayed_s)" \
      informational
    # TODO(phase 2): "delivered to smtp-sink, $label" for both sides; see run.
  done < <(runs)
  row "logins/s, $sessions at once (TCP, TLS, AUTH)" "$(median tessera "$sessions" "$sessions" login_s)" \
    "$(median peer "$sessions" "$sessions" login_s)" higher
  row "peak RSS MiB after $sessions sessions (VmHWM sum)" \
    "$(mib "$(val "$work/tessera-memory.vals" hwm)")" "$(mib "$(val "$work/peer-memory.vals" hwm)")" lower
  row "  PSS MiB then (shared pages split)" \
    "$(mib "$(val "$work/tessera-memory.vals" pss)")" "$(mib "$(val "$work/peer-memory.vals" pss)")" lower
  echo "ratio = tessera/postfix. Memory (informational): tessera-relayd + tessera-smtpd + tessera-store;" \
    "the Postfix master and its daemons + the Dovecot master and its children; smtp-sink not counted."
  if [ "$rounds" -gt 1 ]; then
    echo "Rounds (submitted messages/s):"
    while read -r s m; do
      printf '  %2s session(s)  tessera %-22s postfix %s\n' "$s" \
        "$(rounds_of tessera "$s" "$m" accepted_s)" "$(rounds_of peer "$s" "$m" accepted_s)"
    done < <(runs)
  fi
  failures=0
  for f in "$work"/*-[0-9]*-[0-9]*.vals; do
    [ -e "$f" ] || continue
    if [ "$(val "$f" errors)" != 0 ]; then
      echo "FAILED $(basename "$f" .vals): $(sed -n 's/.*first_error=//p' "$f")"
      failures=$((failures + 1))
    fi
  done
  return 0
}
