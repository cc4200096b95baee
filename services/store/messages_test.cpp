#include <catch2/catch.hpp>

#include "changes.hpp"
#include "keys.hpp"
#include "maintenance.hpp"
#include "message_data.hpp"
#include "test_fixture.hpp"

using namespace tessera::store;
using testing::Fixture;
using testing::message;
using testing::uids;

TEST_CASE("UIDs ascend per mailbox and MODSEQs per account, across a reopen") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const auto sent = f.role(1, v1::MAILBOX_ROLE_SENT);
  auto a = f.append(1, inbox, message("one"));
  auto b = f.append(1, sent, message("two"));
  auto c = f.append(1, inbox, message("three"));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->uid() == 1);
  CHECK(b->uid() == 1);  // per mailbox
  CHECK(c->uid() == 2);
  CHECK(a->modseq() < b->modseq());  // one sequence per account
  CHECK(b->modseq() < c->modseq());
  const auto status = f.status(1, inbox);
  CHECK(status.uid_next() == 3);
  CHECK(status.messages() == 2);
  CHECK(status.unseen() == 2);
  CHECK(status.highest_modseq() == c->modseq());
  CHECK(status.size_bytes() == message("one").size() + message("three").size());

  // Expunged UIDs are never given out again, and a reopened database continues the sequences.
  v1::StoreFlagsRequest del;
  del.set_account_id(1);
  del.set_mailbox_id(inbox);
  *del.mutable_uids() = uids(2, 2);
  del.set_operation(v1::STORE_OPERATION_ADD);
  del.mutable_flags()->add_system(v1::SYSTEM_FLAG_DELETED);
  REQUIRE(f.messages.store_flags(del));
  v1::ExpungeRequest expunge;
  expunge.set_account_id(1);
  expunge.set_mailbox_id(inbox);
  auto gone = f.messages.expunge(expunge);
  REQUIRE(gone);
  REQUIRE(gone->expunged().ranges_size() == 1);
  CHECK(gone->expunged().ranges(0).first() == 2);
  f.db.reset();
  f.db = Db::open(f.dir).value();
  Context reopened{*f.db, f.locks, f.notifier, [&] { return f.now; }};
  MessageOps ops(reopened);
  v1::AppendHeader header;
  header.set_account_id(1);
  header.mutable_mailbox()->set_mailbox_id(inbox);
  const auto body = message("four");
  header.set_declared_size(body.size());
  auto d = ops.append(header, body);
  REQUIRE(d);
  CHECK(d->uid() == 3);
  CHECK(d->modseq() > gone->modseq());
}

TEST_CASE("StoreFlags with UNCHANGEDSINCE changes only messages not modified since") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  auto one = f.append(1, inbox, message("one"));
  auto two = f.append(1, inbox, message("two"));
  REQUIRE(two);
  // RFC 7162 §3.1.3 example shape: the client saw modseq of message 1 only.
  v1::StoreFlagsRequest request;
  request.set_account_id(1);
  request.set_mailbox_id(inbox);
  *request.mutable_uids() = uids(1, 2);
  request.set_operation(v1::STORE_OPERATION_ADD);
  request.mutable_flags()->add_system(v1::SYSTEM_FLAG_SEEN);
  request.set_unchanged_since(one->modseq());
  auto reply = f.messages.store_flags(request);
  REQUIRE(reply);
  REQUIRE(reply->updated_size() == 1);
  CHECK(reply->updated(0).uid() == 1);
  CHECK(reply->updated(0).modseq() > two->modseq());
  REQUIRE(reply->modified().ranges_size() == 1);
  CHECK(reply->modified().ranges(0).first() == 2);
  CHECK(f.status(1, inbox).unseen() == 1);
  CHECK(reply->highest_modseq() == reply->updated(0).modseq());

  // Setting a flag a message already has changes nothing and takes no modseq.
  request.clear_unchanged_since();
  *request.mutable_uids() = uids(1, 1);
  auto again = f.messages.store_flags(request);
  REQUIRE(again);
  CHECK(again->updated(0).modseq() == reply->updated(0).modseq());

  // Keywords are case-insensitive and keep their first spelling.
  v1::StoreFlagsRequest tag = request;
  tag.mutable_flags()->clear_system();
  tag.mutable_flags()->add_keywords("$Forwarded");
  REQUIRE(f.messages.store_flags(tag));
  tag.mutable_flags()->set_keywords(0, "$forwarded");
  auto tagged = f.messages.store_flags(tag);
  REQUIRE(tagged);
  REQUIRE(tagged->updated(0).flags().keywords_size() == 1);
  CHECK(tagged->updated(0).flags().keywords(0) == "$Forwarded");
  tag.mutable_flags()->set_keywords(0, "bad keyword");
  CHECK(f.messages.store_flags(tag).error().code == "rpc.INVALID_ARGUMENT");
}

