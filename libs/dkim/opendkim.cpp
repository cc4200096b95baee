#include "dkim/opendkim.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tessera::dkim::detail {
namespace {

// The header fields we sign when present: RFC 6376 §5.4.1's list, the MIME fields that decide
// how the body is shown (RFC 2045), Message-ID and Sender, and every List-* field (RFC 8058 §4:
// List-Unsubscribe-Post must be signed). Trace and envelope fields (Received, Return-Path) are
// added on the way and Bcc is removed, so none of them is signed (RFC 6376 §5.4).
// clang-format off
const char* kSignedFields[] = {
    "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
    "In-Reply-To", "References", "Resent-*", "List-*",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    nullptr};

// Fields a message has at most once (RFC 5322 §3.6, RFC 2045 §3) are listed in h= once more
// than present (RFC 6376 §8.15): a second From, Subject or Reply-To added later, or one that was
// absent, breaks the signature instead of being shown to the reader as if signed.
const char* kOversignedFields[] = {
    "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
    "In-Reply-To", "References",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    nullptr};
// clang-format on

DKIM_LIB* start() {
  DKIM_LIB* lib = dkim_init(handle_malloc, handle_free);
  if (lib == nullptr) {
    std::fputs("dkim: libopendkim could not start (dkim_init)\n", stderr);
    std::abort();
  }
  // libopendkim takes the lists as `const char**` passed by value (len = sizeof the pointer).
  if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, kSignedFields, sizeof(const char**)) !=
          DKIM_STAT_OK ||
      dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, kOversignedFields,
                   sizeof(const char**)) != DKIM_STAT_OK) {
    std::fputs("dkim: libopendkim refused the signed header list\n", stderr);
    std::abort();
  }
  return lib;
}

std::string_view status_code_name(DKIM_STAT status) {
  switch (status) {
    case DKIM_STAT_SYNTAX:
      return "dkim.syntax";
    case DKIM_STAT_NORESOURCE:
      return "dkim.resources";
    case DKIM_STAT_INVALID:
      return "dkim.invalid";
    case DKIM_STAT_NOTIMPLEMENT:
      return "dkim.not_implemented";
    case DKIM_STAT_SIGGEN:
      return "dkim.signing";
    case DKIM_STAT_INTERNAL:
      return "dkim.internal";
    default:
      return "dkim.failed";
  }
}

}  // namespace

DKIM_LIB* library() {
  static DKIM_LIB* const lib = start();  // initialised once, thread-safe (C++11 §6.7)
  return lib;
}

Error status_error(DKIM_STAT status, std::string_view step, DKIM* handle) {
  std::string message = std::string(step) + ": ";
  const char* text = dkim_getresultstr(status);
  message += text != nullptr ? text : "status " + std::to_string(status);
  if (handle != nullptr) {
    if (const char* detail = dkim_geterror(handle); detail != nullptr && *detail != '\0')
      message += std::string(" (") + detail + ")";
  }
  return make_error(std::string(status_code_name(status)), std::move(message));
}

}  // namespace tessera::dkim::detail
