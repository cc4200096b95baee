# shellcheck shell=bash
# Functions of tools/bench/relay/run: the two sides, one measured submission run (phase 1), one
# measured delivery run (phase 2), the table. Sourced by run, which sets: build, work, sides,
# phases, rounds, sessions, size, count1, countN, deliveries, concurrency, domains, reconnect,
# hold, started, keep. The side-independent helpers (install_packages, as_peer, stop_pid,
# has_side, val, elapsed, rate, median, rounds_of, memory_of, family, mib, row) and the start of
# a Postfix or Dovecot of our own (postfix_*, dovecot_*) come from ../lib.sh.

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HERE_RELAY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
password=bench-password
shm_dirs=()  # made in /dev/shm, removed by cleanup

has_phase() { [[ " $phases " == *" $1 "* ]]; }

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
    if has_phase 2 && ! grep -q '`delivery\.port`' <<<"$("$relayd" --config-doc 2>/dev/null)"; then
      fail "$relayd has no delivery workers (delivery.port): phase 2 needs them (--phase 1 does not)"
    fi
  fi
  command -v python3 >/dev/null || fail "python3 is needed for the submission client"
  local missing=()
  [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
  has_phase 2 && { [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base); }
  if has_side peer; then
    [ "$(id -u)" = 0 ] || fail "the Postfix side needs root (postfix start; its master drops to the postfix user)"
    [ -x /usr/sbin/postfix ] || missing+=(postfix)
    [ -x /usr/sbin/dovecot ] || missing+=(dovecot-core)  # the SASL backend of Postfix (peers.md §3c)
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | grep .)
  install_packages "${missing[@]}"
  peer_user=dovecot peer_group=$(id -gn dovecot 2>/dev/null || echo dovecot)
}