TEST_CASE("Copy and Move return UID maps and keep counts and quota exact") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const auto drafts = f.role(1, v1::MAILBOX_ROLE_DRAFTS);
  for (int i = 0; i < 4; ++i)
    REQUIRE(f.append(1, inbox, message("m" + std::to_string(i)), {v1::SYSTEM_FLAG_SEEN}));
  REQUIRE(f.append(1, drafts, message("d")));
  v1::CopyRequest copy;
  copy.set_account_id(1);
  copy.set_mailbox_id(inbox);
  *copy.mutable_uids() = uids(2, 3);
  copy.mutable_target()->set_mailbox_id(drafts);
  auto copied = f.messages.copy(copy, false);
  REQUIRE(copied);
  REQUIRE(copied->uids_size() == 2);
  CHECK(copied->uids(0).source_uid() == 2);
  CHECK(copied->uids(0).destination_uid() == 2);
  CHECK(copied->uids(1).source_uid() == 3);
  CHECK(copied->uids(1).destination_uid() == 3);
  CHECK(f.status(1, inbox).messages() == 4);
  CHECK(f.status(1, drafts).messages() == 3);
  auto copies = f.list(1, drafts);
  CHECK(copies[1].flags().system(0) == v1::SYSTEM_FLAG_SEEN);  // flags travel with the copy

  auto* more = copy.mutable_uids()->add_ranges();  // 1:1 and 4:* as IMAP "1,4:*"
  more->set_first(4);
  more->set_last(0xFFFFFFFFU);
  *copy.mutable_uids()->mutable_ranges(0) = uids(1, 1).ranges(0);
  auto moved = f.messages.copy(copy, true);
  REQUIRE(moved);
  REQUIRE(moved->uids_size() == 2);
  CHECK(moved->uids(0).source_uid() == 1);
  CHECK(moved->uids(0).destination_uid() == 4);
  CHECK(moved->uids(1).source_uid() == 4);
  CHECK(moved->uids(1).destination_uid() == 5);
  CHECK(f.status(1, inbox).messages() == 2);
  CHECK(f.status(1, drafts).messages() == 5);
  auto state = read_account_state(*f.db, 1);
  CHECK((*state)->message_count() == 7);

  // RFC 6851 §3.3 lets a client move messages to the mailbox they are in: they get new UIDs.
  copy.mutable_target()->set_mailbox_id(inbox);
  *copy.mutable_uids() = uids(2, 2);
  auto same = f.messages.copy(copy, true);
  REQUIRE(same);
  REQUIRE(same->uids_size() == 1);
  CHECK(same->uids(0).destination_uid() == 5);
  CHECK(f.status(1, inbox).messages() == 2);
  const auto after = f.list(1, inbox);
  REQUIRE(after.size() == 2);
  CHECK(after[0].uid() == 3);
  CHECK(after[1].uid() == 5);
  CHECK((*read_account_state(*f.db, 1))->message_count() == 7);
}

