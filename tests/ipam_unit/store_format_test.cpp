#include "podnet/ipam/store_format.hpp"

#include <gtest/gtest.h>

namespace podnet::ipam {
namespace {

net::IpAddress ip(const char* s) {
  return *net::IpAddress::parse(s);
}

// host-local's release walk frees any file whose trimmed content equals one of these.
bool host_local_would_match(std::string content, const std::string& id, const std::string& ifn) {
  auto b = content.find_first_not_of(" \t\r\n");
  auto e = content.find_last_not_of(" \t\r\n");
  std::string t = b == std::string::npos ? "" : content.substr(b, e - b + 1);
  return t == id + "\r\n" + ifn || t == id;
}

TEST(OwnerFormat, HostLocalBytes) {
  EXPECT_EQ(encode_owner("abc", "eth0"), "abc\r\neth0");
  EXPECT_EQ(decode_owner("abc\r\neth0"), (Owner{"abc", "eth0", false}));
  EXPECT_EQ(decode_owner("  abc\r\neth0\n"), (Owner{"abc", "eth0", false}));
  EXPECT_EQ(decode_owner("abc\n"), (Owner{"abc", "", true}));
  EXPECT_FALSE(decode_owner(""));
  EXPECT_FALSE(decode_owner("podnet-ipam-index=1\nid=x"));
  EXPECT_TRUE((Owner{"abc", "", true}).is("abc", "eth7"));
  EXPECT_FALSE((Owner{"abc", "eth0", false}).is("abc", "eth7"));
}

TEST(IndexFormat, NameIsUnambiguous) {
  EXPECT_EQ(index_name("a.b", "c"), "a.b:c");
  EXPECT_EQ(index_name("a", "b.c"), "a:b.c");
  EXPECT_EQ(index_name("a", ""), "a:");
  EXPECT_FALSE(index_name("a/b", "eth0"));
  EXPECT_FALSE(index_name("", "eth0"));
  EXPECT_FALSE(index_name(std::string(300, 'a'), "eth0"));
}

TEST(IndexFormat, RoundTripAndNeverLooksLikeAnAddressFile) {
  IndexRecord r{"abc", "eth0", {ip("10.0.0.2"), ip("fd00::2")}};
  auto text = encode_index(r);
  EXPECT_EQ(decode_index(text), r);
  EXPECT_FALSE(host_local_would_match(text, "abc", "eth0"));
  EXPECT_EQ(text.find("\r\n"), std::string::npos);
  EXPECT_NE(text.find('='), std::string::npos);
  EXPECT_FALSE(decode_index("abc\r\neth0"));
  EXPECT_FALSE(decode_index("podnet-ipam-index=1\nip=nope\n"));
  auto boot = encode_boot_record("205010a5-b6a8-4bdb-8811-ed99d72000f2");
  EXPECT_FALSE(host_local_would_match(boot, "205010a5-b6a8-4bdb-8811-ed99d72000f2", "eth0"));
  EXPECT_EQ(decode_boot_record(boot), "205010a5-b6a8-4bdb-8811-ed99d72000f2");
  EXPECT_FALSE(decode_boot_record("205010a5"));
}

}  // namespace
}  // namespace podnet::ipam
