// A workaround for libopendkim 2.11.0 (Debian 12's 2.11.0~beta2): dkim_free releases the
// loaded private key only for RSA, so every ed25519-sha256 signature leaves its EVP_PKEY and
// its 64-byte signature buffer behind (about 1.3 KB; fixed upstream in OpenDKIM pull request
// #321, "dkim_free() memory leak"). A relay signs every message, so that would grow without
// bound. libopendkim gives no access to the key state, so we find it among the handle's own
// allocations (its memory closure) and check it field by field before touching it; when
// anything does not match — another libopendkim, a fixed one — we leave it alone.
#include <cstdlib>

#include <openssl/evp.h>

#include "dkim/opendkim.hpp"

namespace tessera::dkim::detail {
namespace {

// The signing key state of libopendkim 2.11.0 built with OpenSSL (struct dkim_crypto in its
// dkim-types.h), as laid out in memory. Only the fields we check or take are named.
struct KeyState {
  unsigned char pad;
  int keysize;
  std::size_t inlen;
  std::size_t outlen;
  EVP_PKEY* pkey;  // the loaded private key: leaked for ed25519
  void* rsa;       // RSA only
  void* keydata;   // the PEM's BIO, freed at the end of dkim_eom
  unsigned char* in;
  unsigned char* out;  // the signature buffer (DKIM_MALLOC, our closure): leaked for ed25519
};

bool is_key_state(const HandleMemory& memory, const void* block, const KeyState& state) {
  if (state.out == block || state.pkey == nullptr || state.rsa != nullptr ||
      state.keydata != nullptr)
    return false;
  const auto out = memory.live.find(state.out);
  if (out == memory.live.end() || out->second < state.outlen || state.outlen != 64) return false;
  return EVP_PKEY_get_base_id(state.pkey) == EVP_PKEY_ED25519;
}

}  // namespace

void* handle_malloc(void* closure, std::size_t bytes) {
  void* block = std::malloc(bytes);
  if (closure != nullptr && block != nullptr)
    static_cast<HandleMemory*>(closure)->live.emplace(block, bytes);
  return block;
}

void handle_free(void* closure, void* block) {
  if (closure != nullptr) static_cast<HandleMemory*>(closure)->live.erase(block);
  std::free(block);
}

bool release_ed25519_key(HandleMemory& memory) {
  if (dkim_libversion() != 0x020B0000) return false;  // only the release known to leak
  for (const auto& [block, bytes] : memory.live) {
    if (bytes != sizeof(KeyState)) continue;
    auto* state = static_cast<KeyState*>(block);
    if (!is_key_state(memory, block, *state)) continue;
    // Taken out and zeroed, so a dkim_free that does free them finds nothing to free twice.
    EVP_PKEY_free(state->pkey);
    state->pkey = nullptr;
    memory.live.erase(state->out);
    std::free(state->out);
    state->out = nullptr;
    return true;
  }
  return false;
}

}  // namespace tessera::dkim::detail
