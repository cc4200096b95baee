#include "derive.hpp"

#include "mime/mime.hpp"

namespace tessera::store {
namespace {

void convert(const mime::Address& in, v1::Address& out) {
  out.set_name(in.name);
  out.set_raw_name(in.raw_name);
  out.set_local_part(in.local_part);
  out.set_route(in.route);
  out.set_domain(in.domain);
  out.set_group(in.group);
}

void convert(const std::vector<mime::Address>& in,
             google::protobuf::RepeatedPtrField<v1::Address>& out) {
  for (const auto& address : in)
    convert(address, *out.Add());
}

void convert(const mime::Envelope& in, v1::Envelope& out) {
  out.set_date(in.date);
  out.set_date_unix_ms(in.date_unix_ms);
  out.set_subject(in.subject);
  out.set_raw_subject(in.raw_subject);
  convert(in.from, *out.mutable_from());
  convert(in.sender, *out.mutable_sender());
  convert(in.reply_to, *out.mutable_reply_to());
  convert(in.to, *out.mutable_to());
  convert(in.cc, *out.mutable_cc());
  convert(in.bcc, *out.mutable_bcc());
  out.set_in_reply_to(in.in_reply_to);
  out.set_message_id(in.message_id);
}

void convert(const std::vector<mime::Parameter>& in,
             google::protobuf::RepeatedPtrField<v1::Parameter>& out) {
  for (const auto& p : in) {
    auto* param = out.Add();
    param->set_name(p.name);
    param->set_value(p.value);
  }
}

void convert(const mime::Part& in, v1::BodyPart& out, storedb::v1::Derived& derived,
             bool write_span = true) {
  out.set_part(in.part);
  out.set_type(in.type);
  out.set_subtype(in.subtype);
  convert(in.params, *out.mutable_params());
  out.set_id(in.id);
  out.set_description(in.description);
  out.set_encoding(in.encoding);
  out.set_size(in.size);
  out.set_lines(in.lines);
  out.set_md5(in.md5);
  out.set_disposition(in.disposition);
  convert(in.disposition_params, *out.mutable_disposition_params());
  for (const auto& tag : in.language)
    out.add_language(tag);
  out.set_location(in.location);
  out.set_filename(in.filename);

  if (write_span) {
    auto& span = (*derived.mutable_spans())[in.part];
    span.set_header_begin(in.header_begin);
    span.set_header_end(in.header_end);
    span.set_body_begin(in.body_begin);
    span.set_body_end(in.body_end);
    span.set_encoding(in.encoding);
    span.set_leaf(in.children.empty() && !in.message);
    if (in.message) {
      span.set_message(true);
      span.set_message_header_end(in.message->body.header_end);
    }
  }
  if (in.message) {
    convert(in.message->envelope, *out.mutable_message_envelope());
    // A multipart enclosed body shares the message part's number: its span is that part's.
    convert(in.message->body, *out.mutable_message_body(), derived,
            in.message->body.part != in.part);
  }
  for (const auto& child : in.children)
    convert(child, *out.add_children(), derived);
}

v1::Priority convert(mime::Priority priority) {
  switch (priority) {
    case mime::Priority::high:
      return v1::PRIORITY_HIGH;
    case mime::Priority::normal:
      return v1::PRIORITY_NORMAL;
    case mime::Priority::low:
      return v1::PRIORITY_LOW;
    default:
      return v1::PRIORITY_UNSPECIFIED;
  }
}

}  // namespace

storedb::v1::Derived derive(std::string_view raw) {
  const auto message = mime::parse(raw);
  storedb::v1::Derived derived;
  convert(message.envelope, *derived.mutable_envelope());
  convert(message.body, *derived.mutable_body_structure(), derived);
  // RFC 9051 §6.4.5: the body of a non-multipart message is part 1.
  if (message.body.children.empty()) (*derived.mutable_spans())["1"] = derived.spans().at("");
  derived.set_preview(message.preview);
  derived.set_has_attachment(message.has_attachment);
  derived.set_priority(convert(message.priority));
  derived.set_base_subject(message.base_subject);
  derived.set_reply_subject(message.reply_subject);
  for (const auto& id : message.references)
    derived.add_references(id);
  return derived;
}

}  // namespace tessera::store
