# shellcheck shell=bash
# Functions of tools/bench/smtp-in/run: tools, the two sides, one measured run, memory, the table.
# Sourced by run, which sets: build, work, sides, rounds, sessions, accounts, size, count1,
# countN, reuse, from, helo, started, keep.

# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

prepare_tools() {
  store=$build/services/store/tessera-store
  smtpd=$build/services/smtp-in/tessera-smtpd
  mailctl=$build/tools/mailctl/mailctl
  if has_side tessera; then
    if [ ! -x "$store" ] || [ ! -x "$mailctl" ]; then
      fail "build Tessera first (./tools/test or ninja -C build)"
    fi
    [ -x "$smtpd" ] || fail "no $smtpd: build tessera-smtpd first, or measure only the peer (--only-peer)"
  fi
  local missing=()
  [ -x /usr/sbin/smtp-source ] || missing+=(postfix)
  if has_side peer; then
    [ "$(id -u)" = 0 ] || fail "the Postfix side needs root (postfix start; its master drops to the postfix user)"
    [ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
  fi
  install_packages "${missing[@]}"
  peer_user=dovecot peer_group=$(id -gn dovecot 2>/dev/null || echo dovecot)
}

cleanup() {
  set +e
  local pid
  for pid in ${source_pids:-}; do stop_pid "$pid"; done
  stop_pid "${smtpd_pid:-}"
  stop_pid "${store_pid:-}"
  stop_pid "${postfix_pid:-}"  # the master ends its daemons
  stop_pid "${dovecot_pid:-}"  # likewise
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}


# The runs: "SESSIONS MESSAGES" for the 1-session and the N-session run.
runs() { echo "1 $count1"; echo "$sessions $countN"; }

# Accounts a run of SESSIONS sessions sends to (one smtp-source process each).
accounts_of() { echo $(($1 < accounts ? $1 : accounts)); }

# Every account of every run, one per line: s<SESSIONS>r<ROUND>u<K>@bench.test. Each run
# delivers into empty mailboxes of its own, on both sides.
all_accounts() {
  local round s m k
  for round in $(seq 1 "$rounds"); do
    while read -r s m; do
      for k in $(seq 1 "$(accounts_of "$s")"); do echo "s${s}r${round}u$k@bench.test"; done
    done < <(runs)
  done
}

# Where tessera-smtpd's configuration names them, raise the limits one client address meets
# (50 sessions from 127.0.0.1); smtp-source would abort at the first refusal.
smtpd_limits() {
  local doc limit=$((sessions + 100)) key
  doc=$("$smtpd" --config-doc 2>/dev/null) || return 0
  for key in connections connections_per_ip; do
    grep -q "\`limits\.$key\`" <<<"$doc" && printf '  %s: %s\n' "$key" "$limit"
  done
  return 0
}

start_tessera() {
  local dir=$work/tessera n
  mkdir -p "$dir/spool"
  store_port=$(free_port) smtp_port=$(free_port)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=mx.bench.test -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null ||
    fail "openssl could not make a certificate"
  printf 'grpc:\n  listen: 127.0.0.1:%s\ndata:\n  path: %s\nlog:\n  level: warning\n' \
    "$store_port" "$dir/data" >"$dir/store.yaml"
  local limits
  limits=$(smtpd_limits)
  {
    cat <<YAML
listen:
  smtp: 127.0.0.1:$smtp_port
  lmtp: ''
grpc:
  listen: ''
hostname: mx.bench.test
store:
  address: 127.0.0.1:$store_port
spool:
  path: $dir/spool
tls:
  cert: $dir/cert.pem
  key: $dir/key.pem
log:
  level: warning
YAML
    [ -n "$limits" ] && printf 'limits:\n%s\n' "$limits"
  } >"$dir/smtpd.yaml"
  "$store" --config "$dir/store.yaml" >"$dir/store.log" 2>&1 &
  store_pid=$!
  wait_port "$store_port" "$store_pid" tessera-store
  n=$(all_accounts | wc -l)
  log "tessera: creating domain bench.test and $n accounts (one Argon2id hash each)"
  "$mailctl" --store "127.0.0.1:$store_port" domain add bench.test >/dev/null ||
    fail "mailctl domain add bench.test failed"
  all_accounts | xargs -P 2 -I @ sh -c 'printf "%s\n" "$0" |
    "$1" --store "$2" account add "$3" --password-stdin >/dev/null || exit 255' \
    bench-password "$mailctl" "127.0.0.1:$store_port" @ || fail "mailctl account add failed"
  "$smtpd" --config "$dir/smtpd.yaml" >"$dir/smtpd.log" 2>&1 &
  smtpd_pid=$!
  wait_port "$smtp_port" "$smtpd_pid" tessera-smtpd
  log "tessera: store on $store_port, smtpd on $smtp_port"
}

start_dovecot() {
  local dir=$work/dovecot
  dovecot_prepare "$dir"
  lmtp_port=$(free_port)
  all_accounts | sed 's/$/:{PLAIN}bench-password::::::/' >"$dir/users"
  {
    echo "# peers.md §1 reduced to LMTP delivery into Maildir, every write fsynced."
    dovecot_conf_head "$dir" tessera-bench-smtp-dovecot
    cat <<CONF
protocols = lmtp
first_valid_uid = $(id -u "$peer_user")
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
  default_fields = uid=$peer_user gid=$peer_group home=$dir/home/%d/%n
}
mail_location = maildir:~/Maildir
mail_fsync = always
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp_port
  }
}
CONF
  } >"$dir/dovecot.conf"
  dovecot_start dovecot_pid "$dir" "$lmtp_port"
}