# Copies of the four binaries in $work/bin, used from then on: the build directory is shared,
# and a rebuild during the run must not give later rounds (each starts a relayd) other code.
snapshot_tools() {
  mkdir -p "$work/bin"
  cp -p "$store" "$smtpd" "$relayd" "$mailctl" "$work/bin/" || fail "cannot copy the binaries to $work/bin"
  store=$work/bin/${store##*/} smtpd=$work/bin/${smtpd##*/} relayd=$work/bin/${relayd##*/}
  mailctl=$work/bin/${mailctl##*/}
  tessera_built=$(date -r "$relayd" -u +%H:%M)
}

cleanup() {
  set +e
  stop_pid "${client_pid:-}"
  stop_pid "${relayd_pid:-}"
  stop_pid "${smtpd_pid:-}"
  stop_pid "${store_pid:-}"
  stop_pid "${postfix_pid:-}"  # the master ends its daemons
  stop_pid "${postfix2_pid:-}"
  stop_pid "${dovecot_pid:-}"
  stop_pid "${sink_pid:-}"
  stop_pid "${sink2_pid:-}"
  stop_pid "${dns_pid:-}"
  if [ -n "${sink2_shm:-}" ]; then  # the dumps stay with --keep, as a directory of $work
    if [ "$keep" = 1 ]; then rm -f "$work/sink2" && mv "$sink2_shm" "$work/sink2"; else rm -rf "$sink2_shm"; fi
  fi
  local shm
  for shm in "${shm_dirs[@]}"; do rm -rf "$shm"; done
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# The runs of phase 1: "SESSIONS MESSAGES" for the 1-session and the N-session run.
runs() { echo "1 $count1"; echo "$sessions $countN"; }

# The accounts of phase 1, one per line: s<SESSIONS>r<ROUND>u<K>@bench.test, one a session of
# each run (so the hourly sending limit never refuses one), and of phase 2's fills:
# p2u<K>@bench.test, one a session, the same in every round.
phase1_accounts() {
  local round s m k
  for round in $(seq 1 "$rounds"); do
    while read -r s m; do
      for k in $(seq 1 "$s"); do echo "s${s}r${round}u$k@bench.test"; done
    done < <(runs)
  done
}
phase2_accounts() { local k; for k in $(seq 1 "$sessions"); do echo "p2u$k@bench.test"; done; }
all_accounts() {  # of the phases being run (Dovecot's passwd-file)
  if has_phase 1; then phase1_accounts; fi
  if has_phase 2; then phase2_accounts; fi
}

# One certificate for both sides (the same TLS handshake cost): EC P-256, self-signed.
make_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=relay.bench.test -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null || fail "openssl could not make a certificate"
  chmod 644 "$work/key.pem"  # read by Postfix's smtpd (as postfix) and by Tessera
}

# "the Internet" of phase 1: smtp-sink takes every message Postfix relays and throws it away.
start_sink() {
  sink_port=$(free_port)
  /usr/sbin/smtp-sink -u nobody "127.0.0.1:$sink_port" 1000 >"$work/sink.log" 2>&1 &
  sink_pid=$!
  wait_port "$sink_port" "$sink_pid" smtp-sink
}

# start_tessera DIR ACCOUNTS: tessera-store, tessera-smtpd (only Inbound.Deliver, for hosted
# recipients, bounces included; none here) and the accounts the function ACCOUNTS prints, made
# with mailctl (one Argon2id hash each, the store's defaults m=64 MiB, t=3, p=1). relayd comes
# with start_relayd.
# With --store-tmpfs the store's database is in /dev/shm (a diagnosis: its synced writes then
# cost no disk flush; not a fair comparison, Postfix's queue stays on disk).
start_tessera() {
  local dir=$1 n data=$1/data
  mkdir -p "$dir/spool"
  if [ "${store_tmpfs:-0}" = 1 ]; then
    data=$(mktemp -d /dev/shm/tessera-bench-store.XXXXXX) || fail "no directory in /dev/shm"
    shm_dirs+=("$data")
  fi
  store_port=$(free_port) inbound_port=$(free_port)
  printf 'grpc:\n  listen: 127.0.0.1:%s\ndata:\n  path: %s\nlog:\n  level: warning\n' \
    "$store_port" "$data" >"$dir/store.yaml"
  cat >"$dir/smtpd.yaml" <<YAML
listen:
  smtp: ''
  lmtp: ''
grpc:
  listen: 127.0.0.1:$inbound_port
hostname: mx.bench.test
$(tessera_common "$dir")
log:
  level: warning
YAML
  "$store" --config "$dir/store.yaml" >"$dir/store.log" 2>&1 &
  store_pid=$!
  wait_port "$store_port" "$store_pid" tessera-store
  n=$("$2" | wc -l)
  log "tessera: creating domain bench.test and $n accounts (one Argon2id hash each)"
  "$mailctl" --store "127.0.0.1:$store_port" domain add bench.test >/dev/null ||
    fail "mailctl domain add bench.test failed"
  "$2" | xargs -P 2 -I @ sh -c 'printf "%s\n" "$0" |
    "$1" --store "$2" account add "$3" --password-stdin >/dev/null || exit 255' \
    "$password" "$mailctl" "127.0.0.1:$store_port" @ || fail "mailctl account add failed"
  "$smtpd" --config "$dir/smtpd.yaml" >"$dir/smtpd.log" 2>&1 &
  smtpd_pid=$!
  wait_port "$inbound_port" "$smtpd_pid" tessera-smtpd
  log "tessera: store on $store_port, smtpd (Inbound) on $inbound_port"
}

tessera_common() {  # DIR: the keys smtpd and relayd share
  cat <<YAML
store:
  address: 127.0.0.1:$store_port
spool:
  path: $1/spool
tls:
  cert: $work/cert.pem
  key: $work/key.pem
YAML
}

# relayd_config DIR MODE: tessera-relayd's configuration, submission (STARTTLS) on
# $submission_port. MODE "queue": the delivery workers off and, should they ever run, away from
# the system's resolver (a DNS server nobody answers on), so that the relay only queues (phase
# 1, phase 2's fill). MODE "deliver" (phase 2): the workers on, $concurrency entries at once and
# as many sessions to one domain, MX lookups at the benchmark's dnsmasq, remote port the
# sink's. Info logging: one "queued as entry" line a queued message, one "status=sent" line a
# delivered recipient, which the runs count (Postfix logs a few lines a message too). The
# hourly sending limit stays on, counted by the store as in production, but high enough.
relayd_config() {
  local dir=$1 doc
  cat <<YAML
listen:
  submission: 127.0.0.1:$submission_port
  submissions: ''
hostname: relay.bench.test
inbound:
  address: 127.0.0.1:$inbound_port
$(tessera_common "$dir")
limits:
  messages_per_hour: 1000000
  connections_per_ip: $((sessions + 100))
YAML
  if [ "$2" = deliver ]; then
    cat <<YAML
delivery:
  enabled: true
  port: $sink2_port
  concurrency: $concurrency
  per_destination: $concurrency
YAML
    # The sink is on loopback, which the workers refuse without this key (where it exists).
    if grep -q '`delivery\.internal_addresses`' <<<"$("$relayd" --config-doc 2>/dev/null)"; then
      echo "  internal_addresses: true"
    fi
    printf 'dns:\n  servers: ["%s"]\n' "$dns_server"
    return
  fi
  doc=$("$relayd" --config-doc 2>/dev/null) || doc=
  if grep -q '`delivery\.enabled`' <<<"$doc"; then printf 'delivery:\n  enabled: false\n'; fi
  if grep -q '`dns\.servers`' <<<"$doc"; then
    printf 'dns:\n  servers: ["127.0.0.1:%s"]\n' "$(free_port)"
  fi
}

# start_relayd DIR MODE LOG: tessera-relayd with relayd_config DIR MODE, its output into LOG;
# waits until its submission port listens.
start_relayd() {
  submission_port=$(free_port)
  relayd_config "$1" "$2" >"$1/relayd-$2.yaml"
  "$relayd" --config "$1/relayd-$2.yaml" >"$3" 2>&1 &
  relayd_pid=$!
  wait_port "$submission_port" "$relayd_pid" tessera-relayd
}

# Dovecot (peers.md §1) reduced to its auth service: the SASL backend of both Postfix instances
# on an inet listener. passwd-file with the same Argon2id parameters as Tessera's store
# (doveadm pw's ARGON2ID defaults are m=64 MiB, t=3, p=1); no auth cache, like Tessera.
start_dovecot() {
  local dir=$work/dovecot hash
  dovecot_prepare "$dir"
  auth_port=$(free_port)
  hash=$(doveadm pw -s ARGON2ID -p "$password") || fail "doveadm pw -s ARGON2ID failed"
  grep -q 'm=65536,t=3,p=1' <<<"$hash" || log "dovecot: Argon2id parameters differ from Tessera's: $hash"
  all_accounts | sed "s|\$|:$hash::::::|" >"$dir/users"
  {
    dovecot_conf_head "$dir" tessera-bench-relay-dovecot
    cat <<CONF
protocols = none
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = $dir/users
}
userdb {
  driver = static
  args = uid=$peer_user gid=$peer_group home=$dir/home/%u
}
service auth {
  inet_listener sasl {
    address = 127.0.0.1
    port = $auth_port
  }
}
CONF
  } >"$dir/dovecot.conf"
  dovecot_start dovecot_pid "$dir" "$auth_port"
}

# postfix_submission DIR PORT ACCOUNTS HOLD: the submission half of peers.md §3c, shared by the
# two Postfix instances: main.cf's TLS and SASL lines, and master.cf's smtpd on PORT (STARTTLS
# required, SASL from Dovecot, the sender must be the login: smtpd_sender_login_maps for the
# accounts the function ACCOUNTS prints, as Tessera checks MAIL FROM). With HOLD non-empty every
# message accepted goes to the hold queue (an access action at the end of DATA): queued, not
# delivered. Prints the master.cf lines; appends to DIR/etc/main.cf.
postfix_submission() {
  local dir=$1
  "$3" | awk '{ print $1, $1 }' >"$dir/etc/senders"
  cat >>"$dir/etc/main.cf" <<CONF
mynetworks = 127.0.0.1/32
relay_domains =
smtp_bind_address = 127.0.0.1
smtpd_tls_cert_file = $work/cert.pem
smtpd_tls_key_file = $work/key.pem
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$auth_port
smtpd_sender_login_maps = texthash:$dir/etc/senders
CONF
  cat <<CONF
127.0.0.1:$2 inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject${4:+
  -o smtpd_end_of_data_restrictions=check_client_access,static:HOLD}
CONF
}

# Phase 1's Postfix: submission, everything relayed to [127.0.0.1]:sink_port; no DNS, no chroot.
# With hold set, every message accepted goes to the hold queue instead, like Tessera's queue
# while the relay's delivery workers are off.
start_postfix() {
  local dir=$work/postfix
  postfix_prepare "$dir"
  pf_port=$(free_port)
  postfix_main_cf "$dir" relay.bench.test >"$dir/etc/main.cf"
  {
    postfix_submission "$dir" "$pf_port" phase1_accounts "$hold"
    postfix_services
  } >"$dir/etc/master.cf"
  cat >>"$dir/etc/main.cf" <<CONF
smtp_dns_support_level = disabled
smtp_host_lookup = native
relayhost = [127.0.0.1]:$sink_port
CONF
  postfix_start postfix_pid "$dir" "$pf_port" postfix
  log "postfix: submission on $pf_port, dovecot auth on $auth_port, relaying to smtp-sink on $sink_port"
}

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

queued() { postfix_queued "$work/postfix"; }

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

# ---------------------------------------------------------------------------------------------
# Phase 2, outbound delivery: a full queue of $deliveries messages, each to one recipient of
# remote1.test .. remote$domains.test, delivered by MX lookup into one smtp-sink.

# dnsmasq answering for *.test only (--local: nothing is forwarded anywhere, unknown names get
# NXDOMAIN; nothing else is answered): MX remoteK.test -> mx.sink.test -> 127.0.0.2. On port 53
# of an address of its own in 127.0.0.0/8 when root (so that Postfix, whose resolver reads a
# resolv.conf without ports, can ask it too), else on a high port (Tessera only).
start_dns() {
  local k args=()
  for k in $(seq 1 "$domains"); do args+=("--mx-host=remote$k.test,mx.sink.test,10"); done
  [ "$(id -u)" = 0 ] && args+=(--user=root)
  for _ in $(seq 1 20); do
    dns_addr=127.0.0.$((50 + RANDOM % 200)) dns_port=53
    [ "$(id -u)" = 0 ] || dns_addr=127.0.0.1 dns_port=$(free_port)
    /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
      --no-poll --bind-interfaces "--listen-address=$dns_addr" "--port=$dns_port" --log-facility=- \
      --cache-size=0 --local=/test/ --host-record=mx.sink.test,127.0.0.2 "${args[@]}" \
      >"$work/dnsmasq.log" 2>&1 &
    dns_pid=$!
    if dns_answers "$dns_addr" "$dns_port"; then
      dns_server=$dns_addr:$dns_port
      log "dns: dnsmasq on $dns_server, MX for remote1..$domains.test -> mx.sink.test -> 127.0.0.2"
      return
    fi
    stop_pid "$dns_pid"
    dns_pid=
  done
  fail "dnsmasq did not answer on a loopback address: $(tail -1 "$work/dnsmasq.log")"
}

dns_answers() {  # ADDRESS PORT: does the MX query for remote1.test get one answer (3 s at most)?
  timeout 10 python3 - "$1" "$2" <<'PY'
import socket, struct, sys, time
q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x07remote1\x04test\x00" + struct.pack(">HH", 15, 1)
deadline = time.monotonic() + 3
while time.monotonic() < deadline:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, (sys.argv[1], int(sys.argv[2])))
        r = s.recv(512)
        sys.exit(0 if r[3] & 15 == 0 and struct.unpack(">H", r[6:8])[0] == 1 else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# The remote MX of phase 2: smtp-sink on 127.0.0.2 (not an address of Postfix's, which would
# otherwise see "mail for remote1.test loops back to myself"), dumping every transaction into a
# file of its own (created at DATA, written until the final dot; no fsync) in $work/sink2,
# which is a directory in /dev/shm where that is a tmpfs: the stand-in for the Internet then
# neither shares the disk with the side that syncs its queue nor costs ext4 inode allocations.
start_sink2() {
  local opts=() dir
  [ "$(id -u)" = 0 ] && opts+=(-u nobody)
  sink2_port=$(free_port)
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && dir=$(mktemp -d /dev/shm/tessera-bench-sink.XXXXXX); then
    sink2_shm=$dir
    ln -s "$dir" "$work/sink2"
  else
    mkdir -p "$work/sink2"
  fi
  chmod 777 "$work/sink2/"
  /usr/sbin/smtp-sink "${opts[@]}" -d "$work/sink2/%H%M%S." "127.0.0.2:$sink2_port" 1000 \
    >"$work/sink2.log" 2>&1 &
  sink2_pid=$!
  wait_port "$sink2_port" "$sink2_pid" smtp-sink 127.0.0.2
}

# Phase 2's Postfix, an instance of its own: the same submission service, every message held,
# then delivered as Postfix delivers to the Internet: MX lookups (smtp_host_lookup = dns) at
# the benchmark's dnsmasq, port $sink2_port (smtp_tcp_port, like Tessera's delivery.port),
# $concurrency smtp processes at most (the smtp service's process limit, like Tessera's
# delivery.concurrency) and $concurrency sessions to one domain from the start
# (default_destination_concurrency_limit and initial_destination_concurrency, like Tessera's
# delivery.per_destination; Postfix's default starts at 5 and grows). Everything else is
# Postfix's default: connection caching on demand (smtp_connection_cache_on_demand = yes: a
# destination with a backlog gets its sessions reused), no TLS (smtp-sink offers none).
# Postfix's resolver reads /etc/resolv.conf (no port): it starts in a mount namespace where a
# resolv.conf naming the dnsmasq is bound over /etc/resolv.conf (nothing of the system's
# changes). Where that is impossible, the next hop is [127.0.0.2]:port without DNS, and the
# table says so.
start_postfix2() {
  local dir=$work/postfix2 resolv=
  postfix_prepare "$dir"
  pf2_port=$(free_port)
  postfix_main_cf "$dir" relay2.bench.test >"$dir/etc/main.cf"
  {
    postfix_submission "$dir" "$pf2_port" phase2_accounts hold
    postfix_services "$concurrency"
  } >"$dir/etc/master.cf"
  cat >>"$dir/etc/main.cf" <<CONF
smtp_tcp_port = $sink2_port
default_destination_concurrency_limit = $concurrency
initial_destination_concurrency = $concurrency
CONF
  if [ "$dns_port" = 53 ] && private_resolv_possible; then
    postfix_dns=1
    printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$dns_addr" >"$dir/resolv.conf"
    chmod 644 "$dir/resolv.conf"
    resolv=$dir/resolv.conf
    printf 'smtp_dns_support_level = enabled\nsmtp_host_lookup = dns\n' >>"$dir/etc/main.cf"
  else
    postfix_dns=0
    printf 'smtp_dns_support_level = disabled\nrelayhost = [127.0.0.2]:%s\n' "$sink2_port" \
      >>"$dir/etc/main.cf"
  fi
  postfix_start postfix2_pid "$dir" "$pf2_port" postfix2 $resolv
  log "postfix2: submission on $pf2_port (held), delivering by $([ "$postfix_dns" = 1 ] &&
    echo "MX at $dns_addr" || echo "[127.0.0.2] without DNS") to port $sink2_port"
}

sink_count() {  # dumps in $work/sink2 (a glob: no process per look)
  local files
  shopt -s nullglob
  files=("$work/sink2/"*)
  shopt -u nullglob
  echo "${#files[@]}"
}

# cpu_ticks PID...: "pid ticks" (utime + stime, in clock ticks) of each process alive.
cpu_ticks() {
  local pid
  for pid in "$@"; do
    # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
    [ -r "/proc/$pid/stat" ] && sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null |
      awk -v p="$pid" '{ print p, $12 + $13 }'
  done
  return 0
}

# The processes whose CPU time a delivery run counts, one "pid role" a line: the side's
# (Tessera: relayd, store, smtpd; Postfix: the master and all its daemons), dns, sink.
cpu_roles() {
  local pid
  case $1 in
    tessera) for pid in ${relayd_pid:-} "$store_pid" "$smtpd_pid"; do echo "$pid side"; done ;;
    peer) for pid in $(family "$postfix2_pid"); do echo "$pid side"; done ;;
  esac
  echo "$dns_pid dns"
  echo "$sink2_pid sink"
}

