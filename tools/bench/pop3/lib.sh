# shellcheck shell=bash
# Functions of tools/bench/pop3/run: tools, the two sides, filling them, one measured download,
# the table. Sourced by run, which sets: build, work, sides, rounds, messages, sessions,
# pipeline, started, keep, ROOT. The side-independent helpers (log, fail, free_port, wait_port,
# has_side, install_packages, stop_pid, val, rate, median, rounds_of, memory_of, family, mib,
# row, dovecot_*, ninja_wait, tessera_store, tessera_accounts, dovecot_conf_users) come from
# ../lib.sh.

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HERE_POP3=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
password=bench-password
client=$HERE_POP3/pop3bench.py

# The accounts: big@ gets all the messages (the 1-session row), par1..N@ a share each (the
# N-session row).
par_logins() { local k; for k in $(seq 1 "$sessions"); do echo "par$k@bench.test"; done; }
all_logins() { echo big@bench.test; [ "$sessions" -gt 1 ] && par_logins; return 0; }
fill_plan() {
  local plan="big@bench.test:$messages" k
  if [ "$sessions" -gt 1 ]; then
    for k in $(seq 1 "$sessions"); do plan+=",par$k@bench.test:$((messages / sessions))"; done
  fi
  echo "$plan"
}

prepare_tools() {
  store=$build/services/store/tessera-store
  imap=$build/services/imap/tessera-imap
  pop3d=$build/services/pop3/tessera-pop3d
  mailctl=$build/tools/mailctl/mailctl
  command -v python3 >/dev/null || fail "python3 is needed for the client"
  if has_side tessera; then
    local bin
    # A binary half-written by another engineer's ninja is no binary: wait for it (bounded).
    ninja_wait "$build" || fail "another ninja has been building $build for ten minutes"
    for bin in "$store" "$imap" "$pop3d" "$mailctl"; do
      [ -x "$bin" ] || fail "no $bin: build Tessera first (ninja -C build), or --only-dovecot"
    done
  fi
  if has_side peer; then
    local missing=()
    [ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
    [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)  # the filler's APPENDs
    install_packages "${missing[@]}"
    if [ "$(id -u)" = 0 ]; then
      peer_user=dovecot peer_group=$(id -gn dovecot)
    else
      peer_user=$(id -un) peer_group=$(id -gn)
      as_peer() { "$@"; }
    fi
  fi
}

# Copies of the binaries in $work/bin, used from then on: the build directory is shared, and a
# rebuild during the run must not change the code under measurement.
snapshot_tools() {
  mkdir -p "$work/bin"
  cp -p "$store" "$imap" "$pop3d" "$mailctl" "$work/bin/" || fail "cannot copy the binaries to $work/bin"
  store=$work/bin/${store##*/} imap=$work/bin/${imap##*/} pop3d=$work/bin/${pop3d##*/}
  mailctl=$work/bin/${mailctl##*/}
  tessera_built=$(date -r "$pop3d" -u '+%H:%M')
  # What the binaries were built from, as far as one can tell: HEAD now, and whether the tree
  # has uncommitted changes in services/ or libs/ (which a build may have included).
  tessera_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -n "$(git -C "$ROOT" status --porcelain -- services libs proto 2>/dev/null)" ] && tessera_rev+="+changes"
  return 0
}

cleanup() {
  set +e
  stop_pid "${client_pid:-}"
  stop_pid "${fill_t_pid:-}"
  stop_pid "${fill_p_pid:-}"
  stop_pid "${imap_pid:-}"
  stop_pid "${pop3d_pid:-}"
  stop_pid "${store_pid:-}"
  stop_pid "${dovecot_pid:-}"  # the master ends its children
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# One certificate for both sides (the same TLS handshake and cipher): EC P-256, self-signed.
make_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=pop3.bench.test -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null || fail "openssl could not make a certificate"
  chmod 644 "$work/key.pem" "$work/cert.pem"  # read by Dovecot (as its user) and by Tessera
}

# tessera-store, the accounts, tessera-imap on a plaintext port for the filler only (stopped
# once filled), tessera-pop3d with POP3S only; both with the keys they share (front_keys).
start_tessera() {
  local dir=$work/tessera logins
  mkdir -p "$dir"
  tessera_store "$dir"
  mapfile -t logins < <(all_logins)
  tessera_accounts "${logins[@]}"
  t_imap_port=$(free_port) t_pop3s_port=$(free_port)
  # The filler's APPENDs: no TLS, no pacing (limits.commands_per_second is 200 by default).
  printf 'listen:\n  imap: 127.0.0.1:%s\n  imaps: ""\nauth:\n  allow_plaintext: true\nlimits:\n  commands_per_second: 1000000\n%s\n' \
    "$t_imap_port" "$(front_keys)" >"$dir/imap.yaml"
  "$imap" --config "$dir/imap.yaml" >"$dir/imap.log" 2>&1 &
  imap_pid=$!
  wait_port "$t_imap_port" "$imap_pid" tessera-imap
  printf 'listen:\n  pop3: ""\n  pop3s: 127.0.0.1:%s\n%s\n' "$t_pop3s_port" "$(front_keys)" >"$dir/pop3d.yaml"
  "$pop3d" --config "$dir/pop3d.yaml" >"$dir/pop3d.log" 2>&1 &
  pop3d_pid=$!
  wait_port "$t_pop3s_port" "$pop3d_pid" tessera-pop3d
  log "tessera: store on $store_port, imap (filler) on $t_imap_port, pop3s on $t_pop3s_port"
}

front_keys() {  # the keys tessera-imap and tessera-pop3d share: everything else is default
  printf 'tls:\n  cert: %s\n  key: %s\nstore:\n  address: 127.0.0.1:%s\nlog:\n  level: warning' \
    "$work/cert.pem" "$work/key.pem" "$store_port"
}

# Dovecot 2.3 (peers.md §1) with POP3S and, for the filler, IMAP without TLS; Maildir,
# passwd-file users with the same Argon2id parameters as Tessera's store (doveadm pw's
# ARGON2ID defaults are m=64 MiB, t=3, p=1), no auth cache. Everything else is Dovecot's
# default: one pop3-login process a connection that stays as the TLS proxy of its session
# (service_count = 1), one pop3 process a session, mail_fsync = optimized, index files mmapped.
start_dovecot() {
  local dir=$work/dovecot hash
  dovecot_prepare "$dir"
  p_imap_port=$(free_port) p_pop3s_port=$(free_port)
  hash=$(doveadm pw -s ARGON2ID -p "$password") || fail "doveadm pw -s ARGON2ID failed"
  grep -q 'm=65536,t=3,p=1' <<<"$hash" || log "dovecot: Argon2id parameters differ from Tessera's: $hash"
  all_logins | sed "s|\$|:$hash::::::|" >"$dir/users"
  {
    dovecot_conf_head "$dir" tessera-bench-pop3-dovecot
    cat <<CONF
protocols = imap pop3
ssl = yes
ssl_cert = <$work/cert.pem
ssl_key = <$work/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = $(id -u "$peer_user")
$(dovecot_conf_users "$dir")
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $p_imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $p_pop3s_port
    ssl = yes
  }
}
CONF
  } >"$dir/dovecot.conf"
  dovecot_start dovecot_pid "$dir" "$p_pop3s_port"
  wait_port "$p_imap_port" "$dovecot_pid" dovecot
  log "dovecot: imap (filler) on $p_imap_port, pop3s on $p_pop3s_port"
}