TEST_CASE("A write that would pass the quota is refused with RESOURCE_EXHAUSTED") {
  Fixture f;
  const auto body = message("q");
  f.add_account(1, body.size() * 2);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  REQUIRE(f.append(1, inbox, body));
  REQUIRE(f.append(1, inbox, body));
  auto third = f.append(1, inbox, body);
  REQUIRE_FALSE(third);
  CHECK(third.error().code == "rpc.RESOURCE_EXHAUSTED");
  v1::CopyRequest copy;
  copy.set_account_id(1);
  copy.set_mailbox_id(inbox);
  *copy.mutable_uids() = uids(1, 1);
  copy.mutable_target()->set_role(v1::MAILBOX_ROLE_SENT);
  auto copied = f.messages.copy(copy, false);
  REQUIRE_FALSE(copied);
  CHECK(copied.error().code == "rpc.RESOURCE_EXHAUSTED");
  CHECK(f.status(1, inbox).messages() == 2);
}

TEST_CASE("Incoming mail frees the oldest Trash first when over quota (IN-04)") {
  Fixture f;
  const auto body = message("x");
  f.add_account(1, body.size() * 3);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const auto trash = f.role(1, v1::MAILBOX_ROLE_TRASH);
  for (int i = 0; i < 3; ++i)
    REQUIRE(f.append(1, inbox, message("x")));
  v1::MoveToTrashRequest to_trash;
  to_trash.set_account_id(1);
  to_trash.set_mailbox_id(inbox);
  *to_trash.mutable_uids() = uids(1, 2);
  REQUIRE(f.messages.move_to_trash(to_trash));
  v1::DeliverHeader header;
  auto* placement = header.add_placements();
  placement->set_account_id(1);
  placement->mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
  header.set_declared_size(body.size());
  auto delivered = f.messages.deliver(header, body);
  REQUIRE(delivered);
  CHECK(f.status(1, trash).messages() == 1);
  CHECK(f.status(1, inbox).messages() == 2);
}

TEST_CASE("Trash older than 7 days is purged — younger Trash stays (ST-09)") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const auto trash = f.role(1, v1::MAILBOX_ROLE_TRASH);
  REQUIRE(f.append(1, inbox, message("old")));
  REQUIRE(f.append(1, inbox, message("new")));
  v1::MoveToTrashRequest request;
  request.set_account_id(1);
  request.set_mailbox_id(inbox);
  *request.mutable_uids() = uids(1, 1);
  auto first = f.messages.move_to_trash(request);
  REQUIRE(first);
  auto listed = f.list(1, trash);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].trashed_at_unix_ms() == f.now);
  CHECK(listed[0].trashed_from_mailbox_id() == inbox);
  f.now += 6LL * 24 * 3600 * 1000;
  *request.mutable_uids() = uids(2, 2);
  REQUIRE(f.messages.move_to_trash(request));
  f.now += 2LL * 24 * 3600 * 1000;  // the first is 8 days in Trash, the second 2
  auto report = run_maintenance(f.context);
  REQUIRE(report);
  CHECK(report->trash_purged == 1);
  listed = f.list(1, trash);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].uid() == first->uids(0).destination_uid() + 1);
}