# cpu_delta BEFORE AFTER: "side=S dns=S sink=S" CPU seconds between two cpu_ticks samples of the
# cpu_roles (a process that appeared in between counts from 0).
cpu_delta() {
  awk -v hz="$(getconf CLK_TCK)" -v before="$1" -v after="$2" '
    BEGIN {
      while ((getline line < before) > 0) { split(line, f, " "); b[f[1]] = f[2] }
      while ((getline line < after) > 0) { split(line, f, " "); role[f[1]] = f[3]; t[role[f[1]]] += f[2] - b[f[1]] }
      printf "cpu_side=%.2f cpu_dns=%.2f cpu_sink=%.2f", t["side"] / hz, t["dns"] / hz, t["sink"] / hz
    }'
}

cpu_sample() {  # SIDE FILE [with_roles]: cpu_ticks of cpu_roles SIDE into FILE
  local pid role
  cpu_roles "$1" | while read -r pid role; do
    cpu_ticks "$pid" | awk -v r="$role" '{ print $0, r }'
  done >"$2"
}

# A result line in OUT.vals and the log; returns 1 for the caller to end the run.
delivery_failed() {  # OUT SIDE WHAT
  echo "errors=1 first_error=$2: $3" >"$1.vals"
  log "$2: FAILED: $3"
  return 1
}