# Both sides get the same generated messages over IMAP APPEND, at the same time (not timed);
# then Tessera's imap is stopped. The filler writes what it appended: LOGIN COUNT BYTES DIGEST.
fill_sides() {
  local rc=0 limit=$((120 + messages / 10))
  log "filling: $(fill_plan | tr ',' '\n' | wc -l) accounts, $((messages * (sessions > 1 ? 2 : 1))) messages a side, over IMAP APPEND"
  if has_side tessera; then
    timeout -k 5 "$limit" python3 "$client" fill --port "$t_imap_port" --password "$password" \
      --plan "$(fill_plan)" --out "$work/tessera.expected" >"$work/tessera-fill.log" 2>&1 &
    fill_t_pid=$!
  fi
  if has_side peer; then
    timeout -k 5 "$limit" python3 "$client" fill --port "$p_imap_port" --password "$password" \
      --plan "$(fill_plan)" --out "$work/peer.expected" >"$work/peer-fill.log" 2>&1 &
    fill_p_pid=$!
  fi
  if [ -n "${fill_t_pid:-}" ]; then
    wait "$fill_t_pid" || fail "tessera: filling failed: $(tail -1 "$work/tessera-fill.log")"
  fi
  if [ -n "${fill_p_pid:-}" ]; then
    wait "$fill_p_pid" || fail "dovecot: filling failed: $(tail -1 "$work/peer-fill.log")"
  fi
  fill_t_pid='' fill_p_pid=''
  if has_side tessera && has_side peer; then
    cmp -s "$work/tessera.expected" "$work/peer.expected" || fail "the two sides got different messages"
  fi
  stop_pid "${imap_pid:-}"
  imap_pid=''
  local f
  for f in "$work"/*.expected; do break; done
  loaded_bytes=$(awk '$1 == "big@bench.test" { print $3 }' "$f")
  log "filled in $((SECONDS - fill_started)) s; big@bench.test: $messages messages," \
    "$loaded_bytes bytes ($((loaded_bytes / messages)) on average)"
}

# download SIDE SESSIONS ROUND: one measured download into $work/SIDE-SESSIONS-ROUND.vals
# (ROUND 0: the warm-up, not in the table).
download() {
  local side=$1 s=$2 round=$3 out=$work/$1-$2-$3 port logins watch=() rc=0
  case $side in
    tessera) port=$t_pop3s_port watch=(--watch "$pop3d_pid,$store_pid") ;;
    peer) port=$p_pop3s_port watch=(--watch-family "$dovecot_pid") ;;
  esac
  if [ "$s" = 1 ]; then logins=big@bench.test; else logins=$(par_logins | paste -sd,); fi
  log "$(side_name "$side"): $s session(s), $messages messages$([ "$round" = 0 ] && echo ", warm-up" || echo " (round $round of $rounds)")"
  timeout -k 5 $((60 + messages / 20)) python3 "$client" download --port "$port" \
    --password "$password" --logins "$logins" --expected "$work/$side.expected" \
    --pipeline "$pipeline" --deadline $((30 + messages / 25)) "${watch[@]}" >"$out.vals" 2>"$out.err" &
  client_pid=$!
  wait "$client_pid" || rc=$?
  client_pid=
  [ -s "$out.vals" ] || echo "errors=1 first_error=client exit $rc: $(tail -1 "$out.err")" >"$out.vals"
  log "$(side_name "$side"): $(sed 's/ first_error=$//' "$out.vals")"
}

side_name() { case $1 in tessera) echo tessera ;; peer) echo dovecot ;; esac; }

# The table: the median round of each row, ratio tessera/dovecot.
print_table() {
  local t=tessera p=peer s mb n key
  mb=$(awk -v b="$loaded_bytes" 'BEGIN { printf "%.6f", b / 1e6 }')
  echo
  echo "POP3S full download, $(date -u +%Y-%m-%d), $(nproc) cores; Tessera ${tessera_rev:-n/a}${tessera_built:+ (pop3d built $tessera_built UTC)}" \
    "vs Dovecot $(/usr/sbin/dovecot --version 2>/dev/null | cut -d' ' -f1); load average at the start: $load_at_start;" \
    "median of $rounds round(s); $messages messages, $(awk -v b="$loaded_bytes" -v m="$messages" 'BEGIN { printf "%.0f", b / m }') bytes on average" \
    "$([ "$pipeline" -gt 1 ] && echo "; $pipeline commands in flight")"
  printf '%-44s %10s %10s %7s  %s\n' measurement tessera dovecot ratio better
  for s in $runs; do
    n=$([ "$s" = 1 ] && echo "1 session" || echo "$s sessions x $((messages / s))")
    row "messages/s, $n" "$(median $t "$s" "$messages" download_s)" \
      "$(median $p "$s" "$messages" download_s)" higher
    row "  MB/s (10^6 bytes)" "$(median $t "$s" "$mb" download_s)" "$(median $p "$s" "$mb" download_s)" higher
    row "  server CPU ms per 1000 messages" "$(per_message $t "$s" server_cpu_s 1e6)" \
      "$(per_message $p "$s" server_cpu_s 1e6)" lower
    row "  client CPU, % of one core" "$(client_share $t "$s")" "$(client_share $p "$s")" lower
    row "  login s (connect, TLS, USER/PASS; all in)" "$(mid $t "$s" login_s)" "$(mid $p "$s" login_s)" lower
    row "  peak RSS MiB while downloading" "$(mib "$(peak $t "$s" peak_rss_kib)")" \
      "$(mib "$(peak $p "$s" peak_rss_kib)")" lower
    row "  peak PSS MiB while downloading" "$(mib "$(peak $t "$s" peak_pss_kib)")" \
      "$(mib "$(peak $p "$s" peak_pss_kib)")" lower
    row "  front end peak RSS MiB" "$(mib "$(peak $t "$s" front_rss_kib)")" \
      "$(mib "$(peak $p "$s" front_rss_kib)")" lower
    row "  context switches per message" "$(per_message $t "$s" switches 1)" \
      "$(per_message $p "$s" switches 1)" lower
  done
  if has_side tessera && [ -n "${pop3d_pid:-}" ]; then
    row "tessera-pop3d VmHWM MiB (whole run)" "$(mib "$(awk '/^VmHWM:/ { print $2 }' "/proc/$pop3d_pid/status" 2>/dev/null)")" "" lower
  fi
  if [ "$rounds" -gt 1 ]; then
    echo "Rounds (messages/s):"
    for s in $runs; do
      printf '  %-10s tessera %-24s dovecot %s\n' "$s session$([ "$s" = 1 ] || echo s)" \
        "$(rounds_of $t "$s" "$messages" download_s)" "$(rounds_of $p "$s" "$messages" download_s)"
    done
  fi
  echo "Server = Tessera: tessera-pop3d + tessera-store; Dovecot: every process of the instance" \
    "(master, pop3-login, pop3, auth, ...). Front end = tessera-pop3d; Dovecot's pop3 + pop3-login" \
    "processes. Memory and context switches sampled every 0.1 s. ratio = tessera/dovecot."
  local f
  failures=0
  for f in "$work"/*-[0-9]*-[0-9]*.vals; do
    [ -e "$f" ] || continue
    key=$(val "$f" errors)
    if [ "$key" != 0 ]; then
      echo "FAILED $(basename "$f" .vals): $(sed -n 's/.*first_error=//p' "$f")"
      failures=$((failures + 1))
    fi
  done
  return 0
}

# Over the rounds (not the warm-up): the median of KEY, the maximum of KEY.
each_round() { local r; for r in $(seq 1 "$rounds"); do val "$work/$1-$2-$r.vals" "$3"; done | grep .; }
mid() { each_round "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
peak() { each_round "$@" | sort -g | tail -1; }
per_message() {  # side sessions key factor: the median round's KEY x FACTOR / messages
  mid "$1" "$2" "$3" | awk -v m="$messages" -v f="$4" '{ printf "%.1f", $1 * f / m }'
}
client_share() {  # side sessions: client CPU / (window x sessions) in %, median round
  local r
  for r in $(seq 1 "$rounds"); do
    awk -v c="$(val "$work/$1-$2-$r.vals" client_cpu_s)" -v t="$(val "$work/$1-$2-$r.vals" download_s)" \
      'BEGIN { if (t > 0) printf "%.0f\n", 100 * c / t }'
  done | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
