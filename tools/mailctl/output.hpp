// mailctl output: a table-ish line per item for people, or JSON (--json) for scripts, printed
// from the same protobuf messages (proto3 JSON mapping, field names as in the .proto).
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

namespace tessera::mailctl {

// --json: the message as one JSON object on one line.
void print_json(const google::protobuf::Message& message);
std::string human_size(std::uint64_t bytes);

}  // namespace tessera::mailctl
