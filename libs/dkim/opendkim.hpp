// libopendkim's header, made usable from C++, and the two things every call into it needs: the
// process-wide library handle and the mapping of its statuses to Errors. Private to libs/dkim.
#pragma once

#include <cstddef>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"

// dkim.h declares functions with C99 `_Bool`, which C++ does not have; on every ABI we build for
// it is the same one-byte type as `bool`.
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

namespace tessera::dkim::detail {

// One DKIM_LIB for the process, made on first use (thread-safe) with the signed header lists
// of opendkim.cpp; never closed. dkim_init keeps library-wide state (the header lists as regular
// expressions, the OpenSSL setup), so one handle shared by every signer is what it expects.
// Aborts if libopendkim cannot start (out of memory): nothing could be signed.
DKIM_LIB* library();

// An Error with code "dkim.<what went wrong>" for a libopendkim status; `step` names the call
// ("dkim_eom"), `handle` (may be null) adds libopendkim's own detail.
Error status_error(DKIM_STAT status, std::string_view step, DKIM* handle);

// What libopendkim allocated for one signing handle and has not freed: the handle's memory
// closure (dkim_sign's memclosure), filled by handle_malloc / handle_free, which library() gives
// dkim_init. A null closure is plain malloc / free.
struct HandleMemory {
  std::unordered_map<void*, std::size_t> live;  // block → size
};
void* handle_malloc(void* closure, std::size_t bytes);
void handle_free(void* closure, void* block);

// Call before dkim_free of an ed25519-sha256 signing handle whose dkim_eom ran: frees the key
// state libopendkim 2.11.0 would leak (ed25519_leak.cpp); whether it found it. A no-op (false)
// with any other libopendkim, or when the state does not look as expected.
bool release_ed25519_key(HandleMemory& memory);

}  // namespace tessera::dkim::detail
