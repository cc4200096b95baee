# shellcheck shell=bash
# Installs the Debian 12 packages Tessera builds and tests with. Idempotent and quiet when nothing
# is missing; uses sudo only when not root. Sourced by tools/run and tools/test.

TESSERA_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libspdlog-dev libfmt-dev libssl-dev catch2 libmimetic-dev libargon2-dev
  prometheus-cpp-dev libyaml-cpp-dev zlib1g-dev libidn2-dev libc-ares-dev libopendkim-dev
)
# Runtime of tools/run, and the real peers the tests drive (python3's imaplib/poplib/smtplib,
# openssl s_client, mbsync from isync, Node.js for imapflow, swaks with its TLS modules, Postfix
# as a sending MTA with its smtp-source and smtp-sink, dnsmasq as a test zone's DNS server,
# python3-dkim (nacl for ed25519) and opendkim-tools to verify signatures, fetchmail and getmail6
# as POP3 clients, clang-format).
TESSERA_TEST_PACKAGES=(openssl python3 clang-format procps iproute2 isync nodejs swaks
  libnet-ssleay-perl libio-socket-ssl-perl postfix dnsmasq-base python3-dkim python3-nacl
  opendkim-tools fetchmail getmail6)
# NodeSource's nodejs bundles npm and conflicts with Debian's npm package: ask for it only when
# there is no npm.
command -v npm >/dev/null 2>&1 || TESSERA_TEST_PACKAGES+=(npm)

tessera_missing_packages() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  # Nothing when nothing is missing: printf with no arguments would still print one empty line.
  [ "${#missing[@]}" -eq 0 ] || printf '%s\n' "${missing[@]}"
}

tessera_install_packages() {
  local missing
  mapfile -t missing < <(tessera_missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "tessera: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Postfix installed unconfigured: no main.cf, so no system MTA starts on port 25; the tests
  # run their own instances with their own configuration.
  echo "postfix postfix/main_mailer_type select No configuration" |
    "${sudo[@]}" debconf-set-selections
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# ccache: paths relative to the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="${TESSERA_ROOT:-$PWD}" CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

# tessera_build DIR BUILD_TYPE [cmake args...]: configure once, then build with Ninja.
tessera_build() {
  local dir=$1 type=$2
  shift 2
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$TESSERA_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  fi
  ninja -C "$dir" -j "$(nproc)" ${TESSERA_NINJA_QUIET:+--quiet}
}

# tessera_js_deps BUILD_DIR: the npm packages the integration tests use (tests/integration/js,
# exact versions from its committed package-lock.json), installed with `npm ci` into BUILD_DIR/js,
# outside the source tree. A no-op while the installed lock is the committed one.
tessera_js_deps() {
  local src="${TESSERA_ROOT:-$PWD}/tests/integration/js" dest="$1/js"
  cmp -s "$src/package-lock.json" "$dest/installed-lock.json" && [ -d "$dest/node_modules" ] \
    && return 0
  mkdir -p "$dest"
  rm -f "$dest/installed-lock.json"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
  cp "$src/package-lock.json" "$dest/installed-lock.json"
}