# measure_delivery SIDE ROUND: one run of phase 2 against SIDE; writes
# $work/SIDE-delivery-ROUND.vals ("delivered_s=.. errors=..").
#  1. Fill (not timed): submit.py queues $deliveries messages over $sessions sessions, the
#     recipients tagged with the run (d<ROUND><t|p>u<k>@remote<d>.test). Tessera: a relayd
#     with its delivery workers off; then that relayd is stopped. Postfix: everything held.
#  2. Deliver, timed from t0: Tessera: a new relayd with its workers on is started at t0;
#     Postfix: `postsuper -H ALL` (hold -> deferred) and `postqueue -f` at t0. Until the sink
#     has every message: the end is the newest dump's modification time (written until the
#     final dot), the same clock for both sides, whatever the polling's period.
#  3. Checks: exactly one dump per message (0.5 s later again: no duplicate), one Message-ID
#     each, every recipient this run's, every dump at least $size bytes, the side's log has
#     one status=sent per message and no deferral or bounce, Postfix's queue is empty.
measure_delivery() {
  local side=$1 round=$2 m=$deliveries out=$work/$1-delivery-$2 tag port limit rc=0 t0 t1 n k
  local dir2=$work/postfix2 log_file got bad
  tag=d$2${1:0:1}
  limit=$((120 + m / 5))
  log "$side: phase 2 round $round of $rounds: queueing $m messages of $size bytes to $domains domain(s)"
  case $side in
    tessera)
      start_relayd "$work/tessera2" queue "$out.fill.log"
      port=$submission_port
      ;;
    peer) port=$pf2_port ;;
  esac
  timeout -k 5 $((limit + 30)) python3 "$HERE_RELAY/submit.py" --port "$port" \
    --sessions "$sessions" --messages "$m" --size "$size" --login "p2u{k}@bench.test" \
    --password "$password" --rcpt "${tag}u{k}@remote{d}.test" --domains "$domains" \
    --deadline "$limit" >"$out.client" 2>&1 &
  client_pid=$!
  wait "$client_pid" || rc=$?
  client_pid=
  if [ "$rc" != 0 ]; then
    delivery_failed "$out" "$side" "fill: client exit $rc: $(grep -m1 -o 'first_error=.*' "$out.client" || tail -1 "$out.client")" || true
    stop_pid "$relayd_pid"
    relayd_pid=
    return
  fi
  case $side in
    tessera)
      for _ in $(seq 1 100); do
        got=$(grep -c 'queued as entry' "$out.fill.log" || true)
        [ "$got" -ge "$m" ] && break
        sleep 0.1
      done
      stop_pid "$relayd_pid"
      relayd_pid=
      [ "$got" = "$m" ] || { delivery_failed "$out" "$side" "fill: $got queue entries for $m messages" || true; return; }
      ;;
    peer)
      got=$(find "$dir2/spool/hold" -type f | wc -l)
      [ "$got" = "$m" ] && [ "$(postfix_queued "$dir2")" = "$m" ] ||
        { delivery_failed "$out" "$side" "fill: $got messages on hold, $(postfix_queued "$dir2") queued, for $m" || true; return; }
      ;;
  esac
  find "$work/sink2/" -type f -delete
  sleep 1  # the fill's after-effects (fsyncs, compaction, logs) settle on both sides alike
  log "$side: delivering the $m queued messages"
  cpu_sample "$side" "$out.cpu0"
  t0=$EPOCHREALTIME
  case $side in
    tessera)
      log_file=$out.log
      start_relayd "$work/tessera2" deliver "$log_file"
      t1=$EPOCHREALTIME
      ;;
    peer)
      log_file=$dir2/maillog
      postsuper -c "$dir2/etc" -H ALL 2>"$out.postsuper" || true
      postqueue -c "$dir2/etc" -f || true
      t1=$EPOCHREALTIME
      ;;
  esac
  # Every 0.1 s: the end comes from the dumps' times, so a slow look costs no precision, and
  # the looks take less from the two cores.
  n=0 bad=0
  for k in $(seq 1 $((limit * 10))); do
    n=$(sink_count)
    [ "$n" -ge "$m" ] && break
    [ "$side" = tessera ] && ! kill -0 "$relayd_pid" 2>/dev/null && break
    if [ $((k % 10)) = 0 ]; then  # a deferral or a bounce: not retried within the run
      bad=$(grep -c "to=<${tag}u.*status=\(deferred\|bounced\)" "$log_file" || true)
      [ "$bad" = 0 ] || break
    fi
    sleep 0.1
  done
  cpu_sample "$side" "$out.cpu1"
  if [ "$n" -lt "$m" ]; then
    delivery_failed "$out" "$side" "$n of $m messages at the sink after $(elapsed "$t0" "$EPOCHREALTIME") s; $bad deferred or bounced: $(grep -m1 -o "to=<${tag}u.*status=\(deferred\|bounced\).*" "$log_file")" || true
  else
    check_delivery "$side" "$out" "$tag" "$log_file" &&
      {
        echo "delivered_s=$(elapsed "$t0" "$(find "$work/sink2/" -type f -printf '%T@\n' | sort -g | tail -1)")" \
          "started_s=$(elapsed "$t0" "$t1") $(cpu_delta "$out.cpu0" "$out.cpu1") errors=0" >"$out.vals"
        log "$side: $(sed 's/errors=0//' "$out.vals")(started_s: $([ "$side" = tessera ] &&
          echo "until relayd listened" || echo "postsuper -H + postqueue -f"))"
      }
  fi
  if [ "$round" = "$rounds" ]; then delivery_memory "$side"; fi
  if [ "$side" = tessera ]; then
    stop_pid "$relayd_pid"
    relayd_pid=
  fi
  if [ "$keep" = 1 ]; then  # the dumps of this run, for a look afterwards
    mkdir -p "$out.dumps"
    find "$work/sink2/" -type f -exec mv -t "$out.dumps" {} +
  fi
  find "$work/sink2/" -type f -delete
}

