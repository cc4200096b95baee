#include "imap/list_command.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "base/ascii.hpp"

namespace tessera::imap {
namespace {

bool is_list_char(char c) {
  return is_atom_char(c) || c == '%' || c == '*' || c == ']';
}

// list-mailbox = 1*list-char / string
Result<std::string> list_mailbox(Reader& reader) {
  if (reader.peek() == '"' || reader.peek() == '{') return reader.string();
  std::string out;
  while (!reader.at_end() && is_list_char(reader.peek())) {
    out.push_back(reader.peek());
    reader.try_char(reader.peek());
  }
  if (out.empty()) return reader.error("expected a mailbox pattern");
  return out;
}

Status selection_options(Reader& reader, ListCommand& list) {
  auto ok = reader.list(
      [&]() -> Status {
        auto word = reader.atom();
        if (!word) return word.error();
        const auto name = ascii_upper(*word);
        if (name == "SUBSCRIBED")
          list.select_subscribed = true;
        else if (name == "REMOTE")
          list.remote = true;
        else if (name == "RECURSIVEMATCH")
          list.recursive_match = true;
        else if (name == "SPECIAL-USE")
          list.select_special_use = true;
        else
          return reader.error("unknown LIST selection option " + name);
        return {};
      },
      true);
  if (!ok) return ok;
  // §3.1: RECURSIVEMATCH needs another option that selects (REMOTE does not).
  if (list.recursive_match && !list.select_subscribed && !list.select_special_use)
    return reader.error("RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE");
  return {};
}

Status return_options(Reader& reader, ListCommand& list) {
  return reader.list(
      [&]() -> Status {
        auto word = reader.atom();
        if (!word) return word.error();
        const auto name = ascii_upper(*word);
        if (name == "SUBSCRIBED") {
          list.return_subscribed = true;
        } else if (name == "CHILDREN") {
          list.return_children = true;
        } else if (name == "SPECIAL-USE") {
          list.return_special_use = true;
        } else if (name == "STATUS") {
          if (auto ok = reader.sp(); !ok) return ok;
          auto items = parse_status_items(reader);
          if (!items) return items.error();
          list.return_status = std::move(*items);
        } else {
          return reader.error("unknown LIST return option " + name);
        }
        return {};
      },
      true);
}

}  // namespace

Result<ListCommand> parse_list(Reader& reader) {
  ListCommand list;
  if (reader.peek() == '(') {
    list.extended = true;
    if (auto ok = selection_options(reader, list); !ok) return ok.error();
    if (auto ok = reader.sp(); !ok) return ok.error();
  }
  auto reference = reader.astring();
  if (!reference) return reference.error();
  list.reference = std::move(*reference);
  if (auto ok = reader.sp(); !ok) return ok.error();
  if (reader.peek() == '(') {
    list.extended = true;
    auto ok = reader.list(
        [&]() -> Status {
          auto pattern = list_mailbox(reader);
          if (!pattern) return pattern.error();
          list.patterns.push_back(std::move(*pattern));
          return {};
        },
        false);
    if (!ok) return ok.error();
  } else {
    auto pattern = list_mailbox(reader);
    if (!pattern) return pattern.error();
    list.patterns.push_back(std::move(*pattern));
  }
  // §3.1: SUBSCRIBED as a selection option implies it as a return option.
  if (list.select_subscribed) list.return_subscribed = true;
  if (reader.at_end()) return list;
  if (auto ok = reader.sp(); !ok) return ok.error();
  auto word = reader.atom();
  if (!word || ascii_upper(*word) != "RETURN") return reader.error("expected RETURN");
  list.extended = true;
  if (auto ok = reader.sp(); !ok) return ok.error();
  if (auto ok = return_options(reader, list); !ok) return ok.error();
  if (!reader.at_end()) return reader.error("unexpected text after the return options");
  return list;
}

Result<std::vector<std::string>> parse_status_items(Reader& reader) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "MESSAGES", "RECENT", "UIDNEXT",       "UIDVALIDITY",    "UNSEEN",
      "DELETED",  "SIZE",   "HIGHESTMODSEQ", "DELETED-STORAGE"};
  std::vector<std::string> items;
  auto parsed = reader.list(
      [&]() -> Status {
        auto item = reader.atom();
        if (!item) return item.error();
        auto upper = ascii_upper(*item);
        if (std::find(kKnown.begin(), kKnown.end(), upper) == kKnown.end())
          return reader.error("unknown status item " + upper);
        items.push_back(std::move(upper));
        return {};
      },
      false);
  if (!parsed) return parsed.error();
  return items;
}

}  // namespace tessera::imap
