#include "imap/fetch_items.hpp"

#include <algorithm>
#include <cctype>

#include "base/ascii.hpp"

namespace tessera::imap {
namespace {

// The name part of a fetch att: letters, digits, '.', up to '[' or a delimiter.
std::string item_name(Reader& reader) {
  std::string name;
  while (!reader.at_end()) {
    const char c = reader.peek();
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) break;
    name.push_back(c);
    reader.try_char(c);
  }
  return ascii_upper(name);
}

Result<Section> section_spec(Reader& reader, bool binary) {
  Section section;
  if (auto ok = reader.expect('['); !ok) return ok.error();
  if (reader.try_char(']')) return section;
  for (;;) {
    if (!std::isdigit(static_cast<unsigned char>(reader.peek()))) break;
    auto n = reader.nz_number();
    if (!n) return n.error();
    section.part.push_back(*n);
    if (section.part.size() > 100) return reader.error("section part too deep");
    if (!reader.try_char('.')) break;
  }
  if (!binary && !reader.try_char(']')) {
    const auto text = item_name(reader);
    using T = Section::Text;
    if (text == "HEADER")
      section.text = T::header;
    else if (text == "TEXT")
      section.text = T::text;
    else if (text == "MIME" && !section.part.empty())
      section.text = T::mime;
    else if (text == "HEADER.FIELDS")
      section.text = T::header_fields;
    else if (text == "HEADER.FIELDS.NOT")
      section.text = T::header_fields_not;
    else
      return reader.error("unknown section text \"" + text + "\"");
    if (section.text == T::header_fields || section.text == T::header_fields_not) {
      if (auto ok = reader.sp(); !ok) return ok.error();
      auto ok = reader.list(
          [&]() -> Status {
            auto field = reader.astring();
            if (!field) return field.error();
            section.fields.push_back(ascii_upper(*field));
            return {};
          },
          false);
      if (!ok) return ok.error();
    }
    if (auto ok = reader.expect(']'); !ok) return ok.error();
    return section;
  }
  if (binary) {
    if (auto ok = reader.expect(']'); !ok) return ok.error();
  }
  return section;
}

Result<std::optional<std::pair<std::uint32_t, std::uint32_t>>> partial(Reader& reader) {
  if (!reader.try_char('<')) return std::optional<std::pair<std::uint32_t, std::uint32_t>>();
  auto offset = reader.number();
  if (!offset) return offset.error();
  if (auto ok = reader.expect('.'); !ok) return ok.error();
  auto length = reader.nz_number();
  if (!length) return length.error();
  if (auto ok = reader.expect('>'); !ok) return ok.error();
  return std::optional<std::pair<std::uint32_t, std::uint32_t>>(std::pair{*offset, *length});
}

Result<FetchItem> fetch_att(Reader& reader) {
  const auto name = item_name(reader);
  auto simple = [](FetchKind kind) { return FetchItem{kind}; };
  if (name == "ENVELOPE") return simple(FetchKind::envelope);
  if (name == "FLAGS") return simple(FetchKind::flags);
  if (name == "INTERNALDATE") return simple(FetchKind::internal_date);
  if (name == "RFC822") return simple(FetchKind::rfc822);
  if (name == "RFC822.HEADER") return simple(FetchKind::rfc822_header);
  if (name == "RFC822.SIZE") return simple(FetchKind::rfc822_size);
  if (name == "RFC822.TEXT") return simple(FetchKind::rfc822_text);
  if (name == "BODYSTRUCTURE") return simple(FetchKind::body_structure);
  if (name == "UID") return simple(FetchKind::uid);
  if (name == "MODSEQ") return simple(FetchKind::modseq);
  FetchItem item{FetchKind::body_section};
  if (name == "BODY" && reader.peek() != '[') return simple(FetchKind::body);
  if (name == "BODY" || name == "BODY.PEEK") {
    item.peek = name == "BODY.PEEK";
  } else if (name == "BINARY" || name == "BINARY.PEEK") {
    item.kind = FetchKind::binary;
    item.peek = name == "BINARY.PEEK";
  } else if (name == "BINARY.SIZE") {
    item.kind = FetchKind::binary_size;
  } else {
    return reader.error("unknown fetch item \"" + name + "\"");
  }
  auto section = section_spec(reader, item.kind != FetchKind::body_section);
  if (!section) return section.error();
  item.section = std::move(*section);
  if (item.kind != FetchKind::binary_size) {
    auto range = partial(reader);
    if (!range) return range.error();
    item.partial = *range;
  }
  return item;
}

}  // namespace

std::string FetchItem::response_name() const {
  std::string out = kind == FetchKind::binary        ? "BINARY["
                    : kind == FetchKind::binary_size ? "BINARY.SIZE["
                                                     : "BODY[";
  for (std::size_t i = 0; i < section.part.size(); ++i) {
    if (i > 0) out.push_back('.');
    out += std::to_string(section.part[i]);
  }
  using T = Section::Text;
  if (section.text != T::none && !section.part.empty()) out.push_back('.');
  switch (section.text) {
    case T::header:
      out += "HEADER";
      break;
    case T::text:
      out += "TEXT";
      break;
    case T::mime:
      out += "MIME";
      break;
    case T::header_fields:
    case T::header_fields_not: {
      out += section.text == T::header_fields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (";
      for (std::size_t i = 0; i < section.fields.size(); ++i)
        out += (i ? " " : "") + section.fields[i];
      out += ")";
      break;
    }
    case T::none:
      break;
  }
  out.push_back(']');
  if (partial) out += "<" + std::to_string(partial->first) + ">";
  return out;
}

Result<std::vector<FetchItem>> parse_fetch_items(Reader& reader) {
  std::vector<FetchItem> items;
  if (reader.peek() == '(') {
    auto ok = reader.list(
        [&]() -> Status {
          auto item = fetch_att(reader);
          if (!item) return item.error();
          items.push_back(std::move(*item));
          return {};
        },
        false);
    if (!ok) return ok.error();
    return items;
  }
  Reader probe(reader.rest());
  const auto macro = item_name(probe);
  // RFC 9051 §6.4.5 macros.
  std::vector<FetchKind> kinds;
  if (macro == "ALL")
    kinds = {FetchKind::flags, FetchKind::internal_date, FetchKind::rfc822_size,
             FetchKind::envelope};
  else if (macro == "FAST")
    kinds = {FetchKind::flags, FetchKind::internal_date, FetchKind::rfc822_size};
  else if (macro == "FULL")
    kinds = {FetchKind::flags, FetchKind::internal_date, FetchKind::rfc822_size,
             FetchKind::envelope, FetchKind::body};
  if (!kinds.empty()) {
    for (std::size_t i = 0; i < macro.size(); ++i)
      reader.try_char(reader.peek());
    for (auto kind : kinds)
      items.push_back(FetchItem{kind});
    return items;
  }
  auto item = fetch_att(reader);
  if (!item) return item.error();
  items.push_back(std::move(*item));
  return items;
}

}  // namespace tessera::imap
