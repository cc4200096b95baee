# shellcheck shell=bash
# Starts and stops the local stack for tools/run (and the integration tests' helpers).
# Service table: name, binary (under the build dir), config writer. Services not yet built are
# skipped, so the stack grows as services land.

# Order matters: the store starts first, every other service depends on it.
TESSERA_SERVICES=(store smtpd relayd imap pop3d)
declare -A TESSERA_BINARY=([store]=services/store/tessera-store [smtpd]=services/smtp-in/tessera-smtpd
  [relayd]=services/relay/tessera-relayd [imap]=services/imap/tessera-imap
  [pop3d]=services/pop3/tessera-pop3d)
# Ports a service must accept connections on before the next one starts.
declare -A TESSERA_READY_PORTS=([store]="17001" [smtpd]="10025 10024" [relayd]="10587 10465"
  [imap]="10143 10993" [pop3d]="10110 10995")
declare -a STACK_PIDS=()
declare -a STACK_NAMES=()

stack_write_config_store() {
  local data=$1 host=$2
  cat <<YAML
# Written by tools/run on every start; keys are documented in services/store/README.md.
grpc:
  listen: ${host}:17001
data:
  path: ${data}/store
metrics:
  listen: ${host}:17101
YAML
}

stack_write_config_smtpd() {
  local data=$1 host=$2
  cat <<YAML
# Written by tools/run on every start; keys are documented in services/smtp-in/README.md.
listen:
  smtp: ${host}:10025
  lmtp: ${host}:10024
grpc:
  listen: ${host}:17002
hostname: localhost
postmaster: demo@example.test
tls:
  cert: ${data}/tls/cert.pem
  key: ${data}/tls/key.pem
store:
  address: ${host}:17001
spool:
  path: ${data}/spool
metrics:
  listen: ${host}:17102
YAML
}

stack_write_config_relayd() {
  local data=$1 host=$2
  cat <<YAML
# Written by tools/run on every start; keys are documented in services/relay/README.md.
listen:
  submission: ${host}:10587
  submissions: ${host}:10465
hostname: localhost
tls:
  cert: ${data}/tls/cert.pem
  key: ${data}/tls/key.pem
store:
  address: ${host}:17001
inbound:
  address: ${host}:17002
spool:
  path: ${data}/spool
metrics:
  listen: ${host}:17103
YAML
}

# A front end with a STARTTLS and an implicit-TLS listener: service folder, listener keys and
# ports, metrics port.
stack_write_front_end_config() {
  local data=$1 host=$2 folder=$3 plain=$4 plain_port=$5 tls=$6 tls_port=$7 metrics=$8
  cat <<YAML
# Written by tools/run on every start; keys are documented in services/$folder/README.md.
listen:
  $plain: ${host}:$plain_port
  $tls: ${host}:$tls_port
tls:
  cert: ${data}/tls/cert.pem
  key: ${data}/tls/key.pem
store:
  address: ${host}:17001
metrics:
  listen: ${host}:$metrics
YAML
}

stack_write_config_pop3d() {
  stack_write_front_end_config "$1" "$2" pop3 pop3 10110 pop3s 10995 17105
}

stack_write_config_imap() {
  stack_write_front_end_config "$1" "$2" imap imap 10143 imaps 10993 17104
}

