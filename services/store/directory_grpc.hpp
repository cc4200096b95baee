// The gRPC face of the Directory service: thin adapters to DirectoryOps (see
// grpc_services.hpp for the threading model).
#pragma once

#include "directory_ops.hpp"
#include "tessera/store/v1/directory.grpc.pb.h"

namespace tessera::store {

class DirectoryService final : public v1::Directory::Service {
 public:
  explicit DirectoryService(Context& context) : ops_(context) {}
  grpc::Status AddDomain(grpc::ServerContext*, const v1::AddDomainRequest* request,
                         v1::Domain* reply) override;
  grpc::Status ListDomains(grpc::ServerContext*, const v1::ListDomainsRequest* request,
                           v1::ListDomainsReply* reply) override;
  grpc::Status RemoveDomain(grpc::ServerContext*, const v1::RemoveDomainRequest* request,
                            v1::RemoveDomainReply* reply) override;
  grpc::Status GetDomain(grpc::ServerContext*, const v1::GetDomainRequest* request,
                         v1::Domain* reply) override;
  grpc::Status SetDomainSignature(grpc::ServerContext*,
                                  const v1::SetDomainSignatureRequest* request,
                                  v1::Domain* reply) override;
  grpc::Status AddAccount(grpc::ServerContext*, const v1::AddAccountRequest* request,
                          v1::Account* reply) override;
  grpc::Status GetAccount(grpc::ServerContext*, const v1::GetAccountRequest* request,
                          v1::Account* reply) override;
  grpc::Status ListAccounts(grpc::ServerContext*, const v1::ListAccountsRequest* request,
                            v1::ListAccountsReply* reply) override;
  grpc::Status UpdateAccount(grpc::ServerContext*, const v1::UpdateAccountRequest* request,
                             v1::Account* reply) override;
  grpc::Status SetPassword(grpc::ServerContext*, const v1::SetPasswordRequest* request,
                           v1::SetPasswordReply* reply) override;
  grpc::Status RemoveAccount(grpc::ServerContext*, const v1::RemoveAccountRequest* request,
                             v1::RemoveAccountReply* reply) override;
  grpc::Status AddAlias(grpc::ServerContext*, const v1::AliasRequest* request,
                        v1::AliasReply* reply) override;
  grpc::Status RemoveAlias(grpc::ServerContext*, const v1::AliasRequest* request,
                           v1::AliasReply* reply) override;
  grpc::Status AddSenderAddress(grpc::ServerContext*, const v1::SenderAddressRequest* request,
                                v1::SenderAddressReply* reply) override;
  grpc::Status RemoveSenderAddress(grpc::ServerContext*, const v1::SenderAddressRequest* request,
                                   v1::SenderAddressReply* reply) override;
  grpc::Status ResolveRecipient(grpc::ServerContext*, const v1::ResolveRecipientRequest* request,
                                v1::ResolveRecipientReply* reply) override;
  grpc::Status Authenticate(grpc::ServerContext*, const v1::AuthenticateRequest* request,
                            v1::AuthenticateReply* reply) override;
  grpc::Status ChargeSubmission(grpc::ServerContext*, const v1::ChargeSubmissionRequest* request,
                                v1::ChargeSubmissionReply* reply) override;
  grpc::Status GetQuota(grpc::ServerContext*, const v1::GetQuotaRequest* request,
                        v1::Quota* reply) override;
  grpc::Status GenerateDkimKey(grpc::ServerContext*, const v1::GenerateDkimKeyRequest* request,
                               v1::DkimKey* reply) override;
  grpc::Status ListDkimKeys(grpc::ServerContext*, const v1::ListDkimKeysRequest* request,
                            v1::ListDkimKeysReply* reply) override;

 private:
  DirectoryOps ops_;
};

}  // namespace tessera::store