TEST_CASE("Deliver stores one body for many placements, all or nothing") {
  Fixture f;
  f.add_account(1);
  f.add_account(2);
  const auto body = message("to both");
  v1::DeliverHeader header;
  for (std::uint64_t account : {1, 2}) {
    auto* p = header.add_placements();
    p->set_account_id(account);
    p->mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
  }
  header.set_declared_size(body.size());
  header.set_idempotency_key("smtp-in-1");
  auto delivered = f.messages.deliver(header, body);
  REQUIRE(delivered);
  REQUIRE(delivered->results_size() == 2);
  auto refs = f.db->get(Family::blobs, keys::blob_refs(blob_id(body)));
  REQUIRE(*refs);
  tessera::storedb::v1::BlobRefs count;
  count.ParseFromString(**refs);
  CHECK(count.refs() == 2);
  // A retry with the same key stores nothing new.
  auto retried = f.messages.deliver(header, body);
  REQUIRE(retried);
  CHECK(retried->results(1).uid() == delivered->results(1).uid());
  CHECK(f.status(2, f.role(2, v1::MAILBOX_ROLE_INBOX)).messages() == 1);
  // One bad placement: nothing is stored for anyone.
  header.set_idempotency_key("");
  header.mutable_placements(1)->mutable_mailbox()->set_mailbox_id(999);
  auto refused = f.messages.deliver(header, body);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "rpc.NOT_FOUND");
  CHECK(f.status(1, f.role(1, v1::MAILBOX_ROLE_INBOX)).messages() == 1);
  // Expunging every copy deletes the blob.
  for (std::uint64_t account : {1, 2}) {
    const auto inbox = f.role(account, v1::MAILBOX_ROLE_INBOX);
    v1::StoreFlagsRequest del;
    del.set_account_id(account);
    del.set_mailbox_id(inbox);
    *del.mutable_uids() = uids(1, 0xFFFFFFFFU);
    del.set_operation(v1::STORE_OPERATION_ADD);
    del.mutable_flags()->add_system(v1::SYSTEM_FLAG_DELETED);
    REQUIRE(f.messages.store_flags(del));
    v1::ExpungeRequest expunge;
    expunge.set_account_id(account);
    expunge.set_mailbox_id(inbox);
    REQUIRE(f.messages.expunge(expunge));
  }
  CHECK_FALSE(*f.db->get(Family::blobs, keys::blob(blob_id(body))));
}

TEST_CASE("Replies join their parent's thread — unrelated mail starts a new one (ST-28)") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  REQUIRE(f.append(1, inbox, message("Plans", "Message-ID: <a@x>\r\n")));
  REQUIRE(f.append(1, inbox, message("Re: Plans", "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\n")));
  REQUIRE(
      f.append(1, inbox, message("Re: Plans", "Message-ID: <c@x>\r\nReferences: <a@x> <b@x>\r\n")));
  REQUIRE(f.append(1, inbox, message("Lunch", "Message-ID: <d@x>\r\n")));
  // Parent missing: subject fallback for a reply.
  REQUIRE(f.append(1, inbox, message("RE: Plans", "Message-ID: <e@x>\r\n")));
  // Same subject without reply markers is not merged.
  REQUIRE(f.append(1, inbox, message("Lunch", "Message-ID: <f@x>\r\n")));
  auto all = f.list(1, inbox);
  REQUIRE(all.size() == 6);
  CHECK(all[1].thread_id() == all[0].thread_id());
  CHECK(all[2].thread_id() == all[0].thread_id());
  CHECK(all[3].thread_id() != all[0].thread_id());
  CHECK(all[4].thread_id() == all[0].thread_id());
  CHECK(all[5].thread_id() != all[3].thread_id());
}

