// Store URL parsing: both schemes, options, and errors that name the bad part.
#include <gtest/gtest.h>

#include "podnet/store/url.hpp"

namespace podnet::store {
namespace {

using namespace std::chrono_literals;

std::string error_of(std::string_view url) {
  auto r = parse_store_url(url);
  EXPECT_FALSE(r) << url << " parsed";
  return r ? std::string() : r.error().message;
}

TEST(StoreUrl, SqliteWithDefaults) {
  auto r = parse_store_url("sqlite:///var/lib/podnet/store.db");
  ASSERT_TRUE(r) << r.error().message;
  auto& o = std::get<SqliteOptions>(*r);
  EXPECT_EQ(o.path, "/var/lib/podnet/store.db");
  EXPECT_EQ(o.history, 10000);
  EXPECT_FALSE(o.sync_full);
  EXPECT_EQ(o.busy_timeout, 5000ms);
}

TEST(StoreUrl, SqliteOptionsAndEscapes) {
  auto r = parse_store_url("sqlite:///tmp/my%20dir/s.db?history=50&sync=full&busy_timeout_ms=100");
  ASSERT_TRUE(r) << r.error().message;
  auto& o = std::get<SqliteOptions>(*r);
  EXPECT_EQ(o.path, "/tmp/my dir/s.db");
  EXPECT_EQ(o.history, 50);
  EXPECT_TRUE(o.sync_full);
  EXPECT_EQ(o.busy_timeout, 100ms);
}

TEST(StoreUrl, EtcdEndpointsAndTls) {
  auto r = parse_store_url(
      "etcd://10.0.0.1:2379,etcd-2.example:12379,[fd00::3]:2379?cacert=/etc/ca.pem&cert=/c.pem&key=/k.pem&timeout_ms=750");
  ASSERT_TRUE(r) << r.error().message;
  auto& o = std::get<EtcdOptions>(*r);
  ASSERT_EQ(o.endpoints.size(), 3u);
  EXPECT_EQ(o.endpoints[0], (EtcdEndpoint{"10.0.0.1", 2379}));
  EXPECT_EQ(o.endpoints[1], (EtcdEndpoint{"etcd-2.example", 12379}));
  EXPECT_EQ(o.endpoints[2], (EtcdEndpoint{"fd00::3", 2379}));
  EXPECT_TRUE(o.tls);
  EXPECT_EQ(o.cacert, "/etc/ca.pem");
  EXPECT_EQ(o.cert, "/c.pem");
  EXPECT_EQ(o.key, "/k.pem");
  EXPECT_EQ(o.timeout, 750ms);
}

TEST(StoreUrl, EtcdPlainHttpByDefault) {
  auto r = parse_store_url("etcd://127.0.0.1:2379/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(std::get<EtcdOptions>(*r).tls);
  EXPECT_TRUE(std::get<EtcdOptions>(*parse_store_url("etcd://h:1?tls=true")).tls);
}

TEST(StoreUrl, PlainHttpToANonLoopbackHostNeedsInsecure) {
  auto refused = parse_store_url("etcd://127.0.0.1:2379,10.1.1.2:2379");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("etcd endpoint 10.1.1.2:2379 is not loopback"),
            std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(parse_store_url("etcd://etcd.example:2379"));
  EXPECT_FALSE(parse_store_url("etcd://127.evil.example:2379"));
  auto allowed = parse_store_url("etcd://10.1.1.2:2379?insecure=1");
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_TRUE(std::get<EtcdOptions>(*allowed).insecure);
  for (const char* ok : {"etcd://localhost:2379", "etcd://127.0.0.1:1,127.8.9.10:2", "etcd://[::1]:2379",
                         "etcd://10.0.0.1:2379?tls=1", "etcd://h:1?cacert=/ca.pem"})
    EXPECT_TRUE(parse_store_url(ok)) << ok;
}

TEST(StoreUrl, EtcdAuthAndAnswerLimit) {
  auto r = parse_store_url("etcd://127.0.0.1:2379?user=podnet&password-file=/etc/podnet/pw&max_answer_mb=8");
  ASSERT_TRUE(r) << r.error().message;
  auto& o = std::get<EtcdOptions>(*r);
  EXPECT_EQ(o.user, "podnet");
  EXPECT_EQ(o.password_file, "/etc/podnet/pw");
  EXPECT_EQ(o.max_answer_bytes, size_t{8} << 20);
  EXPECT_EQ(std::get<EtcdOptions>(*parse_store_url("etcd://127.0.0.1:1")).max_answer_bytes,
            size_t{64} << 20);
  EXPECT_FALSE(parse_store_url("etcd://127.0.0.1:1?user=podnet"));
  EXPECT_FALSE(parse_store_url("etcd://127.0.0.1:1?user=a&password-file=pw"));
  EXPECT_FALSE(parse_store_url("etcd://127.0.0.1:1?max_answer_mb=0"));
  auto leak = parse_store_url("etcd://10.0.0.1:1?user=a&password-file=/pw");
  ASSERT_FALSE(leak);
  EXPECT_NE(leak.error().message.find("etcd password"), std::string::npos);
}

TEST(StoreUrl, ErrorsNameTheBadPart) {
  EXPECT_NE(error_of("/var/lib/store.db").find("no scheme"), std::string::npos);
  EXPECT_NE(error_of("mysql://x/y").find("unknown scheme \"mysql\""), std::string::npos);
  EXPECT_NE(error_of("sqlite://relative/path.db").find("three slashes"), std::string::npos);
  EXPECT_NE(error_of("sqlite:///tmp/dir/").find("names no file"), std::string::npos);
  EXPECT_NE(error_of("sqlite:///tmp/s.db?histroy=5").find("unknown sqlite option \"histroy\""),
            std::string::npos);
  EXPECT_NE(error_of("sqlite:///tmp/s.db?history=-1").find("option history \"-1\""), std::string::npos);
  EXPECT_NE(error_of("sqlite:///tmp/s.db?sync=always").find("option sync \"always\""), std::string::npos);
  EXPECT_NE(error_of("sqlite:///tmp/s.db?history").find("\"history\": expected name=value"),
            std::string::npos);
  EXPECT_NE(error_of("sqlite:///tmp/%zz.db").find("bad %-escape"), std::string::npos);
  EXPECT_NE(error_of("etcd://").find("no endpoints"), std::string::npos);
  EXPECT_NE(error_of("etcd://h1:2379,,h2:2379").find("stray comma"), std::string::npos);
  EXPECT_NE(error_of("etcd://h1").find("etcd endpoint \"h1\": expected host:port"), std::string::npos);
  EXPECT_NE(error_of("etcd://h1:2379,h2:99999").find("etcd endpoint \"h2:99999\": port"),
            std::string::npos);
  EXPECT_NE(error_of("etcd://h1:x").find("port \"x\""), std::string::npos);
  EXPECT_NE(error_of("etcd://:2379").find("empty host"), std::string::npos);
  EXPECT_NE(error_of("etcd://fd00::1:2379").find("[addr]:port"), std::string::npos);
  EXPECT_NE(error_of("etcd://[fd00::1:2379").find("unclosed ["), std::string::npos);
  EXPECT_NE(error_of("etcd://h/ho st:1").find("etcd URLs take no path"), std::string::npos);
  EXPECT_NE(error_of("etcd://h:1?cert=/c.pem").find("cert and key"), std::string::npos);
  EXPECT_NE(error_of("etcd://h:1?cacert=ca.pem").find("TLS file \"ca.pem\""), std::string::npos);
  EXPECT_NE(error_of("etcd://h:1?usr=x").find("unknown etcd option \"usr\""), std::string::npos);
  EXPECT_NE(error_of("etcd://h:1?tls=maybe").find("option tls \"maybe\""), std::string::npos);
  // The whole URL is quoted at the front of every message.
  EXPECT_EQ(error_of("etcd://h1").rfind("store URL \"etcd://h1\": ", 0), 0u);
}

TEST(StoreUrl, OpenStoreReportsUnusableSqlitePath) {
  auto r = open_store("sqlite:///nonexistent-dir-pnt/x/store.db");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent-dir-pnt/x/store.db"), std::string::npos)
      << r.error().message;
}

TEST(StoreUrl, OpeningEtcdDoesNotConnect) {
  auto r = open_store("etcd://127.0.0.1:1,127.0.0.1:2?timeout_ms=300");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->describe(), "etcd://127.0.0.1:1,127.0.0.1:2");
  auto g = (*r)->get("/x");  // nothing listens there
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("127.0.0.1:1"), std::string::npos) << g.error().message;
  EXPECT_NE(g.error().message.find("127.0.0.1:2"), std::string::npos) << g.error().message;
}

}  // namespace
}  // namespace podnet::store
