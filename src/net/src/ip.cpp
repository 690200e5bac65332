#include "podnet/net/ip.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace podnet::net {

IpAddress IpAddress::v4(uint32_t h) {
  IpAddress a;
  a.family_ = Family::v4;
  a.bytes_[0] = static_cast<uint8_t>(h >> 24);
  a.bytes_[1] = static_cast<uint8_t>(h >> 16);
  a.bytes_[2] = static_cast<uint8_t>(h >> 8);
  a.bytes_[3] = static_cast<uint8_t>(h);
  return a;
}

IpAddress IpAddress::from_bytes(Family f, const uint8_t* b) {
  IpAddress a;
  a.family_ = f;
  std::memcpy(a.bytes_.data(), b, f == Family::v4 ? 4 : 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton stops at a NUL: "10.0.0.1\0junk" must not parse as 10.0.0.1.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos)
    return std::nullopt;
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    // inet_pton accepts only dotted quads, which is what CNI configs carry.
    if (inet_pton(AF_INET, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) != 1) return std::nullopt;
  a.family_ = Family::v6;
  // An IPv4-mapped address is treated as IPv4, as Go's net.ParseIP().To4() does.
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes_.data(), mapped, 12) == 0) {
    IpAddress v;
    v.family_ = Family::v4;
    std::memcpy(v.bytes_.data(), a.bytes_.data() + 12, 4);
    return v;
  }
  return a;
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         bytes_[3];
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::plus(uint64_t n) const {
  IpAddress r = *this;
  int i = byte_len() - 1;
  unsigned carry = 0;
  while (i >= 0 && (n || carry)) {
    unsigned sum = r.bytes_[i] + static_cast<unsigned>(n & 0xff) + carry;
    r.bytes_[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    n >>= 8;
    --i;
  }
  return r;
}

IpAddress IpAddress::minus(uint64_t n) const {
  IpAddress r = *this;
  int i = byte_len() - 1;
  int borrow = 0;
  while (i >= 0 && (n || borrow)) {
    int d = static_cast<int>(r.bytes_[i]) - static_cast<int>(n & 0xff) - borrow;
    borrow = d < 0 ? 1 : 0;
    r.bytes_[i] = static_cast<uint8_t>(d + (borrow << 8));
    n >>= 8;
    --i;
  }
  return r;
}

uint64_t IpAddress::distance(const IpAddress& a, const IpAddress& b) {
  // 128-bit difference: a distance may cross a 64-bit boundary (::ffff:ffff:ffff:ffff to
  // 0:0:0:1:: is 1), so comparing the high bytes alone is not enough.
  unsigned __int128 va = 0, vb = 0;
  for (int i = 0; i < a.byte_len(); ++i) {
    va = (va << 8) | a.bytes_[i];
    vb = (vb << 8) | b.bytes_[i];
  }
  unsigned __int128 d = vb - va;
  return d > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(d);
}

bool IpAddress::is_multicast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes_[i]) return false;
  return bytes_[15] == 1;
}

bool IpAddress::is_unspecified() const {
  for (int i = 0; i < byte_len(); ++i)
    if (bytes_[i]) return false;
  return true;
}

std::optional<Prefix> Prefix::parse(std::string_view text, bool allow_bare) {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  if (slash == std::string_view::npos) {
    if (!allow_bare) return std::nullopt;
    return Prefix(*ip, ip->bits());
  }
  auto lentext = text.substr(slash + 1);
  if (lentext.empty() || lentext.size() > 3) return std::nullopt;
  // "/08" is refused, as Go's net.ParseCIDR (libcni) does: one spelling per prefix.
  if (lentext.size() > 1 && lentext[0] == '0') return std::nullopt;
  int len = 0;
  for (char c : lentext) {
    if (c < '0' || c > '9') return std::nullopt;
    len = len * 10 + (c - '0');
  }
  if (len > ip->bits()) return std::nullopt;
  return Prefix(*ip, len);
}

static IpAddress apply_mask(const IpAddress& a, int len, bool set_host_bits) {
  uint8_t b[16];
  std::memcpy(b, a.data(), 16);
  for (int i = 0; i < a.byte_len(); ++i) {
    int bits_here = std::min(8, std::max(0, len - i * 8));
    uint8_t m = static_cast<uint8_t>(bits_here == 0 ? 0 : (0xff << (8 - bits_here)));
    b[i] = set_host_bits ? (b[i] | static_cast<uint8_t>(~m)) : (b[i] & m);
  }
  return IpAddress::from_bytes(a.family(), b);
}

IpAddress Prefix::network() const { return apply_mask(addr_, len_, false); }
IpAddress Prefix::last() const { return apply_mask(addr_, len_, true); }
IpAddress Prefix::netmask() const {
  uint8_t b[16]{};
  for (int i = 0; i < addr_.byte_len(); ++i) {
    int bits_here = std::min(8, std::max(0, len_ - i * 8));
    b[i] = static_cast<uint8_t>(bits_here == 0 ? 0 : (0xff << (8 - bits_here)));
  }
  return IpAddress::from_bytes(addr_.family(), b);
}

bool Prefix::contains(const IpAddress& ip) const {
  return ip.family() == family() && apply_mask(ip, len_, false) == network();
}
bool Prefix::contains(const Prefix& p) const { return p.len_ >= len_ && contains(p.addr_); }
bool Prefix::overlaps(const Prefix& p) const { return contains(p.network()) || p.contains(network()); }

uint64_t Prefix::size() const {
  int host = addr_.bits() - len_;
  if (host >= 64) return UINT64_MAX;
  return uint64_t{1} << host;
}

std::optional<Prefix> Prefix::subnet(int new_len, uint64_t index) const {
  if (new_len < len_ || new_len > addr_.bits()) return std::nullopt;
  int extra = new_len - len_;
  if (extra < 64 && index >= (uint64_t{1} << extra)) return std::nullopt;
  // Add index << (bits - new_len) to the network address, byte-wise from the right.
  int shift = addr_.bits() - new_len;
  uint8_t b[16];
  IpAddress base = network();
  std::memcpy(b, base.data(), 16);
  unsigned __int128 add = static_cast<unsigned __int128>(index) << (shift % 8);
  unsigned carry = 0;
  for (int i = base.byte_len() - 1 - shift / 8; i >= 0 && (add || carry); --i) {
    unsigned sum = b[i] + static_cast<unsigned>(add & 0xff) + carry;
    b[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    add >>= 8;
  }
  return Prefix(IpAddress::from_bytes(base.family(), b), new_len);
}

std::string Prefix::str() const { return addr_.str() + "/" + std::to_string(len_); }

}  // namespace podnet::net
