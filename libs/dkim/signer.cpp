// Signer: one libopendkim signing handle fed in chunks (dkim_chunk finds the end of the header
// itself), with bare LF turned into CRLF on the way.
#include <cstring>
#include <string>

#include "dkim/dkim.hpp"
#include "dkim/opendkim.hpp"

namespace tessera::dkim {

struct Signer::State {
  Key key;  // libopendkim reads the PEM only at dkim_eom: it must live as long as the handle
  DKIM* handle = nullptr;
  detail::HandleMemory memory;  // ed25519 only: what the handle allocated
  bool last_was_cr = false;     // across chunks, for the LF → CRLF rule
  bool spent = false;           // finished, or failed: libopendkim's handle cannot go on
  std::string scratch;          // the chunk with CRLF line ends

  ~State() {
    if (handle == nullptr) return;
    if (key.algorithm == Algorithm::ed25519_sha256) (void)detail::release_ed25519_key(memory);
    dkim_free(handle);
  }
};

Signer::Signer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Signer::~Signer() = default;

Result<std::unique_ptr<Signer>> Signer::create(const Key& key) {
  if (auto valid = validate(key); !valid) return valid.error();
  auto state = std::make_unique<State>();
  state->key = key;
  DKIM_STAT status = DKIM_STAT_OK;
  auto text = [](const std::string& s) { return reinterpret_cast<const u_char*>(s.c_str()); };
  // RFC 6376 §3.4: relaxed canonicalization of header and body survives the re-folding and
  // trailing-space changes that relays on the way commonly make.
  // Only ed25519 handles track their allocations (for release_ed25519_key).
  void* closure = key.algorithm == Algorithm::ed25519_sha256 ? &state->memory : nullptr;
  state->handle = dkim_sign(
      detail::library(), reinterpret_cast<const u_char*>("tessera"), closure,
      reinterpret_cast<dkim_sigkey_t>(state->key.private_key.data()), text(state->key.selector),
      text(state->key.domain), DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
      key.algorithm == Algorithm::ed25519_sha256 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
      -1, &status);
  if (state->handle == nullptr) return detail::status_error(status, "dkim_sign", nullptr);
  return std::unique_ptr<Signer>(new Signer(std::move(state)));
}

Status Signer::feed(std::string_view bytes) {
  auto& s = *state_;
  if (s.spent) return make_error("dkim.state", "the DKIM signer is finished or failed");
  if (bytes.empty()) return {};  // a zero-length dkim_chunk would mean "end of message"
  s.scratch.clear();
  for (char c : bytes) {
    if (c == '\n' && !s.last_was_cr) s.scratch.push_back('\r');
    s.scratch.push_back(c);
    s.last_was_cr = c == '\r';
  }
  const auto status =
      dkim_chunk(s.handle, reinterpret_cast<u_char*>(s.scratch.data()), s.scratch.size());
  if (status != DKIM_STAT_OK) {
    s.spent = true;
    return detail::status_error(status, "dkim_chunk", s.handle);
  }
  return {};
}

Result<std::string> Signer::finish() {
  auto& s = *state_;
  if (s.spent) return make_error("dkim.state", "the DKIM signer is finished or failed");
  s.spent = true;
  if (auto status = dkim_chunk(s.handle, nullptr, 0); status != DKIM_STAT_OK)
    return detail::status_error(status, "dkim_chunk", s.handle);
  if (auto status = dkim_eom(s.handle, nullptr); status != DKIM_STAT_OK)
    return detail::status_error(status, "dkim_eom", s.handle);
  u_char* value = nullptr;
  std::size_t length = 0;
  // The name and ": " take the first 16 columns of the first line (dkim_getsighdr_d(3)).
  const std::string name = DKIM_SIGNHEADER ": ";
  if (auto status = dkim_getsighdr_d(s.handle, name.size(), &value, &length);
      status != DKIM_STAT_OK)
    return detail::status_error(status, "dkim_getsighdr_d", s.handle);
  return name + std::string(reinterpret_cast<const char*>(value), length) + "\r\n";
}

Result<std::string> sign(const Key& key, std::string_view message) {
  auto signer = Signer::create(key);
  if (!signer) return signer.error();
  if (auto fed = (*signer)->feed(message); !fed) return fed.error();
  return (*signer)->finish();
}

}  // namespace tessera::dkim