check_delivery() {  # SIDE OUT TAG LOG: the checks of step 3 (see measure_delivery)
  local side=$1 out=$2 tag=$3 log_file=$4 m=$deliveries n ids others small sent bad
  sleep 0.5
  n=$(sink_count)
  [ "$n" = "$m" ] || { delivery_failed "$out" "$side" "$n dumps at the sink for $m messages"; return; }
  ids=$(find "$work/sink2/" -type f -exec grep -h -m1 '^Message-ID:' {} + | sort -u | wc -l)
  [ "$ids" = "$m" ] || { delivery_failed "$out" "$side" "$ids distinct Message-IDs in $m dumps"; return; }
  others=$(find "$work/sink2/" -type f -exec grep -h '^X-Rcpt-Args:' {} + | grep -vc "^X-Rcpt-Args: <${tag}u" || true)
  [ "$others" = 0 ] || { delivery_failed "$out" "$side" "$others recipients of another run"; return; }
  small=$(find "$work/sink2/" -type f -size "-${size}c" | wc -l)
  [ "$small" = 0 ] || { delivery_failed "$out" "$side" "$small dumps shorter than the message"; return; }
  for _ in $(seq 1 100); do  # Postfix's log and queue, Tessera's log, may lag a little
    sent=$(grep -c "to=<${tag}u.*status=sent" "$log_file" || true)
    bad=$(grep -c "to=<${tag}u.*status=\(deferred\|bounced\)" "$log_file" || true)
    if [ "$sent" = "$m" ] && { [ "$side" = tessera ] || [ "$(postfix_queued "$work/postfix2")" = 0 ]; }; then break; fi
    sleep 0.1
  done
  [ "$sent" = "$m" ] && [ "$bad" = 0 ] ||
    { delivery_failed "$out" "$side" "its log: $sent status=sent, $bad deferred/bounced lines for $m messages"; return; }
  if [ "$side" = peer ] && [ "$(postfix_queued "$work/postfix2")" != 0 ]; then
    delivery_failed "$out" "$side" "$(postfix_queued "$work/postfix2") messages still queued"; return
  fi
  if [ "$side" = tessera ] && grep -q 'Complete failed' "$log_file"; then
    delivery_failed "$out" "$side" "Queue.Complete failed: $(grep -m1 'Complete failed' "$log_file")"; return
  fi
  return 0
}

