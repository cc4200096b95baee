// tessera-store-load: drives a running tessera-store the way front ends do, for the benchmark
// (tools/bench/store/run) and the crash test (tests/integration/test_store_crash.py).
//
//   setup  --store A --accounts N [--domain D] --out FILE    create a domain and N accounts
//   append --store A --accounts-file F --clients N (--count M | --seconds S) [--size B]
//          [--log DIR] [--same-account] [--file MESSAGE]    concurrent synced appends
//   verify --store A --log DIR                               every acknowledged UID is there
//   list   --store A --account ID [--mailbox ID]             time a full metadata listing
//   raw    --dir D --clients N --seconds S [--size B]        RocksDB synced-write baseline
//
// Output is one JSON object per command on stdout. Clients are threads with blocking stubs: this
// is a load generator, not a service.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <rocksdb/db.h>

#include "crypto/digest.hpp"
#include "tessera/store/v1/directory.grpc.pb.h"
#include "tessera/store/v1/mailboxes.grpc.pb.h"
#include "tessera/store/v1/messages.grpc.pb.h"

namespace v1 = tessera::store::v1;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& key, const std::string& fallback = "") const {
    auto found = values.find(key);
    return found == values.end() ? fallback : found->second;
  }
  long number(const std::string& key, long fallback) const {
    auto found = values.find(key);
    return found == values.end() ? fallback : std::stol(found->second);
  }
  bool flag(const std::string& key) const { return values.contains(key); }
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string key = argv[i];
    if (!key.starts_with("--")) continue;
    key = key.substr(2);
    if (i + 1 < argc && !std::string(argv[i + 1]).starts_with("--")) {
      args.values[key] = argv[++i];
    } else {
      args.values[key] = "";
    }
  }
  return args;
}

[[noreturn]] void die(const std::string& message) {
  std::cerr << "tessera-store-load: " << message << "\n";
  std::exit(1);
}

std::shared_ptr<grpc::Channel> channel(const Args& args) {
  grpc::ChannelArguments options;
  options.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(args.get("store", "127.0.0.1:17001"),
                                   grpc::InsecureChannelCredentials(), options);
}

void deadline(grpc::ClientContext& context, int seconds) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

// A message of about `size` bytes whose content is unique to (client, seq).
std::string make_message(std::size_t size, int client, long seq, std::mt19937_64& random) {
  std::ostringstream head;
  head << "From: load" << client << "@bench.test\r\nTo: sink@bench.test\r\n"
       << "Subject: load " << client << "." << seq << "\r\nMessage-ID: <" << client << "." << seq
       << "." << random() << "@bench.test>\r\nDate: Mon, 13 Nov 2023 10:00:00 +0000\r\n\r\n";
  std::string body = head.str();
  static constexpr char kText[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
  while (body.size() + 2 < size) {
    std::size_t line = std::min<std::size_t>(76, size - body.size() - 2);
    for (std::size_t i = 0; i < line; ++i)
      body.push_back(kText[random() % (sizeof(kText) - 1)]);
    body += "\r\n";
  }
  return body;
}

int cmd_setup(const Args& args) {
  auto stub = v1::Directory::NewStub(channel(args));
  const auto domain = args.get("domain", "bench.test");
  {
    grpc::ClientContext context;
    deadline(context, 10);
    v1::AddDomainRequest request;
    request.set_name(domain);
    v1::Domain reply;
    auto status = stub->AddDomain(&context, request, &reply);
    if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS)
      die("AddDomain: " + status.error_message());
  }
  std::ofstream out(args.get("out", "accounts.txt"));
  const long n = args.number("accounts", 1);
  for (long i = 0; i < n; ++i) {
    grpc::ClientContext context;
    deadline(context, 30);
    v1::AddAccountRequest request;
    request.set_login("load" + std::to_string(i) + "@" + domain);
    request.set_password("load-password-" + std::to_string(i));
    v1::Account reply;
    auto status = stub->AddAccount(&context, request, &reply);
    if (!status.ok()) die("AddAccount: " + status.error_message());
    out << reply.account_id() << "\n";
  }
  std::cout << "{\"accounts\": " << n << "}\n";
  return 0;
}