TEST_CASE("List returns envelope and structure — GetBody serves sections byte-exact") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const std::string raw =
      "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\r\nTo: a@example.org\r\n"
      "Subject: Report\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
      "--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b1--\r\n";
  auto appended = f.append(1, inbox, raw);
  REQUIRE(appended);
  auto listed = f.list(
      1, inbox,
      {v1::MESSAGE_FIELD_ENVELOPE, v1::MESSAGE_FIELD_BODY_STRUCTURE, v1::MESSAGE_FIELD_PREVIEW});
  REQUIRE(listed.size() == 1);
  const auto& m = listed[0];
  CHECK(m.size() == raw.size());
  CHECK(m.has_attachment());
  CHECK(m.envelope().from(0).name() == "Jürgen");
  CHECK(m.envelope().subject() == "Report");
  CHECK(m.body_structure().type() == "multipart");
  REQUIRE(m.body_structure().children_size() == 2);
  CHECK(m.body_structure().children(1).filename() == "r.pdf");
  CHECK(m.preview() == "See attached.");
  CHECK(*f.body(1, inbox, 1) == raw);
  CHECK(*f.body(1, inbox, 1, "1") == "See attached.");
  CHECK(f.body(1, inbox, 1, "", v1::SECTION_HEADER)->ends_with("boundary=\"b1\"\r\n\r\n"));
  CHECK(*f.body(1, inbox, 1, "2", v1::SECTION_MIME) ==
        "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n");
  v1::GetBodyRequest binary;
  binary.set_account_id(1);
  binary.set_mailbox_id(inbox);
  binary.set_uid(1);
  binary.set_part("2");
  binary.set_decode(true);
  std::string decoded;
  REQUIRE(f.messages.get_body(binary, [&](v1::GetBodyReply& r) {
    decoded += r.data();
    return true;
  }));
  CHECK(decoded == "%PDF-");
  auto missing = f.body(1, inbox, 1, "7");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == "rpc.INVALID_ARGUMENT");
  auto gone = f.body(1, inbox, 9);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == "rpc.NOT_FOUND");
}

TEST_CASE("Calls scoped to one account cannot reach another account's mail") {
  Fixture f;
  f.add_account(1);
  f.add_account(2);
  const auto inbox1 = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const auto inbox2 = f.role(2, v1::MAILBOX_ROLE_INBOX);
  REQUIRE(f.append(1, inbox1, message("private")));
  // Account 2 names account 1's mailbox id (ids are per account: 2's own INBOX has the same
  // number), so account 2 sees only its own empty INBOX, never account 1's message.
  CHECK(f.list(2, inbox1).empty());
  auto body = f.body(2, inbox1, 1);
  REQUIRE_FALSE(body);
  CHECK(body.error().code == "rpc.NOT_FOUND");
  v1::StoreFlagsRequest flags;
  flags.set_account_id(2);
  flags.set_mailbox_id(inbox2);
  *flags.mutable_uids() = uids(1, 1);
  flags.set_operation(v1::STORE_OPERATION_ADD);
  flags.mutable_flags()->add_system(v1::SYSTEM_FLAG_SEEN);
  auto stored = f.messages.store_flags(flags);
  REQUIRE(stored);
  CHECK(stored->updated_size() == 0);
  CHECK(f.status(1, inbox1).unseen() == 1);
  v1::CopyRequest copy;
  copy.set_account_id(2);
  copy.set_mailbox_id(inbox2);
  *copy.mutable_uids() = uids(1, 1);
  copy.mutable_target()->set_mailbox_id(999);
  CHECK_FALSE(f.messages.copy(copy, false));
  v1::ListMessagesRequest unknown;
  unknown.set_account_id(3);
  unknown.set_mailbox_id(inbox1);
  auto listed = f.messages.list(unknown, [](auto&) { return true; });
  REQUIRE_FALSE(listed);
  CHECK(listed.error().code == "rpc.NOT_FOUND");
}

TEST_CASE("The change log reports additions, flag changes and VANISHED UIDs by modseq") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  ChangeOps changes(f.context);
  v1::ListChangesRequest since;
  since.set_account_id(1);
  auto start = changes.list(since);
  REQUIRE(start);
  const auto base = start->highest_modseq();
  since.set_since_modseq(base);
  REQUIRE(f.append(1, inbox, message("a")));
  REQUIRE(f.append(1, inbox, message("b")));
  v1::MoveToTrashRequest trash;
  trash.set_account_id(1);
  trash.set_mailbox_id(inbox);
  *trash.mutable_uids() = uids(1, 1);
  REQUIRE(f.messages.move_to_trash(trash));
  auto listed = changes.list(since);
  REQUIRE(listed);
  REQUIRE(listed->changes_size() == 4);  // added, added, (trash) added + expunged
  CHECK(listed->changes(0).kind() == v1::CHANGE_KIND_MESSAGES_ADDED);
  CHECK(listed->changes(3).kind() == v1::CHANGE_KIND_EXPUNGED);
  CHECK(listed->changes(3).uids().ranges(0).first() == 1);
  CHECK(listed->changes(3).modseq() == listed->highest_modseq());
  since.set_mailbox_id(inbox);
  auto only_inbox = changes.list(since);
  REQUIRE(only_inbox);
  CHECK(only_inbox->changes_size() == 3);
  // Past the retention the log is trimmed and old readers learn they lost history.
  f.now += kChangeRetentionMs + 1000;
  REQUIRE(changes.trim(1));
  auto lost = changes.list(since);
  REQUIRE(lost);
  CHECK(lost->history_lost());
  CHECK(lost->changes_size() == 0);
}

