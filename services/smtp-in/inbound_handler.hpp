// The smtp::Handler of the MX and LMTP listeners: RCPT through the store (recipient.hpp), the
// message through the pipeline (pipeline.hpp). One per connection.
#pragma once

#include <vector>

#include "directory/recipient.hpp"
#include "settings.hpp"
#include "smtp/server.hpp"

namespace tessera::smtpin {

class InboundHandler final : public smtp::Handler {
 public:
  explicit InboundHandler(const Settings& settings) : settings_(settings) {}

  awaitable<smtp::Reply> mail(const smtp::SessionInfo& session,
                              const smtp::MailFrom& mail) override;
  awaitable<smtp::Reply> rcpt(const smtp::SessionInfo& session,
                              const smtp::Transaction& transaction,
                              const smtp::RcptTo& rcpt) override;
  awaitable<std::vector<smtp::Reply>> deliver(const smtp::SessionInfo& session,
                                              smtp::Transaction& transaction) override;
  void reset() override { recipients_.clear(); }

 private:
  const Settings& settings_;
  std::vector<directory::Recipient>
      recipients_;  // parallel to the transaction's accepted recipients
};

}  // namespace tessera::smtpin
