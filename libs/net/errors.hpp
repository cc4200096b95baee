// The error codes of the network layer, stable for protocols to map to their replies in one
// place (style.md §7). Messages are for logs; codes are for programs.
#pragma once

#include <string>
#include <string_view>

#include "base/asio.hpp"
#include "base/result.hpp"

namespace tessera::net::errc {

// Recoverable: the connection is still in step; answer the protocol's error and read on.
inline constexpr std::string_view line_too_long = "net.line_too_long";  // SMTP 500, IMAP BAD
inline constexpr std::string_view too_large = "net.too_large";          // literal over its max

// Fatal: close the connection.
inline constexpr std::string_view timeout = "net.timeout";  // no bytes within the deadline
inline constexpr std::string_view eof = "net.eof";          // peer closed or reset
inline constexpr std::string_view io = "net.io";            // anything else (incl. closed by us)
inline constexpr std::string_view discard_limit = "net.discard_limit";  // endless overlong line
inline constexpr std::string_view tls = "net.tls";                      // handshake failed
inline constexpr std::string_view compression = "net.compression";      // zlib set-up or data

}  // namespace tessera::net::errc

namespace tessera::net {

// Maps a socket/TLS error to net.eof (peer closed, reset, or ended TLS without close_notify,
// which mail clients commonly do) or net.io. `what` names the operation for the log line.
Error io_error(const error_code& ec, std::string_view what);

// net.timeout for `what`.
Error timeout_error(std::string_view what);

}  // namespace tessera::net

namespace tessera::net {

// "192.0.2.1:143" or "[2001:db8::1]:143", for messages and logs.
std::string endpoint_string(const tcp::endpoint& endpoint);

}  // namespace tessera::net