TEST_CASE("Special folders cannot be renamed or deleted — no subfolders under Sent and Spam?") {
  Fixture f;
  f.add_account(1);
  v1::ListMailboxesRequest list;
  list.set_account_id(1);
  auto tree = f.mailboxes.list(list);
  REQUIRE(tree);
  REQUIRE(tree->mailboxes_size() == 6);
  CHECK(tree->mailboxes(0).path() == "INBOX");
  CHECK(tree->mailboxes(4).path() == "Spam?");
  v1::RenameMailboxRequest rename;
  rename.set_account_id(1);
  rename.set_mailbox_id(f.role(1, v1::MAILBOX_ROLE_TRASH));
  rename.set_new_name("Bin");
  CHECK(f.mailboxes.rename(rename).error().code == "rpc.FAILED_PRECONDITION");
  v1::DeleteMailboxRequest remove;
  remove.set_account_id(1);
  remove.set_mailbox_id(f.role(1, v1::MAILBOX_ROLE_SENT));
  CHECK(f.mailboxes.remove(remove).error().code == "rpc.FAILED_PRECONDITION");
  v1::CreateMailboxRequest create;
  create.set_account_id(1);
  create.set_parent_id(f.role(1, v1::MAILBOX_ROLE_JUNK));
  create.set_name("x");
  CHECK(f.mailboxes.create(create).error().code == "rpc.FAILED_PRECONDITION");
  create.set_parent_id(0);
  create.set_name("Projects");
  auto projects = f.mailboxes.create(create);
  REQUIRE(projects);
  create.set_parent_id(projects->mailbox_id());
  create.set_name("2024");
  auto year = f.mailboxes.create(create);
  REQUIRE(year);
  CHECK(year->path() == "Projects/2024");
  CHECK(f.mailboxes.create(create).error().code == "rpc.ALREADY_EXISTS");
  create.set_parent_id(0);
  create.set_name("inbox");
  CHECK(f.mailboxes.create(create).error().code == "rpc.ALREADY_EXISTS");
  // Rename and move keep ids and UIDVALIDITY; a folder cannot move into itself.
  rename.set_mailbox_id(projects->mailbox_id());
  rename.set_new_name("Work");
  auto renamed = f.mailboxes.rename(rename);
  REQUIRE(renamed);
  CHECK(renamed->uid_validity() == projects->uid_validity());
  rename.set_new_name("");
  rename.set_new_parent_id(year->mailbox_id());
  CHECK(f.mailboxes.rename(rename).error().code == "rpc.INVALID_ARGUMENT");
  tree = f.mailboxes.list(list);
  CHECK(tree->mailboxes(7).path() == "Work/2024");
  remove.set_mailbox_id(projects->mailbox_id());
  CHECK(f.mailboxes.remove(remove).error().code == "rpc.FAILED_PRECONDITION");
  remove.set_recursive(true);
  REQUIRE(f.mailboxes.remove(remove));
  CHECK(f.mailboxes.list(list)->mailboxes_size() == 6);
  // A re-created name gets a new UIDVALIDITY.
  create.set_name("Work");
  auto again = f.mailboxes.create(create);
  REQUIRE(again);
  CHECK(again->uid_validity() > projects->uid_validity());
}

