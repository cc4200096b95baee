#include "flag_list.hpp"

#include <cctype>
#include <string>

#include "base/ascii.hpp"

namespace tessera::imap {

namespace v1 = store::v1;

Status parse_flags(Reader& args, v1::Flags& flags) {
  auto one = [&]() -> Status {
    const bool system = args.try_char('\\');
    auto name = args.atom();
    if (!name) return name.error();
    if (!system) {
      flags.add_keywords(*name);
      return {};
    }
    const auto flag = ascii_upper(*name);
    if (flag == "SEEN")
      flags.add_system(v1::SYSTEM_FLAG_SEEN);
    else if (flag == "ANSWERED")
      flags.add_system(v1::SYSTEM_FLAG_ANSWERED);
    else if (flag == "FLAGGED")
      flags.add_system(v1::SYSTEM_FLAG_FLAGGED);
    else if (flag == "DELETED")
      flags.add_system(v1::SYSTEM_FLAG_DELETED);
    else if (flag == "DRAFT")
      flags.add_system(v1::SYSTEM_FLAG_DRAFT);
    else
      return args.error("\\" + *name + " cannot be stored");
    return {};
  };
  if (args.peek() == '(') return args.list(one);
  for (;;) {
    if (auto ok = one(); !ok) return ok;
    if (!args.try_char(' ')) return {};
  }
}

}  // namespace tessera::imap
