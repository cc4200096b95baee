// RL-07 in the relay: the submitting account's domain may have a mandatory signature
// (`mailctl domain signature`); it is added to the message (signature.hpp) after the fix-ups and
// before DKIM signs, so the signature covers it and hosted and remote recipients see the same.
#pragma once

#include "base/asio.hpp"
#include "base/result.hpp"
#include "identity.hpp"
#include "smtp/server.hpp"

namespace tessera::relay {

struct Settings;

// Replaces `transaction.body` when the account's domain has a signature. Errors: the store could
// not be asked (the caller answers 451: mail never leaves without its disclaimer) or the spool
// could not be written.
awaitable<Status> add_mandatory_signature(const Settings& settings, const Identity& identity,
                                          smtp::Transaction& transaction);

}  // namespace tessera::relay