TEST_CASE("limits and refusals: 50 MB, idempotent Append, Deliver over quota or disabled") {
  Fixture f;
  const auto small = message("s");
  f.add_account(1, small.size());
  f.add_account(2, 0, false);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  auto huge = f.append(1, inbox, std::string(kMaxMessageBytes + 1, 'x'));
  REQUIRE_FALSE(huge);
  CHECK(huge.error().code == "rpc.INVALID_ARGUMENT");

  v1::AppendHeader header;
  header.set_account_id(1);
  header.mutable_mailbox()->set_mailbox_id(inbox);
  header.set_declared_size(small.size());
  header.set_idempotency_key("imap-append-1");
  auto first = f.messages.append(header, small);
  auto again = f.messages.append(header, small);
  REQUIRE(first);
  REQUIRE(again);
  CHECK(again->uid() == first->uid());
  CHECK(f.status(1, inbox).messages() == 1);

  v1::DeliverHeader deliver;
  auto* placement = deliver.add_placements();
  placement->set_account_id(1);
  placement->mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
  deliver.set_declared_size(small.size());
  auto full = f.messages.deliver(deliver, small);  // no Trash to free: refused
  REQUIRE_FALSE(full);
  CHECK(full.error().code == "rpc.RESOURCE_EXHAUSTED");
  CHECK(full.error().message.starts_with("placement 0:"));
  placement->set_account_id(2);
  auto disabled = f.messages.deliver(deliver, small);
  REQUIRE_FALSE(disabled);
  CHECK(disabled.error().code == "rpc.FAILED_PRECONDITION");

  v1::SetCommentRequest comment;
  comment.set_account_id(1);
  comment.set_mailbox_id(inbox);
  comment.set_uid(first->uid());
  comment.set_comment(std::string(4097, 'c'));
  CHECK(f.messages.set_comment(comment).error().code == "rpc.INVALID_ARGUMENT");
  comment.set_comment("call back");
  REQUIRE(f.messages.set_comment(comment));
  CHECK(f.list(1, inbox)[0].comment() == "call back");
}

TEST_CASE("mailbox names: empty, delimiter, over 255 bytes and bad UTF-8 are refused") {
  Fixture f;
  f.add_account(1);
  v1::CreateMailboxRequest create;
  create.set_account_id(1);
  for (const auto& name : {std::string(), std::string("a/b"), std::string(256, 'n'),
                           std::string("caf\xC3"), std::string("tab\there")}) {
    create.set_name(name);
    auto refused = f.mailboxes.create(create);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == "rpc.INVALID_ARGUMENT");
  }
  create.set_name("Entwürfe");
  CHECK(f.mailboxes.create(create));
}

TEST_CASE("ClaimRecent gives each UID to one session only, peek moves nothing (RFC 3501 2.3.2)") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  REQUIRE(f.append(1, inbox, message("one")));
  REQUIRE(f.append(1, inbox, message("two")));
  v1::ClaimRecentRequest claim;
  claim.set_account_id(1);
  claim.set_mailbox_id(inbox);
  claim.set_up_to_uid(2);
  claim.set_peek(true);
  auto peeked = f.mailboxes.claim_recent(claim);
  REQUIRE(peeked);
  CHECK(peeked->first_recent_uid() == 1);
  const auto before = f.status(1, inbox).highest_modseq();
  claim.set_peek(false);
  auto first = f.mailboxes.claim_recent(claim);
  REQUIRE(first);
  CHECK(first->first_recent_uid() == 1);  // this session sees UIDs 1..2 as \Recent
  auto second = f.mailboxes.claim_recent(claim);
  REQUIRE(second);
  CHECK(second->first_recent_uid() == 3);  // the next session sees none
  CHECK(f.status(1, inbox).recent_uid() == 3);
  CHECK(f.status(1, inbox).highest_modseq() == before);  // no mail state changed
  claim.set_mailbox_id(999);
  CHECK(f.mailboxes.claim_recent(claim).error().code == "rpc.NOT_FOUND");
}

