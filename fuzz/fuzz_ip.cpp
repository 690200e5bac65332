// IpAddress::parse / Prefix::parse on arbitrary text: whatever parses must format with str()
// to text that parses back to the same value, and the prefix arithmetic must be consistent.
#include "fuzz_common.hpp"
#include "podnet/net/ip.hpp"

using podnet::net::IpAddress;
using podnet::net::Prefix;

namespace {

void check_address(std::string_view in, const IpAddress& ip) {
  // Every byte of the input is accounted for: nothing after an embedded NUL is ignored.
  FUZZ_CHECK(in.find('\0') == std::string_view::npos, "parse accepted text with a NUL byte");
  std::string t = ip.str();
  auto back = IpAddress::parse(t);
  FUZZ_CHECK(back.has_value(), t);
  FUZZ_CHECK(*back == ip, t);
  FUZZ_CHECK(back->str() == t, t);
  FUZZ_CHECK(ip.bits() == (ip.is_v4() ? 32 : 128));
  FUZZ_CHECK(ip.next().prev() == ip, t);
  FUZZ_CHECK(ip.plus(1000).minus(1000) == ip, t);
  FUZZ_CHECK(ip.next().family() == ip.family(), t);
  if (ip < ip.next()) FUZZ_CHECK(IpAddress::distance(ip, ip.next()) == 1, t);
}

void check_prefix(std::string_view in, const Prefix& p) {
  FUZZ_CHECK(in.find('\0') == std::string_view::npos, "parse accepted text with a NUL byte");
  const int bits = p.address().bits();
  FUZZ_CHECK(p.length() >= 0 && p.length() <= bits, p.str());
  std::string t = p.str();
  auto back = Prefix::parse(t);
  FUZZ_CHECK(back.has_value(), t);
  FUZZ_CHECK(*back == p, t);
  FUZZ_CHECK(back->str() == t, t);

  const IpAddress net = p.network(), last = p.last();
  FUZZ_CHECK(net.family() == p.family() && last.family() == p.family(), t);
  FUZZ_CHECK(net <= p.address() && p.address() <= last, t);
  FUZZ_CHECK(p.contains(p.address()) && p.contains(net) && p.contains(last), t);
  FUZZ_CHECK(p.masked().contains(p) && p.contains(p.masked()), t);
  FUZZ_CHECK(p.masked().masked() == p.masked(), t);
  FUZZ_CHECK(p.overlaps(p), t);
  // network = address & netmask, bytewise.
  const IpAddress mask = p.netmask();
  for (int i = 0; i < p.address().byte_len(); ++i)
    FUZZ_CHECK(net.data()[i] == (p.address().data()[i] & mask.data()[i]), t);
  // size: 2^(bits-len), saturating; last - network + 1 when that fits.
  const int host = bits - p.length();
  if (host < 64) {
    FUZZ_CHECK(p.size() == (uint64_t{1} << host), t);
    FUZZ_CHECK(IpAddress::distance(net, last) == p.size() - 1, t);
  } else {
    FUZZ_CHECK(p.size() == UINT64_MAX, t);
  }
  // The first subnet one bit longer starts at the network; the second one at the middle.
  if (p.length() < bits) {
    auto s0 = p.subnet(p.length() + 1, 0), s1 = p.subnet(p.length() + 1, 1);
    FUZZ_CHECK(s0 && s1, t);
    FUZZ_CHECK(s0->address() == net && s1->last() == last, t);
    FUZZ_CHECK(p.contains(*s0) && p.contains(*s1) && !s0->overlaps(*s1), t);
    FUZZ_CHECK(!p.subnet(p.length() + 1, 2), t);
  }
  FUZZ_CHECK(!p.subnet(p.length() - 1, 0), t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = podnet_fuzz::as_text(data, size);
  if (auto ip = IpAddress::parse(in)) check_address(in, *ip);
  for (bool bare : {false, true}) {
    if (auto p = Prefix::parse(in, bare)) {
      check_prefix(in, *p);
      if (in.find('/') == std::string_view::npos) {
        FUZZ_CHECK(bare, "a bare address parsed as a prefix without allow_bare");
        FUZZ_CHECK(p->length() == p->address().bits());
      }
    }
  }
  return 0;
}