# peers.md §3c reduced to the MX role: bench.test is a virtual mailbox domain whose listed
# recipients go by LMTP to Dovecot; no TLS, no SASL, no relay, no DNS.
start_postfix() {
  local dir=$work/postfix
  postfix_prepare "$dir"
  mx_port=$(free_port)
  all_accounts | sed 's/$/ ok/' >"$dir/etc/vmailbox"
  {
    postfix_main_cf "$dir" mx.bench.test
    cat <<CONF
mynetworks = 127.0.0.0/8
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = bench.test
virtual_mailbox_maps = texthash:$dir/etc/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$lmtp_port
# Nothing leaves (a bounce to sender@example.org would look up its MX).
default_transport = error:no remote delivery in this benchmark
relay_transport = error:no remote delivery in this benchmark
CONF
  } >"$dir/etc/main.cf"
  { echo "127.0.0.1:$mx_port inet n - n - - smtpd"; postfix_services; } >"$dir/etc/master.cf"
  postfix_start postfix_pid "$dir" "$mx_port" postfix
  log "postfix+dovecot: postfix on $mx_port, dovecot lmtp on $lmtp_port"
}

port_of() {
  case $1 in
    tessera) port=$smtp_port ;;
    peer) port=$mx_port ;;
  esac
}

# delivered SIDE ID: messages in the mailboxes of the accounts s..r..u*@bench.test of run ID.
delivered() {
  case $1 in
    tessera)
      local k n total=0
      for k in $(seq 1 "$3"); do
        n=$("$mailctl" --store "127.0.0.1:$store_port" --json mailbox list "$2u$k@bench.test" |
          grep -o '"messages":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }') || n=0
        total=$((total + n))
      done
      echo "$total"
      ;;
    peer)  # files in new/ and cur/ (a glob: no process per look)
      local files
      shopt -s nullglob
      files=("$work/dovecot/home/bench.test/$2u"*/Maildir/{new,cur}/*)
      shopt -u nullglob
      echo "${#files[@]}"
      ;;
  esac
}

queued() { postfix_queued "$work/postfix"; }

# measure SIDE SESSIONS MESSAGES ROUND: one run. smtp-source sends MESSAGES messages of $size
# bytes over SESSIONS parallel sessions, split over accounts_of(SESSIONS) processes, each to its
# own account. Writes $work/SIDE-SESSIONS-ROUND.vals ("accepted_s=.. delivered_s=.. ...").
measure() {
  local side=$1 s=$2 m=$3 round=$4 id=s$2r$4 n k ks km t0 t1 t2 rc=0 got=0 limit deadline
  local out=$work/$1-$2-$4 pids=() opts=()
  port_of "$side"
  n=$(accounts_of "$s")
  [ "$reuse" = 1 ] && opts+=(-d)
  log "$side: $m messages of $size bytes, $s session(s), $n account(s) (round $round of $rounds)"
  limit=$((120 + m / 5))  # seconds; an honest run needs a fraction of that
  t0=$EPOCHREALTIME
  for k in $(seq 1 "$n"); do
    ks=$((s / n + (k <= s % n ? 1 : 0))) km=$((m / n + (k <= m % n ? 1 : 0)))
    timeout -k 5 "$limit" smtp-source "${opts[@]}" -s "$ks" -m "$km" -l "$size" -f "$from" \
      -M "$helo" -t "${id}u$k@bench.test" "127.0.0.1:$port" >"$out-$k.out" 2>&1 &
    pids+=($!)
  done
  source_pids=${pids[*]}
  for k in "${pids[@]}"; do wait "$k" || rc=$?; done
  t1=$EPOCHREALTIME
  source_pids=
  if [ "$rc" != 0 ]; then
    echo "errors=1 first_error=smtp-source exit $rc: $(cat "$out"-*.out | grep -v '^$' | head -1)" >"$out.vals"
    log "$side: smtp-source failed (exit $rc): $(cat "$out"-*.out | head -1)"
    return
  fi
  # Delivered: the first moment every message is in the mailboxes (polled every 20 ms; the
  # first look comes just after smtp-source ended, and counts as that moment if it sees them all).
  t2= deadline=$((SECONDS + limit))
  for k in $(seq 1 $((limit * 50))); do
    got=$(delivered "$side" "$id" "$n")
    if [ "$got" -ge "$m" ]; then
      t2=$EPOCHREALTIME
      [ "$k" = 1 ] && t2=$t1
      break
    fi
    [ "$side" = tessera ] && [ "$k" = 1 ] &&
      log "tessera: only $got of $m messages in the mailboxes when smtp-source ended"
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.02
  done
  if [ -z "$t2" ]; then
    echo "errors=1 first_error=$side: $got of $m messages delivered after $limit s" >"$out.vals"
    log "$side: only $got of $m messages delivered"
    return
  fi
  # Nothing more may arrive (a duplicate would show here), nothing may stay queued.
  sleep 0.5
  got=$(delivered "$side" "$id" "$n")
  if [ "$got" != "$m" ]; then
    echo "errors=1 first_error=$side: $got messages delivered for $m sent" >"$out.vals"
  elif [ "$side" = peer ] && [ "$(queued)" != 0 ]; then
    echo "errors=1 first_error=postfix: $(queued) messages still queued" >"$out.vals"
  else
    echo "accepted_s=$(elapsed "$t0" "$t1") delivered_s=$(elapsed "$t0" "$t2") errors=0" >"$out.vals"
  fi
  log "$side: $(sed 's/errors=0//' "$out.vals")"
}

# memory SIDE: after that side's last N-session run, into $work/SIDE-memory.vals.
memory() {
  local hwm pss procs pids
  case $1 in
    tessera) read -r hwm pss procs < <(memory_of "$smtpd_pid" "$store_pid") ;;
    peer)
      mapfile -t pids < <(family "$postfix_pid"; family "$dovecot_pid")
      read -r hwm pss procs < <(memory_of "${pids[@]}")
      ;;
  esac
  echo "hwm=$hwm pss=$pss procs=$procs" >"$work/$1-memory.vals"
  if [ "$1" = peer ]; then
    log "peer: $procs processes: $(for pid in "${pids[@]}"; do cat "/proc/$pid/comm" 2>/dev/null; done |
      sort | uniq -c | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
  fi
}

print_table() {
  local s m
  echo
  echo "SMTP in, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' \
    /proc/meminfo) GiB; Tessera $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) vs Postfix \
$(postconf -dh mail_version 2>/dev/null) + Dovecot $(/usr/sbin/dovecot --version 2>/dev/null | cut -d' ' -f1) LMTP;" \
    "load average at the start: $load_at_start; $size-byte messages; median of $rounds rounds"
  printf '%-44s %10s %10s %7s  %s\n' "messages/s" tessera postfix ratio better
  while read -r s m; do
    local label="$s session"
    [ "$s" = 1 ] || label="$s sessions"
    row "delivered, $label ($m messages)" "$(median tessera "$s" "$m" delivered_s)" \
      "$(median peer "$s" "$m" delivered_s)" higher
    row "  accepted (smtp-source done), $label" "$(median tessera "$s" "$m" accepted_s)" \
      "$(median peer "$s" "$m" accepted_s)" higher
  done < <(runs)
  row "peak RSS MiB after $sessions sessions (VmHWM sum)" \
    "$(mib "$(val "$work/tessera-memory.vals" hwm)")" "$(mib "$(val "$work/peer-memory.vals" hwm)")" lower
  row "  PSS MiB then (shared pages split)" \
    "$(mib "$(val "$work/tessera-memory.vals" pss)")" "$(mib "$(val "$work/peer-memory.vals" pss)")" lower
  local procs
  procs=$(val "$work/peer-memory.vals" procs)
  echo "ratio = tessera/postfix. Memory (informational): tessera-smtpd + tessera-store;" \
    "the Postfix master and its daemons + the Dovecot master and its children${procs:+ ($procs processes)}."
  if [ "$rounds" -gt 1 ]; then
    echo "Rounds (delivered messages/s):"
    while read -r s m; do
      printf '  %2s session(s)  tessera %-22s postfix %s\n' "$s" \
        "$(rounds_of tessera "$s" "$m" delivered_s)" "$(rounds_of peer "$s" "$m" delivered_s)"
    done < <(runs)
  fi
  print_failures "$work"/*-[0-9]*-[0-9]*.vals
}