std::vector<std::uint64_t> read_accounts(const Args& args) {
  std::ifstream in(args.get("accounts-file", "accounts.txt"));
  std::vector<std::uint64_t> ids;
  for (std::uint64_t id; in >> id;)
    ids.push_back(id);
  if (ids.empty()) die("no accounts in " + args.get("accounts-file", "accounts.txt"));
  return ids;
}

// One Append; retried with the same idempotency key while the store is away, so a reply lost in
// a crash is recovered without a duplicate. Returns false when the run should stop.
bool append_once(v1::Messages::Stub& stub, std::uint64_t account, const std::string& body,
                 const std::string& key, v1::AppendReply& reply, Clock::time_point give_up) {
  while (Clock::now() < give_up) {
    grpc::ClientContext context;
    deadline(context, 30);
    context.set_wait_for_ready(true);
    auto writer = stub.Append(&context, &reply);
    v1::AppendRequest header;
    header.mutable_header()->set_account_id(account);
    header.mutable_header()->mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
    header.mutable_header()->set_declared_size(body.size());
    header.mutable_header()->set_idempotency_key(key);
    bool sent = writer->Write(header);
    for (std::size_t at = 0; sent && at < body.size(); at += 1024 * 1024) {
      v1::AppendRequest chunk;
      chunk.set_chunk(body.substr(at, 1024 * 1024));
      sent = writer->Write(chunk);
    }
    writer->WritesDone();
    auto status = writer->Finish();
    if (status.ok()) return true;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
        status.error_code() != grpc::StatusCode::CANCELLED &&
        status.error_code() != grpc::StatusCode::INTERNAL)
      die("Append: " + status.error_message());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int cmd_append(const Args& args) {
  const auto accounts = read_accounts(args);
  const int clients = static_cast<int>(args.number("clients", 1));
  const long count = args.number("count", 0);
  const long seconds = args.number("seconds", count > 0 ? 600 : 10);
  const auto size = static_cast<std::size_t>(args.number("size", 10240));
  const bool same = args.flag("same-account");
  const auto log_dir = args.get("log");
  // --file: append exactly these bytes (tests that need a known message) instead of generated ones.
  std::string fixed;
  if (args.flag("file")) {
    std::ifstream in(args.get("file"), std::ios::binary);
    if (!in) die("cannot read " + args.get("file"));
    fixed.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (!log_dir.empty()) std::filesystem::create_directories(log_dir);
  const auto run_id = std::to_string(std::random_device()());
  std::atomic<long> done{0};
  std::vector<double> latencies_ms;
  std::mutex latencies_mutex;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = v1::Messages::NewStub(channel(args));
      std::mt19937_64 random{std::random_device{}() + static_cast<unsigned>(c)};
      const auto account =
          same ? accounts[0] : accounts[static_cast<std::size_t>(c) % accounts.size()];
      std::ofstream log;
      if (!log_dir.empty())
        log.open(log_dir + "/client-" + std::to_string(c) + "-" + run_id + ".log");
      std::vector<double> mine;
      for (long seq = 0; count == 0 || seq < count; ++seq) {
        if (Clock::now() >= stop) break;
        const auto body = fixed.empty() ? make_message(size, c, seq, random) : fixed;
        v1::AppendReply reply;
        const auto began = Clock::now();
        const auto key = run_id + "-" + std::to_string(c) + "-" + std::to_string(seq);
        if (!append_once(*stub, account, body, key, reply, stop + std::chrono::seconds(60))) break;
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        ++done;
        if (log.is_open()) {
          log << account << " " << reply.mailbox_id() << " " << reply.uid() << " "
              << tessera::crypto::hex(tessera::crypto::sha256(body)) << " " << body.size() << "\n";
          log.flush();  // the log survives the store's crashes, not its own
        }
      }
      std::lock_guard lock(latencies_mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads)
    t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty()
               ? 0.0
               : latencies_ms[std::min(latencies_ms.size() - 1,
                                       static_cast<std::size_t>(p * latencies_ms.size()))];
  };
  std::printf(
      "{\"clients\": %d, \"appends\": %ld, \"seconds\": %.2f, \"per_second\": %.1f, "
      "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"size\": %zu}\n",
      clients, done.load(), elapsed, done.load() / elapsed, pct(0.5), pct(0.99), size);
  return 0;
}

int cmd_verify(const Args& args) {
  auto ch = channel(args);
  auto messages = v1::Messages::NewStub(ch);
  auto mailboxes = v1::Mailboxes::NewStub(ch);
  auto directory = v1::Directory::NewStub(ch);
  struct Acked {
    std::string sha;
    std::uint64_t size;
  };
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint32_t>, Acked> acked;
  long problems = 0;
  for (const auto& file : std::filesystem::directory_iterator(args.get("log"))) {
    std::ifstream in(file.path());
    std::uint64_t account = 0;
    std::uint64_t mailbox = 0;
    std::uint32_t uid = 0;
    std::string sha;
    std::uint64_t size = 0;
    while (in >> account >> mailbox >> uid >> sha >> size) {
      auto [it, inserted] = acked.try_emplace({account, mailbox, uid}, Acked{sha, size});
      if (!inserted && it->second.sha != sha) {
        std::cerr << "UID reused: account " << account << " uid " << uid << "\n";
        ++problems;
      }
    }
  }
  for (const auto& [where, want] : acked) {
    grpc::ClientContext context;
    deadline(context, 30);
    v1::GetBodyRequest request;
    request.set_account_id(std::get<0>(where));
    request.set_mailbox_id(std::get<1>(where));
    request.set_uid(std::get<2>(where));
    auto reader = messages->GetBody(&context, request);
    std::string body;
    for (v1::GetBodyReply reply; reader->Read(&reply);)
      body += reply.data();
    auto status = reader->Finish();
    if (!status.ok() || tessera::crypto::hex(tessera::crypto::sha256(body)) != want.sha) {
      std::cerr << "acknowledged message lost or changed: account " << std::get<0>(where) << " uid "
                << std::get<2>(where) << " (" << status.error_message() << ")\n";
      ++problems;
    }
  }
  // Counters equal a full recount, per mailbox and per account.
  std::set<std::uint64_t> accounts;
  for (const auto& [where, want] : acked)
    accounts.insert(std::get<0>(where));
  for (auto account : accounts) {
    grpc::ClientContext context;
    deadline(context, 30);
    v1::ListMailboxesRequest request;
    request.set_account_id(account);
    request.set_include_status(true);
    v1::ListMailboxesReply tree;
    if (!mailboxes->ListMailboxes(&context, request, &tree).ok()) die("ListMailboxes failed");
    std::uint64_t total_bytes = 0;
    std::uint64_t total_messages = 0;
    for (const auto& mailbox : tree.mailboxes()) {
      grpc::ClientContext list_context;
      deadline(list_context, 120);
      v1::ListMessagesRequest list;
      list.set_account_id(account);
      list.set_mailbox_id(mailbox.mailbox_id());
      auto reader = messages->List(&list_context, list);
      std::uint64_t count = 0;
      std::uint64_t bytes = 0;
      std::uint64_t unseen = 0;
      std::uint32_t max_uid = 0;
      for (v1::ListMessagesReply batch; reader->Read(&batch);) {
        for (const auto& m : batch.messages()) {
          ++count;
          bytes += m.size();
          max_uid = std::max(max_uid, m.uid());
          if (std::find(m.flags().system().begin(), m.flags().system().end(),
                        v1::SYSTEM_FLAG_SEEN) == m.flags().system().end())
            ++unseen;
        }
      }
      if (!reader->Finish().ok()) die("List failed");
      const auto& s = mailbox.status();
      if (s.messages() != count || s.size_bytes() != bytes || s.unseen() != unseen ||
          s.uid_next() <= max_uid) {
        std::cerr << "counters differ from recount in account " << account << " mailbox "
                  << mailbox.path() << ": " << s.messages() << "/" << count << " messages, "
                  << s.size_bytes() << "/" << bytes << " bytes, uidnext " << s.uid_next()
                  << " max uid " << max_uid << "\n";
        ++problems;
      }
      total_bytes += bytes;
      total_messages += count;
    }
    grpc::ClientContext quota_context;
    deadline(quota_context, 10);
    v1::GetQuotaRequest quota_request;
    quota_request.set_account_id(account);
    v1::Quota quota;
    if (!directory->GetQuota(&quota_context, quota_request, &quota).ok()) die("GetQuota failed");
    if (quota.used_bytes() != total_bytes || quota.message_count() != total_messages) {
      std::cerr << "quota usage differs from recount in account " << account << "\n";
      ++problems;
    }
  }
  std::printf("{\"acknowledged\": %zu, \"accounts\": %zu, \"problems\": %ld}\n", acked.size(),
              accounts.size(), problems);
  return problems == 0 ? 0 : 1;
}

int cmd_list(const Args& args) {
  auto ch = channel(args);
  auto messages = v1::Messages::NewStub(ch);
  auto mailboxes = v1::Mailboxes::NewStub(ch);
  const auto account = static_cast<std::uint64_t>(args.number("account", 1));
  std::uint64_t mailbox = static_cast<std::uint64_t>(args.number("mailbox", 0));
  if (mailbox == 0) {
    grpc::ClientContext context;
    v1::GetMailboxStatusRequest request;
    request.set_account_id(account);
    request.mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
    v1::MailboxStatus status;
    if (!mailboxes->GetMailboxStatus(&context, request, &status).ok()) die("no INBOX");
    mailbox = status.mailbox_id();
  }
  const auto began = Clock::now();
  grpc::ClientContext context;
  deadline(context, 300);
  v1::ListMessagesRequest request;
  request.set_account_id(account);
  request.set_mailbox_id(mailbox);
  if (args.flag("envelope")) request.add_fields(v1::MESSAGE_FIELD_ENVELOPE);
  auto reader = messages->List(&context, request);
  long count = 0;
  for (v1::ListMessagesReply batch; reader->Read(&batch);)
    count += batch.messages_size();
  if (!reader->Finish().ok()) die("List failed");
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
  std::printf("{\"messages\": %ld, \"list_ms\": %.1f}\n", count, ms);
  return 0;
}

// The same machine's synced-write rate without the store: 10 KB values into a fresh RocksDB,
// WriteOptions::sync, from N threads (RocksDB groups concurrent writers into one fsync).
int cmd_raw(const Args& args) {
  const auto dir = args.get("dir", "/tmp/tessera-raw-bench");
  std::filesystem::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) die("cannot open " + dir);
  std::unique_ptr<rocksdb::DB> db(raw);
  const int clients = static_cast<int>(args.number("clients", 1));
  const auto size = static_cast<std::size_t>(args.number("size", 10240));
  const auto stop = Clock::now() + std::chrono::seconds(args.number("seconds", 10));
  std::atomic<long> done{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 random(static_cast<unsigned>(c));
      rocksdb::WriteOptions write;
      write.sync = true;
      for (long seq = 0; Clock::now() < stop; ++seq) {
        const auto value = make_message(size, c, seq, random);
        const auto key = std::to_string(c) + "/" + std::to_string(seq);
        if (!db->Put(write, key, value).ok()) die("raw write failed");
        ++done;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  db.reset();
  std::filesystem::remove_all(dir);
  std::printf("{\"clients\": %d, \"raw_writes\": %ld, \"seconds\": %.2f, \"per_second\": %.1f}\n",
              clients, done.load(), elapsed, done.load() / elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: tessera-store-load setup|append|verify|list|raw [options]");
  const std::string command = argv[1];
  const auto args = parse(argc, argv);
  if (command == "setup") return cmd_setup(args);
  if (command == "append") return cmd_append(args);
  if (command == "verify") return cmd_verify(args);
  if (command == "list") return cmd_list(args);
  if (command == "raw") return cmd_raw(args);
  die("unknown command " + command);
}
