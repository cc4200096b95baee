// Fuzz target for the PROXY protocol v2 parser (libs/net/proxy_v2.hpp). Besides "no crash, no
// sanitizer report", it checks the promises the Listener relies on: an accepted header never
// claims more bytes than it was given, and need_more always asks for more than it has, but
// never more than the header limit (so reading exactly `needed` bytes cannot over-read).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "net/proxy_v2.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::net;
  const std::span<const std::uint8_t> input(data, size);
  const ProxyParse result = parse_proxy_v2(input);
  switch (result.status) {
    case ProxyParseStatus::ok:
      if (result.header.length < kProxyV2FixedBytes || result.header.length > size ||
          result.header.length > kProxyV2MaxHeader) {
        std::abort();
      }
      // The same header alone parses to the same length: trailing bytes never matter.
      if (parse_proxy_v2(input.first(result.header.length)).header.length != result.header.length) {
        std::abort();
      }
      break;
    case ProxyParseStatus::need_more:
      if (result.needed <= size || result.needed > kProxyV2MaxHeader) std::abort();
      break;
    case ProxyParseStatus::bad:
      if (result.reason.empty()) std::abort();
      break;
  }
  return 0;
}
