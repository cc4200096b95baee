#include "directory_grpc.hpp"

#include "grpc_answer.hpp"
#include "rpc/status.hpp"

namespace tessera::store {
namespace {}  // namespace

grpc::Status DirectoryService::AddDomain(grpc::ServerContext*, const v1::AddDomainRequest* request,
                                         v1::Domain* reply) {
  return answer(ops_.add_domain(*request), reply);
}

grpc::Status DirectoryService::ListDomains(grpc::ServerContext*, const v1::ListDomainsRequest*,
                                           v1::ListDomainsReply* reply) {
  return answer(ops_.list_domains(), reply);
}

grpc::Status DirectoryService::RemoveDomain(grpc::ServerContext*,
                                            const v1::RemoveDomainRequest* request,
                                            v1::RemoveDomainReply* reply) {
  return answer(ops_.remove_domain(*request), reply);
}

grpc::Status DirectoryService::GetDomain(grpc::ServerContext*, const v1::GetDomainRequest* request,
                                         v1::Domain* reply) {
  return answer(ops_.get_domain(*request), reply);
}

grpc::Status DirectoryService::SetDomainSignature(grpc::ServerContext*,
                                                  const v1::SetDomainSignatureRequest* request,
                                                  v1::Domain* reply) {
  return answer(ops_.set_domain_signature(*request), reply);
}

grpc::Status DirectoryService::AddAccount(grpc::ServerContext*,
                                          const v1::AddAccountRequest* request,
                                          v1::Account* reply) {
  return answer(ops_.add_account(*request), reply);
}

grpc::Status DirectoryService::GetAccount(grpc::ServerContext*,
                                          const v1::GetAccountRequest* request,
                                          v1::Account* reply) {
  return answer(ops_.get_account(*request), reply);
}

grpc::Status DirectoryService::ListAccounts(grpc::ServerContext*,
                                            const v1::ListAccountsRequest* request,
                                            v1::ListAccountsReply* reply) {
  return answer(ops_.list_accounts(*request), reply);
}

grpc::Status DirectoryService::UpdateAccount(grpc::ServerContext*,
                                             const v1::UpdateAccountRequest* request,
                                             v1::Account* reply) {
  return answer(ops_.update_account(*request), reply);
}

grpc::Status DirectoryService::SetPassword(grpc::ServerContext*,
                                           const v1::SetPasswordRequest* request,
                                           v1::SetPasswordReply* reply) {
  return answer(ops_.set_password(*request), reply);
}

grpc::Status DirectoryService::RemoveAccount(grpc::ServerContext*,
                                             const v1::RemoveAccountRequest* request,
                                             v1::RemoveAccountReply* reply) {
  return answer(ops_.remove_account(*request), reply);
}

grpc::Status DirectoryService::AddAlias(grpc::ServerContext*, const v1::AliasRequest* request,
                                        v1::AliasReply* reply) {
  return answer(ops_.add_alias(*request), reply);
}

grpc::Status DirectoryService::RemoveAlias(grpc::ServerContext*, const v1::AliasRequest* request,
                                           v1::AliasReply* reply) {
  return answer(ops_.remove_alias(*request), reply);
}

grpc::Status DirectoryService::AddSenderAddress(grpc::ServerContext*,
                                                const v1::SenderAddressRequest* request,
                                                v1::SenderAddressReply* reply) {
  return answer(ops_.add_sender(*request), reply);
}

grpc::Status DirectoryService::RemoveSenderAddress(grpc::ServerContext*,
                                                   const v1::SenderAddressRequest* request,
                                                   v1::SenderAddressReply* reply) {
  return answer(ops_.remove_sender(*request), reply);
}

grpc::Status DirectoryService::ResolveRecipient(grpc::ServerContext*,
                                                const v1::ResolveRecipientRequest* request,
                                                v1::ResolveRecipientReply* reply) {
  return answer(ops_.resolve(*request), reply);
}

grpc::Status DirectoryService::Authenticate(grpc::ServerContext*,
                                            const v1::AuthenticateRequest* request,
                                            v1::AuthenticateReply* reply) {
  return answer(ops_.authenticate(*request), reply);
}

grpc::Status DirectoryService::ChargeSubmission(grpc::ServerContext*,
                                                const v1::ChargeSubmissionRequest* request,
                                                v1::ChargeSubmissionReply* reply) {
  return answer(ops_.charge_submission(*request), reply);
}

grpc::Status DirectoryService::GetQuota(grpc::ServerContext*, const v1::GetQuotaRequest* request,
                                        v1::Quota* reply) {
  return answer(ops_.quota(*request), reply);
}

grpc::Status DirectoryService::GenerateDkimKey(grpc::ServerContext*,
                                               const v1::GenerateDkimKeyRequest* request,
                                               v1::DkimKey* reply) {
  return answer(ops_.generate_dkim_key(*request), reply);
}

grpc::Status DirectoryService::ListDkimKeys(grpc::ServerContext*,
                                            const v1::ListDkimKeysRequest* request,
                                            v1::ListDkimKeysReply* reply) {
  return answer(ops_.list_dkim_keys(*request), reply);
}

}  // namespace tessera::store
