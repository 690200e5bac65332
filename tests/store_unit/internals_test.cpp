// Pieces of the backends worth checking on their own: key ranges and the etcd encoding.
#include <gtest/gtest.h>

#include "etcd_json.hpp"
#include "json_stream.hpp"
#include "keys.hpp"

namespace podnet::store {
namespace {

TEST(StoreKeys, PrefixEndIsTheFirstKeyPastThePrefix) {
  EXPECT_EQ(prefix_end("/podnet/nodes/"), "/podnet/nodes0");
  EXPECT_EQ(prefix_end("a"), "b");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(std::string("\xff\xff", 2)), "");  // unbounded
  EXPECT_EQ(prefix_end(""), "");
}

TEST(EtcdEncoding, Base64RoundTripsBytes) {
  for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("foob"), std::string("\0\x01\xff\xfe", 4)}) {
    auto d = etcd::b64decode(etcd::b64encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(etcd::b64encode("foo"), "Zm9v");
  EXPECT_EQ(etcd::b64encode("fo"), "Zm8=");
  EXPECT_FALSE(etcd::b64decode("Zm9v!"));
}

TEST(EtcdEncoding, PrefixRangesAndKeyValues) {
  auto all = etcd::prefix_range("");
  EXPECT_EQ(all["key"], "AA==");
  EXPECT_EQ(all["range_end"], "AA==");
  auto p = etcd::prefix_range("fo");
  EXPECT_EQ(p["key"], "Zm8=");
  EXPECT_EQ(p["range_end"], "ZnA=");  // "fp"
  auto kv = etcd::to_kv(nlohmann::json::parse(
      R"({"key":"Zm9v","create_revision":"2","mod_revision":"5","version":"1","value":"YmFy","lease":"7"})"));
  ASSERT_TRUE(kv);
  EXPECT_EQ(*kv, (KeyValue{"foo", "bar", 2, 5, 7}));
  auto sparse = etcd::to_kv(nlohmann::json::parse(R"({"key":"Zm9v","mod_revision":"9"})"));
  ASSERT_TRUE(sparse);
  EXPECT_EQ(*sparse, (KeyValue{"foo", "", 0, 9, 0}));
}

TEST(EtcdEncoding, StreamSplitsIntoObjectsAcrossChunks) {
  const std::string stream =
      "{\"result\":{\"created\":true}}\n{\"result\":{\"events\":[{\"kv\":{\"key\":\"e30=\"}}],"
      "\"note\":\"a } and a \\\" inside\"}}\r\n{\"error\":{}}";
  for (size_t chunk : {1u, 2u, 7u, 1000u}) {
    etcd::JsonSplitter split;
    std::vector<std::string> got;
    for (size_t i = 0; i < stream.size(); i += chunk)
      split.feed(std::string_view(stream).substr(i, chunk), [&](const std::string& m) { got.push_back(m); });
    ASSERT_EQ(got.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(got[0], "{\"result\":{\"created\":true}}");
    EXPECT_TRUE(nlohmann::json::parse(got[1], nullptr, false).is_object()) << got[1];
    EXPECT_EQ(got[2], "{\"error\":{}}");
  }
}

}  // namespace
}  // namespace podnet::store
