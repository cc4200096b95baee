// The smtp::Handler of the submission listeners (RFC 6409 on 587 with STARTTLS, RFC 8314 on 465):
// AUTH through the store, the sender checked against the account's identities, each recipient
// routed — a hosted domain to smtp-in's Inbound.Deliver, any other to the store's queue for the
// Internet — and 250 only once every copy is safe.
#pragma once

#include <optional>
#include <vector>

#include "directory/recipient.hpp"
#include "identity.hpp"
#include "settings.hpp"
#include "smtp/server.hpp"

namespace tessera::relay {

class SubmissionHandler final : public smtp::Handler {
 public:
  explicit SubmissionHandler(const Settings& settings) : settings_(settings) {}

  std::vector<std::string> auth_mechanisms(const smtp::SessionInfo& session) override;
  awaitable<smtp::Reply> authenticate(const smtp::SessionInfo& session, const std::string& login,
                                      const std::string& password) override;
  awaitable<smtp::Reply> mail(const smtp::SessionInfo& session,
                              const smtp::MailFrom& mail) override;
  awaitable<smtp::Reply> rcpt(const smtp::SessionInfo& session,
                              const smtp::Transaction& transaction,
                              const smtp::RcptTo& rcpt) override;
  awaitable<std::vector<smtp::Reply>> deliver(const smtp::SessionInfo& session,
                                              smtp::Transaction& transaction) override;
  void reset() override {
    local_.clear();
    remote_.clear();
  }

 private:
  const Settings& settings_;
  std::optional<Identity> identity_;  // after AUTH
  int failed_auth_ = 0;
  std::vector<directory::Recipient> local_;  // hosted domains: Inbound.Deliver
  std::vector<smtp::RcptTo> remote_;         // the Internet: the queue
};

}  // namespace tessera::relay