# Self-signed certificate for localhost and the loopback address, made once.
stack_make_certificate() {
  local dir=$1 host=$2
  [ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:${host}" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  chmod 600 "$dir/key.pem"
}

stack_prepare() {
  local data=$1 host=$2
  mkdir -p "$data/config" "$data/log" "$data/store" "$data/spool"
  stack_make_certificate "$data/tls" "$host"
  if [ ! -s "$data/demo-password" ]; then
    (umask 077; openssl rand -base64 15 | tr -d '/+=\n' >"$data/demo-password")
  fi
  local svc
  for svc in "${TESSERA_SERVICES[@]}"; do
    "stack_write_config_$svc" "$data" "$host" >"$data/config/$svc.yaml"
  done
}

stack_start() {
  local data=$1 build=$2 host=$3 svc bin
  for svc in "${TESSERA_SERVICES[@]}"; do
    bin=$build/${TESSERA_BINARY[$svc]}
    [ -x "$bin" ] || continue
    "$bin" --config "$data/config/$svc.yaml" >>"$data/log/$svc.log" 2>&1 &
    STACK_PIDS+=($!)
    STACK_NAMES+=("$svc")
    stack_wait_ready "$data" "$host" "${TESSERA_READY_PORTS[$svc]}" || return 1
    if [ "$svc" = store ]; then stack_create_demo "$data" "$build" "$host" || return 1; fi
  done
}

# A service is ready when its ports accept connections; one that exits first is a failure.
stack_wait_ready() {
  local data=$1 host=$2 ports=$3 i port
  for port in $ports; do
    for i in $(seq 1 150); do
      stack_check_alive "$data" || return 1
      (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break
      sleep 0.1
    done
  done
}

# The demo domain and account, created through the store on first start (mailctl, like an
# operator would); later starts find them and keep the password.
stack_create_demo() {
  local data=$1 build=$2 host=$3
  local mailctl=("$build/tools/mailctl/mailctl" --store "$host:17001")
  if "${mailctl[@]}" account list example.test 2>/dev/null | grep -q '^demo@example.test'; then
    return 0
  fi
  "${mailctl[@]}" domain add example.test >/dev/null 2>&1 || true
  # The relay signs the demo domain's mail (RL-06); `mailctl dkim show example.test` prints the
  # TXT record a real domain would publish.
  "${mailctl[@]}" dkim generate example.test --selector demo >/dev/null 2>&1 || true
  if ! "${mailctl[@]}" account add demo@example.test --name "Demo User" --password-stdin \
      <"$data/demo-password" >/dev/null; then
    echo "tools/run: could not create demo@example.test (see $data/log/store.log)" >&2
    return 1
  fi
}

stack_check_alive() {
  local data=$1 i
  for i in "${!STACK_PIDS[@]}"; do
    if ! kill -0 "${STACK_PIDS[$i]}" 2>/dev/null; then
      echo "tools/run: ${STACK_NAMES[$i]} exited; last lines of $data/log/${STACK_NAMES[$i]}.log:" >&2
      tail -n 5 "$data/log/${STACK_NAMES[$i]}.log" >&2
      return 1
    fi
  done
}

# SIGTERM asks each service to drain; whatever is left after 10 s gets SIGKILL.
stack_stop() {
  [ "${#STACK_PIDS[@]}" -eq 0 ] && return 0
  echo "tools/run: stopping ${STACK_NAMES[*]} ..." >&2
  kill -TERM "${STACK_PIDS[@]}" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do
    kill -0 "${STACK_PIDS[@]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "${STACK_PIDS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  STACK_PIDS=()
  echo "tools/run: stopped" >&2
}

# Stay in the foreground until a signal arrives or a service dies.
stack_wait() {
  while stack_check_alive "$data"; do
    wait -n 2>/dev/null || true
  done
  exit 1
}

stack_print_settings() {
  local data=$1 host=$2
  cat <<TEXT

Tessera is running on $host (data: $data, logs: $data/log/).

  Account          demo@example.test
  Password         $(cat "$data/demo-password")
  IMAP             $host port 10993, SSL/TLS   (or port 10143, STARTTLS)
  POP3             $host port 10995, SSL/TLS   (or port 10110, STARTTLS)
  SMTP (sending)   $host port 10465, SSL/TLS   (or port 10587, STARTTLS), normal password
  SMTP (receiving) $host port 10025 (MX, STARTTLS offered), LMTP port 10024
  Authentication   normal password; user name is the full address
  Certificate      self-signed: $data/tls/cert.pem (accept it once in the client)
  Metrics          http://$host:17104/metrics (imap), http://$host:17102/metrics (smtpd),
                   http://$host:17103/metrics (relayd), http://$host:17105/metrics (pop3d),
                   http://$host:17101/metrics (store)
  Administration   $TESSERA_ROOT/build/tools/mailctl/mailctl --store $host:17001 --help

Running: ${STACK_NAMES[*]}. Press Ctrl-C to stop.
Note: IMAP serves the whole mailbox (read, search, sort, move, IDLE, CONDSTORE/QRESYNC); POP3
the INBOX (DELE moves to Trash at QUIT). Mail
for demo@example.test arrives on port 10025, e.g.
  swaks --server $host:10025 --to demo@example.test
Sending works to local addresses at once; mail for other domains is queued and sent to their
MX hosts on port 25 (where this machine may reach it), DKIM-signed for example.test
(mailctl dkim show example.test). The password above is kept in $data/demo-password.
TEXT
}
