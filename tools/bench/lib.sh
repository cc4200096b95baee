# shellcheck shell=bash
# What every tools/bench/*/run shares: log lines with the elapsed time, one-line failures, free
# ports, waiting for a server to listen; the results' arithmetic and table rows; starting a
# reference Postfix or Dovecot of the benchmark's own. Sourced by the benchmarks' lib.sh, after
# `started` and `work` are set by their run script.

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

wait_port() {  # port pid name [address]: until something listens on address (127.0.0.1):port
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/${4:-127.0.0.1}/$1") 2>/dev/null && return
    kill -0 "$2" 2>/dev/null || fail "$3 exited; see its log in $work (--keep keeps it)"
    sleep 0.1
  done
  fail "$3 does not listen on $1"
}

# ---------------------------------------------------------------------------------------------
# Helpers of the benchmarks against a reference peer (smtp-in, relay); they use `sides`,
# `work`, `rounds` and `peer_user`/`peer_group` as their run script sets them. A benchmark may
# define a function of the same name after sourcing this file (imap does) to replace one.

has_side() { [[ " $sides " == *" $1 "* ]]; }

install_packages() {  # package...: apt-get install those missing (as root only)
  [ $# -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || fail "missing $*: apt-get install $*"
  log "installing $*"
  # Without a main.cf Debian's postfix would ask which configuration to write: none.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
    --no-install-recommends "$@" >/dev/null || fail "apt-get install $* failed"
}

# Dovecot's master runs unprivileged (peers.md §1): as root, as the package's "dovecot" user;
# Postfix's master runs as root and its daemons as mail_owner "postfix".
as_peer() { setpriv --reuid="$peer_user" --regid="$peer_group" --clear-groups -- "$@"; }

stop_pid() {  # pid: SIGTERM, then wait ten seconds at most
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
  kill "$1" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

val() { sed -n "s/.*\<$2=\([^ ]*\).*/\1/p" "$1" 2>/dev/null; }  # file key

# rate SIDE SESSIONS MESSAGES KEY ROUND: messages/s of one round ($work/SIDE-SESSIONS-ROUND.vals),
# empty if it failed.
rate() {
  local t
  t=$(val "$work/$1-$2-$5.vals" "$4")
  [ -n "$t" ] && awk -v m="$3" -v t="$t" 'BEGIN { if (t > 0) printf "%.1f", m / t }'
}

# median SIDE SESSIONS MESSAGES KEY: the median messages/s over the rounds that succeeded.
median() {
  local round
  for round in $(seq 1 "$rounds"); do rate "$@" "$round"; echo; done | grep . | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

rounds_of() {  # side sessions messages key: "a/b/c"
  local round out=()
  for round in $(seq 1 "$rounds"); do
    out+=("$(rate "$@" "$round")")
    if [ ! -e "$work/$1-$2-$round.vals" ]; then out[-1]=n/a; elif [ -z "${out[-1]}" ]; then out[-1]=failed; fi
  done
  local IFS=/
  echo "${out[*]}"
}

# "HWM PSS PROCS": peak resident memory (VmHWM) and proportional set size (PSS: shared pages
# split among the processes that map them), KiB summed over the given processes, and how many
# of them are alive.
memory_of() {
  local pid hwm=0 pss=0 procs=0 kib
  for pid in "$@"; do
    kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || kib=
    [ -n "$kib" ] || continue
    hwm=$((hwm + kib)) procs=$((procs + 1))
    kib=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || kib=
    pss=$((pss + ${kib:-0}))
  done
  echo "$hwm $pss $procs"
}

family() { echo "$1"; pgrep -P "$1" || true; }  # a master and its children

# print_failures FILE...: a FAILED line for each result file (.vals) whose errors is not 0;
# how many in `failures` (the run's exit status).
print_failures() {
  local f
  failures=0
  for f in "$@"; do
    [ -e "$f" ] || continue
    if [ "$(val "$f" errors)" != 0 ]; then
      echo "FAILED $(basename "$f" .vals): $(sed -n 's/.*first_error=//p' "$f")"
      failures=$((failures + 1))
    fi
  done
  return 0
}

mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

row() {  # label tessera peer better
  local ratio
  ratio=$(awk -v a="$2" -v b="$3" 'BEGIN {
    if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }')
  printf '%-44s %10s %10s %7s  %s\n' "$1" "${2:-n/a}" "${3:-n/a}" "$ratio" "$4"
}

# ---------------------------------------------------------------------------------------------
# A reference Postfix 3.7 of its own (peers.md §3c): configuration in DIR/etc, queue in
# DIR/spool, log in DIR/maillog; never /etc/postfix. A benchmark writes DIR/etc/main.cf as
# `postfix_main_cf` + its own lines, DIR/etc/master.cf as its inet services +
# `postfix_services`, then calls postfix_start.

postfix_prepare() {  # DIR: the directories, data_directory owned by postfix
  mkdir -p "$1/etc" "$1/spool" "$1/data"
  chown postfix: "$1/data"
}

postfix_main_cf() {  # DIR HOSTNAME: the main.cf lines every benchmark's Postfix shares
  cat <<CONF
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $1/maillog
maillog_file_prefixes = $1
myhostname = $2
mydomain = bench.test
myorigin = bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtpd_peername_lookup = no
CONF
}

# postfix_services [SMTP_MAXPROC]: the master.cf daemons (no chroot: nothing is copied into
# one); a daemon nobody asks for never runs, so every benchmark gets them all. SMTP_MAXPROC
# limits the smtp client processes (default_process_limit, 100, without it).
postfix_services() {
  cat <<CONF
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
smtp      unix  - - n - ${1:--} smtp
relay     unix  - - n - - smtp
lmtp      unix  - - n - - lmtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
}

# Can this process give Postfix a resolv.conf of its own (a private mount namespace)?
private_resolv_possible() {
  [ "$(id -u)" = 0 ] && timeout 10 unshare -m --propagation private true 2>/dev/null
}

# postfix_start VAR DIR PORT NAME [RESOLV_CONF]: `postfix check`, `postfix start`; the master's
# pid into VAR (set before the wait, so that cleanup can stop it), then wait until PORT
# listens. With RESOLV_CONF, Postfix starts in a mount namespace of its own where that file is
# bound over /etc/resolv.conf: its DNS lookups go to the benchmark's DNS server, the system's
# file and the other processes are untouched (the namespace ends with Postfix's processes).
postfix_start() {
  local var=$1 dir=$2 port=$3 name=$4 resolv=${5:-} cmd pid
  # Without a terminal the postfix command says nothing when it fails; script(1) gives it one.
  script -qec "postfix -c $dir/etc check" /dev/null >"$dir/check.out" 2>&1 ||
    fail "$name: postfix check failed: $(tr -d '\r' <"$dir/check.out" | tail -1)"
  cmd="postfix -c $dir/etc start"
  [ -n "$resolv" ] &&
    cmd="unshare -m --propagation private sh -c 'mount --bind $resolv /etc/resolv.conf && exec $cmd'"
  script -qec "$cmd" /dev/null >"$dir/start.out" 2>&1 ||
    fail "$name: postfix did not start: $(tr -d '\r' <"$dir/start.out" | tail -1)"
  for _ in $(seq 1 100); do [ -s "$dir/spool/pid/master.pid" ] && break; sleep 0.1; done
  pid=$(tr -d ' ' <"$dir/spool/pid/master.pid")
  printf -v "$var" '%s' "$pid"
  wait_port "$port" "$pid" "$name"
}

postfix_queued() {  # DIR: queue files not yet delivered (incoming, active, deferred, hold)
  find "$1/spool/"{incoming,active,deferred,hold} -type f 2>/dev/null | wc -l
}

# ---------------------------------------------------------------------------------------------
# A Dovecot 2.3 of its own (peers.md §1): the master as peer_user, everything under DIR. A
# benchmark writes DIR/dovecot.conf as `dovecot_conf_head` + its own lines, then calls
# dovecot_start.

dovecot_prepare() { mkdir -p "$1/run" "$1/state" "$1/home"; }  # DIR

dovecot_conf_head() {  # DIR INSTANCE_NAME
  cat <<CONF
instance_name = $2
base_dir = $1/run
state_dir = $1/state
log_path = $1/dovecot.log
listen = 127.0.0.1
ssl = no
default_internal_user = $peer_user
default_internal_group = $peer_group
default_login_user = $peer_user
service anvil {
  chroot =
}
CONF
}

# dovecot_start VAR DIR PORT: doveconf's check, then the master (as peer_user); its pid into
# VAR, then wait until PORT listens.
dovecot_start() {
  local var=$1 dir=$2 port=$3 pid
  chown -R "$peer_user:$peer_group" "$dir"
  as_peer /usr/bin/doveconf -n -c "$dir/dovecot.conf" >/dev/null 2>"$dir/doveconf.err" ||
    fail "doveconf rejected $dir/dovecot.conf: $(tail -1 "$dir/doveconf.err")"
  as_peer /usr/sbin/dovecot -c "$dir/dovecot.conf" || fail "dovecot did not start"
  for _ in $(seq 1 100); do [ -s "$dir/run/master.pid" ] && break; sleep 0.1; done
  pid=$(cat "$dir/run/master.pid")
  printf -v "$var" '%s' "$pid"
  wait_port "$port" "$pid" dovecot
}

# ---------------------------------------------------------------------------------------------
# The build directory is shared: two ninjas in one directory corrupt its logs, and a binary
# copied while another ninja links it is half a binary.

ninja_busy() {  # [DIR]: is a ninja building DIR ($build)? (ninja -C runs in the directory it builds)
  local pid want
  want=$(cd "${1:-$build}" && pwd -P)
  for pid in $(pgrep -x ninja); do
    [ "$(readlink -f "/proc/$pid/cwd" 2>/dev/null)" = "$want" ] && return 0
  done
  return 1
}

ninja_wait() {  # [DIR]: until no ninja builds DIR ($build); false after ten minutes
  local i
  for i in $(seq 1 120); do
    ninja_busy "$@" || return 0
    [ "$i" = 1 ] && log "another ninja is building ${1:-$build}: waiting for it"
    sleep 5
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# A Tessera of the benchmark's own: the store, then the accounts. They use `store` and
# `mailctl` (the binaries) and `password`, as the benchmark sets them.

tessera_store() {  # DIR [DATA]: tessera-store on a free port (store_port, store_pid), DIR/store.yaml
  store_port=$(free_port)
  printf 'grpc:\n  listen: 127.0.0.1:%s\ndata:\n  path: %s\nlog:\n  level: warning\n' \
    "$store_port" "${2:-$1/data}" >"$1/store.yaml"
  "$store" --config "$1/store.yaml" >"$1/store.log" 2>&1 &
  store_pid=$!
  wait_port "$store_port" "$store_pid" tessera-store
}

# tessera_accounts LOGIN...: the domain bench.test and these accounts, all with $password
# (mailctl: one Argon2id hash each, the store's defaults m=64 MiB, t=3, p=1; two at a time).
tessera_accounts() {
  log "tessera: creating domain bench.test and $# accounts (one Argon2id hash each)"
  "$mailctl" --store "127.0.0.1:$store_port" domain add bench.test >/dev/null ||
    fail "mailctl domain add bench.test failed"
  printf '%s\n' "$@" | xargs -P 2 -I @ sh -c 'printf "%s\n" "$0" |
    "$1" --store "$2" account add "$3" --password-stdin >/dev/null || exit 255' \
    "$password" "$mailctl" "127.0.0.1:$store_port" @ || fail "mailctl account add failed"
}

# dovecot_conf_users DIR: the dovecot.conf lines of DIR/users (passwd-file, made by the
# benchmark) as the passdb, every user mapped to peer_user with a home in DIR/home.
dovecot_conf_users() {
  cat <<CONF
passdb {
  driver = passwd-file
  args = $1/users
}
userdb {
  driver = static
  args = uid=$peer_user gid=$peer_group home=$1/home/%u
}
CONF
}
