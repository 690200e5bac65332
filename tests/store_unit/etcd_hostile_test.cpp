// The etcd client against a fake etcd on loopback that answers with hostile or malformed
// JSON: every surprise is an error (no exception, no crash, no unbounded memory), the watch
// thread survives bad messages and resumes, error kinds come from codes, and username/password
// auth re-authenticates when etcd forgets the token.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "etcd_json.hpp"
#include "fake_http.hpp"
#include "podnet/store/url.hpp"
#include "temp_dir.hpp"

namespace podnet::store {
namespace {

using testing::FakeHttp;
using testing::FakeRequest;
using namespace std::chrono_literals;

std::unique_ptr<Store> open_fake(const FakeHttp& f, const std::string& query = "timeout_ms=2000") {
  auto s = open_store(f.url(query));
  if (!s) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

std::string b64(std::string_view s) {
  return etcd::b64encode(s);
}

TEST(EtcdHostile, WrongTypesInAnswersAreErrorsNotExceptions) {
  std::string answer;
  FakeHttp f([&](const FakeRequest&) { return FakeHttp::respond(200, answer); });
  auto s = open_fake(f);
  const char* bad_gets[] = {
      R"({"kvs":[{"key":5}]})",
      R"({"kvs":{"key":"Zm9v"}})",
      R"({"kvs":["x"]})",
      R"({"kvs":[{"key":"Zm9v","mod_revision":"yes"}]})",
      R"({"kvs":[{"key":"Zm9v","mod_revision":"12abc"}]})",
      R"({"kvs":[{"key":"Zm9v","value":"!!"}]})",
      R"([1,2])",
      R"("text")",
      R"({"kvs":[)",
  };
  for (const char* a : bad_gets) {
    answer = a;
    auto r = s->get("foo");
    ASSERT_FALSE(r) << a;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_answer) << a << ": " << r.error().message;
  }
  answer =
      R"({"header":{"revision":"7"},"kvs":[{"key":"Zm9v","value":"YmFy","mod_revision":"3"}]})";
  auto ok = s->get("foo");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)->value, "bar");
}

TEST(EtcdHostile, ListRejectsMoreOfTheWrongTypeAndEndlessPages) {
  std::string answer;
  FakeHttp f([&](const FakeRequest&) { return FakeHttp::respond(200, answer); });
  auto s = open_fake(f);
  for (const char* a :
       {R"({"header":{"revision":"2"},"more":"yes","kvs":[]})", R"({"header":{"revision":"x"}})",
        R"({"header":[1]})", R"({"header":{"revision":"2"},"more":true})"}) {
    answer = a;
    auto r = s->list("/p/");
    ASSERT_FALSE(r) << a;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_answer) << r.error().message;
  }
  answer = R"({"header":{"revision":"3"},"kvs":[{"key":")" + b64("/p/a") + R"(","value":"eA=="}]})";
  auto r = s->list("/p/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->revision, 3);
  ASSERT_EQ(r->items.size(), 1u);
}

TEST(EtcdHostile, HugeAndDeepAnswersAreBoundedErrors) {
  std::string answer;
  FakeHttp f([&](const FakeRequest&) { return FakeHttp::respond(200, answer); });
  auto s = open_fake(f, "timeout_ms=5000&max_answer_mb=1");
  answer = R"({"kvs":[{"key":"Zm9v","value":")" + std::string(3 << 20, 'A') + R"("}]})";
  auto r = s->get("foo");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_answer);
  EXPECT_NE(r.error().message.find("larger than 1048576 bytes"), std::string::npos)
      << r.error().message;
  answer = std::string(200000, '[') + std::string(200000, ']');
  r = s->get("foo");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nesting"), std::string::npos) << r.error().message;
}

TEST(EtcdHostile, ErrorKindsComeFromEtcdCodes) {
  FakeHttp f([&](const FakeRequest& r) {
    if (r.path == "/v3/lease/revoke")
      return FakeHttp::respond(
          404,
          R"({"error":"etcdserver: requested lease not found","code":5,"message":"etcdserver: requested lease not found"})");
    if (r.path == "/v3/kv/compaction")
      return FakeHttp::respond(
          400, R"({"error":"etcdserver: mvcc: required revision has been compacted","code":11})");
    if (r.path == "/v3/kv/put")
      return FakeHttp::respond(503, R"({"error":"etcdserver: request timed out","code":14})");
    return FakeHttp::respond(
        400, R"({"error":"etcdserver: mvcc: required revision is a future revision","code":11})");
  });
  auto s = open_fake(f, "timeout_ms=300");
  EXPECT_TRUE(s->revoke(42));      // already gone: done
  EXPECT_TRUE(s->compact(5));      // already compacted: done
  auto put = s->put("k", "v", 0);  // may have been applied: not resent, reported as unavailable
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().kind, ErrorKind::unavailable) << put.error().message;
  auto get = s->get("k");
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().kind, ErrorKind::other) << get.error().message;
  EXPECT_EQ(etcd::classify(503, 14, "etcdserver: no leader").not_applied, true);
  EXPECT_EQ(etcd::classify(401, 16, "etcdserver: invalid auth token").kind,
            ErrorKind::unauthenticated);
}

