#include "smtp/data_decoder.hpp"

namespace tessera::smtp {

DataDecoder::Step DataDecoder::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    switch (state_) {
      case State::in_line: {
        // The common case: copy the run up to the next CR or LF at once.
        const auto end = in.find_first_of("\r\n", i);
        const auto stop = end == std::string_view::npos ? in.size() : end;
        out.append(in.data() + i, stop - i);
        i = stop;
        if (i == in.size()) return {i, false};
        if (in[i] == '\r') {
          state_ = State::cr;
        } else {
          out += "\r\n";
          after_crlf_ = false;
          bare_lf_ = true;
          state_ = State::line_start;
        }
        ++i;
        continue;
      }
      case State::line_start:
        if (c == '.') {
          state_ = State::dot;
        } else if (c == '\r') {
          state_ = State::cr;
        } else if (c == '\n') {
          out += "\r\n";
          after_crlf_ = false;
          bare_lf_ = true;
        } else {
          out.push_back(c);
          state_ = State::in_line;
        }
        break;
      case State::dot:  // the line's first dot is dropped (§4.5.2)
        if (c == '\r') {
          state_ = State::dot_cr;
        } else if (c == '\n') {
          out += "\r\n";
          after_crlf_ = false;
          bare_lf_ = true;
          state_ = State::line_start;
        } else {
          out.push_back(c);
          state_ = State::in_line;
        }
        break;
      case State::dot_cr:
        if (c == '\n') {
          if (after_crlf_) return {i + 1, true};
          out += "\r\n";  // "." after a bare-LF line: content, never the end
          after_crlf_ = true;
          state_ = State::line_start;
        } else {
          out.push_back('\r');
          state_ = State::in_line;
          continue;  // c is read again as line content
        }
        break;
      case State::cr:
        if (c == '\n') {
          out += "\r\n";
          after_crlf_ = true;
          state_ = State::line_start;
        } else if (c == '\r') {
          out.push_back('\r');
        } else {
          out.push_back('\r');
          out.push_back(c);
          state_ = State::in_line;
        }
        break;
    }
    ++i;
  }
  return {i, false};
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 5);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = c == '\n';
  }
  if (!message.empty() && !message.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace tessera::smtp
