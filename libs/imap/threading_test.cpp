#include "imap/threading.hpp"

#include <catch2/catch.hpp>

#include "imap/reader.hpp"
#include "imap/sort_criteria.hpp"

using namespace tessera::imap;

namespace {

ThreadMessage message(std::uint32_t n, std::int64_t sent, std::string subject, bool reply = false,
                      std::string id = "", std::vector<std::string> references = {}) {
  ThreadMessage m;
  m.number = m.sequence = n;
  m.sent = sent;
  m.base_subject = std::move(subject);
  m.reply_subject = reply;
  m.message_id = std::move(id);
  m.references = std::move(references);
  return m;
}

}  // namespace

TEST_CASE("THREAD=ORDEREDSUBJECT: one thread per base subject, ordered by first date") {
  const std::vector<ThreadMessage> messages = {message(1, 10, "a"), message(2, 20, "b", true),
                                               message(3, 30, "B"), message(4, 40, "A", true),
                                               message(5, 0, "c"),  message(6, 50, "a")};
  CHECK(format_threads(thread_ordered_subject(messages)) == "(5)(1 (4)(6))(2 3)");
  CHECK(format_threads(thread_ordered_subject({})).empty());
}

TEST_CASE("THREAD=REFERENCES: parents from References, dummies, subjects, loops") {
  std::vector<ThreadMessage> messages = {
      message(1, 10, "x", false, "<1>"),
      message(2, 20, "x", true, "<2>", {"<1>"}),
      message(3, 30, "x", true, "<3>", {"<1>", "<2>"}),
      message(4, 40, "x", true, "<4>", {"<1>"}),
      message(5, 50, "y", false, "<5>", {"<gone>"}),
      message(6, 60, "y", true, "<6>", {"<gone>"}),
  };
  // <gone> is a dummy with two children: it stays at the top level (step 3).
  CHECK(format_threads(thread_references(messages)) == "(1 (2 3)(4))((5)(6))");
  // A reply with no references joins the thread of its subject (step 5.C).
  messages.push_back(message(7, 70, "x", true, "<7>"));
  CHECK(format_threads(thread_references(messages)) == "(1 (2 3)(4)(7))((5)(6))");
  // Two non-replies with one subject are siblings under a new dummy, oldest first.
  const std::vector<ThreadMessage> twins = {message(1, 20, "z", false, "<a>"),
                                            message(2, 10, "z", false, "<b>")};
  CHECK(format_threads(thread_references(twins)) == "((2)(1))");
  // References that would make a loop are not linked; duplicate and missing ids get their own.
  const std::vector<ThreadMessage> odd = {
      message(1, 10, "p", false, "<8>", {"<9>"}), message(2, 20, "q", false, "<9>", {"<8>"}),
      message(3, 30, "r", false, "<9>"), message(4, 40, "s", false, "", {"<3>", "<3>"})};
  CHECK(format_threads(thread_references(odd)) == "(2 1)(3)(4)");
  // A truncated References guess is replaced by the message's own last reference (step 1.B).
  const std::vector<ThreadMessage> moved = {
      message(1, 10, "m", false, "<r>"), message(2, 20, "n", false, "<s>"),
      message(3, 30, "o", true, "<t>", {"<r>", "<u>"}), message(4, 40, "o", true, "<u>", {"<s>"})};
  CHECK(format_threads(thread_references(moved)) == "(1)(2 4 3)");
}

TEST_CASE("SORT criteria and THREAD algorithm syntax (RFC 5256 §3, §5)") {
  Reader r("(REVERSE arrival SUBJECT DisplayFrom)");
  auto criteria = parse_sort_criteria(r);
  REQUIRE(criteria);
  REQUIRE(criteria->size() == 3);
  CHECK((*criteria)[0].key == SortCriterion::Key::arrival);
  CHECK((*criteria)[0].reverse);
  CHECK_FALSE((*criteria)[1].reverse);
  CHECK((*criteria)[2].key == SortCriterion::Key::display_from);
  for (const char* bad : {"()", "(REVERSE)", "(REVERSE REVERSE DATE)", "(BOGUS)", "DATE"}) {
    Reader b(bad);
    CHECK_FALSE(parse_sort_criteria(b));
  }
  Reader algorithm("references");
  CHECK(parse_thread_algorithm(algorithm).value() == ThreadAlgorithm::references);
  Reader unknown("REFS");
  CHECK_FALSE(parse_thread_algorithm(unknown));
  CHECK(ascii_casemap_compare("abc", "ABD") < 0);
  CHECK(ascii_casemap_compare("Abc", "aBC") == 0);
  CHECK(ascii_casemap_compare("_", "a") > 0);  // '_' (0x5F) after 'A' (0x41) once a-z map up
}