TEST(EtcdHostile, WatchSurvivesHostileMessagesAndResumes) {
  std::atomic<int> calls{0};
  const std::string created = R"({"result":{"header":{"revision":"5"},"created":true}})";
  const std::string good = R"({"result":{"header":{"revision":"6"},"events":[{"kv":{"key":")" +
                           b64("/w/a") + R"(","value":"eA==","mod_revision":"6"}}]}})";
  std::vector<std::string> hostile = {
      R"({"result":{"canceled":"yes"}})",
      R"({"result":{"events":[{"type":7,"kv":{"key":"eA=="}}]}})",
      R"({"result":{"events":[{"kv":{"key":"eA==","mod_revision":"yes"}}]}})",
      R"({"result":{"events":"many"}})",
      R"({"result":[1]})",
      R"({"result":{"compact_revision":{"a":1}}})",
      std::string(100000, '{'),
      R"({"result":{"events":[3]}})",
  };
  FakeHttp f([&](const FakeRequest& r) {
    if (r.path != "/v3/watch") return FakeHttp::respond(404, "{}");
    int n = calls++;
    if (n < int(hostile.size())) return FakeHttp::stream(created + "\n" + hostile[size_t(n)]);
    if (n == int(hostile.size())) return FakeHttp::stream(created + "\n" + good);
    return FakeHttp::stream(created);  // later reconnects: nothing new
  });
  auto s = open_fake(f);
  auto w = s->watch("/w/", 5);
  ASSERT_TRUE(w) << w.error().message;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::vector<Event> got;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    auto r = (*w)->next(200ms);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->compacted);
    for (auto& e : r->events) got.push_back(e);
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kv.key, "/w/a");
  EXPECT_GT(calls.load(), int(hostile.size()));
}

TEST(EtcdHostile, WatchStreamThatNeverEndsAMessageIsBounded) {
  std::atomic<int> calls{0};
  FakeHttp f([&](const FakeRequest&) {
    int n = calls++;
    std::string created = R"({"result":{"header":{"revision":"5"},"created":true}})";
    if (n == 0) return FakeHttp::stream(created + "\n{\"x\":\"" + std::string(3 << 20, 'a'));
    return FakeHttp::stream(created);
  });
  auto s = open_fake(f, "timeout_ms=2000&max_answer_mb=1");
  auto w = s->watch("/w/", 5);
  ASSERT_TRUE(w) << w.error().message;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (calls.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto r = (*w)->next(100ms);
    ASSERT_TRUE(r) << r.error().message;
  }
  EXPECT_GE(calls.load(), 2);  // the oversized stream was dropped and the watch reconnected
}

TEST(EtcdHostile, AuthenticatesAndRenewsAnExpiredToken) {
  testing::TempDir dir("ea");
  const std::string pw = dir.path() + "/pw";
  std::ofstream(pw) << "s3cret\n";
  std::mutex mu;
  std::string valid;  // the token the fake accepts now
  int issued = 0;
  FakeHttp f([&](const FakeRequest& r) {
    std::lock_guard lk(mu);
    if (r.path == "/v3/auth/authenticate") {
      auto j = nlohmann::json::parse(r.body);
      if (j["name"] != "podnet" || j["password"] != "s3cret")
        return FakeHttp::respond(
            400,
            R"({"error":"etcdserver: authentication failed, invalid user ID or password","code":3})");
      valid = "tok" + std::to_string(++issued);
      return FakeHttp::respond(200, R"({"header":{},"token":")" + valid + "\"}");
    }
    if (valid.empty() || r.headers.find("Authorization: " + valid) == std::string::npos)
      return FakeHttp::respond(401, R"({"error":"etcdserver: invalid auth token","code":16})");
    return FakeHttp::respond(200, R"({"header":{"revision":"9"}})");
  });
  auto s = open_fake(f, "timeout_ms=2000&user=podnet&password-file=" + pw);
  auto r = s->put("k", "v", 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 9);
  {
    std::lock_guard lk(mu);
    valid = "forgotten";  // etcd restarted: the token is unknown now
  }
  r = s->put("k", "v", 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(issued, 2);

  auto wrong = open_store(f.url("timeout_ms=2000&user=someone&password-file=" + pw));
  ASSERT_TRUE(wrong);
  auto denied = (*wrong)->get("k");
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("authenticate as someone"), std::string::npos)
      << denied.error().message;
}

}  // namespace
}  // namespace podnet::store