TEST_CASE("A subscription outlives its deleted mailbox until unsubscribed or re-created") {
  Fixture f;
  f.add_account(1);
  v1::CreateMailboxRequest create;
  create.set_account_id(1);
  create.set_name("Old");
  create.set_subscribe(true);
  auto old = f.mailboxes.create(create);
  REQUIRE(old);
  v1::DeleteMailboxRequest remove;
  remove.set_account_id(1);
  remove.set_mailbox_id(old->mailbox_id());
  REQUIRE(f.mailboxes.remove(remove));
  v1::ListMailboxesRequest list;
  list.set_account_id(1);
  auto listed = f.mailboxes.list(list);
  REQUIRE(listed);
  REQUIRE(listed->lost_subscriptions_size() == 1);
  CHECK(listed->lost_subscriptions(0) == "Old");
  // Re-creating the name takes the subscription back (RFC 9051 §6.3.7: kept by name).
  create.set_subscribe(false);
  auto again = f.mailboxes.create(create);
  REQUIRE(again);
  CHECK(again->subscribed());
  CHECK(f.mailboxes.list(list)->lost_subscriptions_size() == 0);
  remove.set_mailbox_id(again->mailbox_id());
  REQUIRE(f.mailboxes.remove(remove));
  // UNSUBSCRIBE by path drops it; a second time there is nothing to drop.
  v1::SetSubscribedRequest unsubscribe;
  unsubscribe.set_account_id(1);
  unsubscribe.set_path("Old");
  REQUIRE(f.mailboxes.subscribe(unsubscribe));
  CHECK(f.mailboxes.list(list)->lost_subscriptions_size() == 0);
  CHECK_FALSE(f.mailboxes.subscribe(unsubscribe));
}

TEST_CASE("GetBodies returns whole messages in the order asked, up to 1 MiB a call") {
  Fixture f;
  f.add_account(1);
  const auto inbox = f.role(1, v1::MAILBOX_ROLE_INBOX);
  const std::string small = "Subject: a\r\n\r\nsmall\r\n";
  const std::string big = "Subject: b\r\n\r\n" + std::string(700 * 1024, 'x') + "\r\n";
  REQUIRE(f.append(1, inbox, small));  // uid 1
  REQUIRE(f.append(1, inbox, big));    // uid 2
  REQUIRE(f.append(1, inbox, big));    // uid 3
  v1::GetBodiesRequest request;
  request.set_account_id(1);
  request.set_mailbox_id(inbox);
  for (std::uint32_t uid : {3u, 9u, 1u, 2u})
    request.add_uids(uid);
  auto got = f.messages.get_bodies(request);
  REQUIRE(got);
  // 3 fits, 9 does not exist, 1 fits, 2 would pass 1 MiB: the caller asks again for it.
  REQUIRE(got->bodies_size() == 3);
  CHECK(got->bodies(0).uid() == 3);
  CHECK(got->bodies(0).data() == big);
  CHECK(got->bodies(1).uid() == 9);
  CHECK(got->bodies(1).missing());
  CHECK(got->bodies(2).data() == small);
  request.clear_uids();
  request.add_uids(2);
  CHECK(f.messages.get_bodies(request)->bodies(0).data() == big);
  request.set_mailbox_id(999);
  CHECK(f.messages.get_bodies(request).error().code == "rpc.NOT_FOUND");
  request.set_mailbox_id(inbox);
  for (std::uint32_t uid = 1; uid <= 1001; ++uid)
    request.add_uids(uid);
  CHECK(f.messages.get_bodies(request).error().code == "rpc.INVALID_ARGUMENT");  // 1,000 at most
}