# delivery_memory SIDE: the delivering processes after the last round, into
# $work/SIDE-delivery-memory.vals. Tessera: the delivering tessera-relayd (started for the run:
# its VmHWM is the delivery's). Postfix: the master, qmgr, the smtp clients, scache and
# trivial-rewrite (not the submission's smtpd and cleanup). The stores (the store, Postfix's
# queue directory) and the sink are not counted.
delivery_memory() {
  local hwm pss procs pids=() pid
  case $1 in
    tessera) read -r hwm pss procs < <(memory_of "$relayd_pid") ;;
    peer)
      for pid in $(family "$postfix2_pid"); do
        case $(cat "/proc/$pid/comm" 2>/dev/null) in
          master | qmgr | smtp | scache | trivial-rewrite) pids+=("$pid") ;;
        esac
      done
      read -r hwm pss procs < <(memory_of "${pids[@]}")
      log "peer: delivering processes: $(for pid in "${pids[@]}"; do cat "/proc/$pid/comm" 2>/dev/null; done |
        sort | uniq -c | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
      ;;
  esac
  echo "hwm=$hwm pss=$pss procs=$procs" >"$work/$1-delivery-memory.vals"
}

print_table() {
  if has_phase 1; then print_submission_table; fi
  if has_phase 2; then print_delivery_table; fi
  print_failures "$work"/*-[0-9]*-[0-9]*.vals "$work"/*-delivery-[0-9]*.vals
}

machine() {
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' \
    /proc/meminfo) GiB; Tessera $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)${tessera_built:+ (relayd built $tessera_built UTC)}"
}

print_submission_table() {
  local s m label mode=reused pf="relaying to smtp-sink meanwhile"
  [ "$reconnect" = 1 ] && mode="one per message"
  [ -n "$hold" ] && pf="holding every message (--postfix-hold)"
  echo
  echo "Submission, $(machine) relayd vs Postfix \
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
}

# cpu_per_message SIDE KEY: CPU milliseconds a message of KEY (cpu_side, ...), mean of the
# rounds that succeeded.
cpu_per_message() {
  local round
  for round in $(seq 1 "$rounds"); do
    [ "$(val "$work/$1-delivery-$round.vals" errors)" = 0 ] && val "$work/$1-delivery-$round.vals" "$2"
  done | awk -v m="$deliveries" '{ s += $1; n++ } END { if (n) printf "%.2f", s / n * 1000 / m }'
}

print_delivery_table() {
  local m=$deliveries route="MX lookups at the same dnsmasq" procs
  [ "${postfix_dns:-1}" = 1 ] || route="Tessera by MX lookup, Postfix to [127.0.0.2] without DNS (no mount namespace)"
  [ "${store_tmpfs:-0}" = 1 ] && route="$route; TESSERA'S STORE ON TMPFS (--store-tmpfs: a diagnosis, not a fair comparison)"
  echo
  echo "Delivery (queue -> smtp-sink), $(machine) relayd delivery workers vs Postfix \
$(postconf -dh mail_version 2>/dev/null) qmgr + smtp;" \
    "a queue of $m $size-byte messages, one recipient each over $domains domain(s), $concurrency deliveries at once" \
    "(and to one domain); $route; load average at the start: $load_at_start; median of $rounds rounds"
  printf '%-44s %10s %10s %7s  %s\n' "messages/s" tessera postfix ratio better
  row "delivered to smtp-sink ($m msgs, $concurrency at once)" "$(median tessera delivery "$m" delivered_s)" \
    "$(median peer delivery "$m" delivered_s)" higher
  row "CPU ms a message, the side's processes" "$(cpu_per_message tessera cpu_side)" \
    "$(cpu_per_message peer cpu_side)" lower
  row "  CPU ms a message, dnsmasq" "$(cpu_per_message tessera cpu_dns)" \
    "$(cpu_per_message peer cpu_dns)" informational
  row "  CPU ms a message, smtp-sink" "$(cpu_per_message tessera cpu_sink)" \
    "$(cpu_per_message peer cpu_sink)" informational
  row "peak RSS MiB, delivering processes (VmHWM)" \
    "$(mib "$(val "$work/tessera-delivery-memory.vals" hwm)")" \
    "$(mib "$(val "$work/peer-delivery-memory.vals" hwm)")" lower
  row "  PSS MiB at the end (shared pages split)" \
    "$(mib "$(val "$work/tessera-delivery-memory.vals" pss)")" \
    "$(mib "$(val "$work/peer-delivery-memory.vals" pss)")" lower
  procs=$(val "$work/peer-delivery-memory.vals" procs)
  echo "ratio = tessera/postfix; from the start of a delivering tessera-relayd / postsuper -H ALL until the newest" \
    "sink dump. CPU (user + system, mean of the rounds): Tessera's relayd + store + smtpd, Postfix's master and" \
    "all its daemons. Memory (informational): the delivering tessera-relayd; Postfix's master, qmgr, smtp," \
    "scache and trivial-rewrite${procs:+ ($procs processes)}; the store, the queue directory and the sink not counted."
  if [ "$rounds" -gt 1 ]; then
    echo "Rounds (delivered messages/s): tessera $(rounds_of tessera delivery "$m" delivered_s)" \
      "  postfix $(rounds_of peer delivery "$m" delivered_s)"
  fi
}
