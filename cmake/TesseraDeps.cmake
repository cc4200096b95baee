# Every dependency comes from a Debian 12 package (tools/lib/deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED)        # Asio, Beast: header-only
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)                        # IMAP COMPRESS=DEFLATE (RFC 4978)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(Catch2 2 CONFIG REQUIRED)
include(Catch)

# mimetic, libargon2 and libidn2 ship no CMake config: find header and library, make imported targets.
function(tessera_find_plain_library target header library)
  find_path(${target}_INCLUDE_DIR ${header} REQUIRED)
  find_library(${target}_LIBRARY ${library} REQUIRED)
  add_library(${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${${target}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE_DIR}")
endfunction()
tessera_find_plain_library(tessera_dep_mimetic mimetic/mimetic.h mimetic)
tessera_find_plain_library(tessera_dep_argon2 argon2.h argon2)
add_library(Mimetic::mimetic ALIAS tessera_dep_mimetic)
add_library(Argon2::argon2 ALIAS tessera_dep_argon2)
tessera_find_plain_library(tessera_dep_idn2 idn2.h idn2)  # IDNA2008 for SMTPUTF8 domains
add_library(IDN2::idn2 ALIAS tessera_dep_idn2)
