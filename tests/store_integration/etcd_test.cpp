// The etcd backend beyond the shared contract: endpoint failover, watches that survive member
// restarts and report compaction after a reconnect, TLS client certificates.
#include <gtest/gtest.h>

#include <thread>

#include "contract/store_contract.hpp"
#include "etcd_cluster.hpp"

namespace podnet::store::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using podnet::testing::sh;

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = etcd_unavailable(); !why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override {
    in_.reset();
    cluster_.reset();
  }
  // Starts etcd and moves the test thread into its namespace.
  void start(EtcdCluster::Options o) {
    cluster_ = std::make_unique<EtcdCluster>(o);
    auto r = cluster_->start_all();
    ASSERT_TRUE(r) << r.error().message << "\n" << cluster_->log_tail(0);
    in_ = std::make_unique<InNetns>(cluster_->netns_path());
  }
  std::unique_ptr<Store> open(const std::string& url) {
    auto s = open_store(url);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  std::string dead() const {
    return fmt::format("127.0.0.1:{}", cluster_->port_nobody_listens_on());
  }

  std::unique_ptr<EtcdCluster> cluster_;
  std::unique_ptr<InNetns> in_;
};

TEST_F(EtcdStoreTest, FailsOverFromADeadEndpoint) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  const std::string url = "etcd://" + dead() + "," + cluster_->endpoint(0);
  // A watch from a fresh client: its stream thread finds the live member by itself.
  auto watcher_client = open(url);
  auto w = watcher_client->watch("/podnet/nodes/", 1);
  ASSERT_TRUE(w) << w.error().message;

  auto s = open(url);
  auto r = s->put("/podnet/nodes/a", "1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(s->create("/podnet/nodes/b", "1")->succeeded);
  EXPECT_EQ((*s->get("/podnet/nodes/a"))->value, "1");
  auto evs = collect(**w, 2, 5s);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].kv.key, "/podnet/nodes/a");
  EXPECT_EQ(evs[1].kv.key, "/podnet/nodes/b");
}

TEST_F(EtcdStoreTest, FailsOverFromAnUnresponsiveEndpointAndRemembersTheGoodOne) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  // 10.99.0.2 sits behind a veth whose far end drops everything (wrong MAC, no address):
  // SYNs vanish and the connect can only time out.
  ASSERT_EQ(cluster_->sh("ip link add pnblk0 type veth peer name pnblk1 && "
                         "ip addr add 10.99.0.1/24 dev pnblk0 && ip link set pnblk0 up && "
                         "ip link set pnblk1 up && "
                         "ip neigh add 10.99.0.2 lladdr 02:00:00:00:99:02 dev pnblk0 nud permanent"),
            0);
  auto s = open("etcd://10.99.0.2:2379," + cluster_->endpoint(0) + "?insecure=1");
  auto t0 = Clock::now();
  auto r = s->put("/k", "v");
  auto first = Clock::now() - t0;
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(first, 1000ms) << "the first call should have waited for the silent endpoint";
  t0 = Clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s->get("/k"));
  auto rest = Clock::now() - t0;
  EXPECT_LT(rest, 1000ms) << "later calls must go straight to the endpoint that answered";
}

TEST_F(EtcdStoreTest, AllEndpointsDownFailsWithinTheTimeoutNamingThem) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  auto s = open("etcd://" + dead() + ",127.0.0.1:1?timeout_ms=400");
  auto t0 = Clock::now();
  auto r = s->get("/k");
  auto took = Clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(dead()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("127.0.0.1:1"), std::string::npos) << r.error().message;
  EXPECT_LT(took, 2s);
  auto w = s->watch("/", 0);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("no endpoint accepted the watch"), std::string::npos)
      << w.error().message;
}

TEST_F(EtcdStoreTest, WatchResumesAcrossAnEtcdRestartAndSeesWhatHappenedMeanwhile) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  auto s = open(cluster_->url());
  auto listing = s->list("/podnet/nodes/");
  ASSERT_TRUE(listing);
  auto w = s->watch("/podnet/nodes/", listing->revision);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(s->put("/podnet/nodes/a", "1"));
  auto before = collect(**w, 1, 5s);
  ASSERT_EQ(before.size(), 1u);

  cluster_->kill(0);
  auto quiet = (*w)->next(300ms);  // the outage is not the consumer's problem
  ASSERT_TRUE(quiet) << quiet.error().message;
  EXPECT_TRUE(quiet->events.empty());
  EXPECT_FALSE(open(cluster_->url({}, "timeout_ms=300"))->put("/podnet/nodes/x", "down"))
      << "etcd is down: writes must fail";

  cluster_->start(0);
  ASSERT_TRUE(cluster_->wait_ready());
  ASSERT_TRUE(s->put("/podnet/nodes/b", "2"));
  ASSERT_TRUE(s->del("/podnet/nodes/a"));
  ASSERT_TRUE(s->put("/podnet/nodes/c", "3"));
  auto after = collect(**w, 3, 10s);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].kv.key, "/podnet/nodes/b");
  EXPECT_EQ(after[1].type, Event::Type::del);
  EXPECT_EQ(after[1].kv.key, "/podnet/nodes/a");
  EXPECT_EQ(after[2].kv.key, "/podnet/nodes/c");
  EXPECT_TRUE(collect(**w, 1, 300ms).empty()) << "nothing delivered twice";
}

// Three members; the client's first endpoint is a follower, which dies: nothing fails.
TEST_F(EtcdStoreTest, LosingAFollowerIsTransparent) {
  ASSERT_NO_FATAL_FAILURE(start({.members = 3}));
  int leader = cluster_->leader();
  ASSERT_GE(leader, 0);
  int victim = (leader + 1) % 3, third = (leader + 2) % 3;
  auto s = open(cluster_->url({victim, leader, third}));
  auto rev = s->put("/podnet/nodes/a", "1");
  ASSERT_TRUE(rev) << rev.error().message;
  auto w = s->watch("/podnet/nodes/", *rev - 1);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(collect(**w, 1, 5s).size(), 1u);
  auto lease = s->grant_lease(30s);
  ASSERT_TRUE(lease);

  cluster_->kill(victim);
  auto r = s->put("/podnet/nodes/b", "2", *lease);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(s->create("/podnet/nodes/c", "3")->succeeded);
  EXPECT_GT(s->keep_alive(*lease)->count(), 0);
  EXPECT_EQ(s->list("/podnet/nodes/")->items.size(), 3u);
  auto evs = collect(**w, 2, 10s);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].kv.key, "/podnet/nodes/b");
  EXPECT_EQ(evs[1].kv.key, "/podnet/nodes/c");
}

// Three members; the leader dies. A write caught in the election may fail (possibly applied,
// as with etcd's own client); retried like an agent does, writes work again within seconds,
// and the watch (moved to a surviving member) sees them.
TEST_F(EtcdStoreTest, LosingTheLeaderNeedsOnlyARetry) {
  ASSERT_NO_FATAL_FAILURE(start({.members = 3}));
  int leader = cluster_->leader();
  ASSERT_GE(leader, 0);
  auto s = open(cluster_->url({leader, (leader + 1) % 3, (leader + 2) % 3}, "timeout_ms=3000"));
  auto rev = s->put("/podnet/nodes/a", "1");
  ASSERT_TRUE(rev) << rev.error().message;
  auto w = s->watch("/podnet/nodes/", *rev);
  ASSERT_TRUE(w) << w.error().message;

  cluster_->kill(leader);
  auto t0 = Clock::now();
  int failures = 0;
  for (;;) {
    auto r = s->put("/podnet/nodes/b", "2");
    if (r) break;
    ++failures;
    ASSERT_LT(Clock::now() - t0, 20s) << r.error().message;
  }
  std::printf("write after losing the leader: %d failed attempt(s), %lld ms\n", failures,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));
  auto g = s->get("/podnet/nodes/b");
  ASSERT_TRUE(g) << g.error().message;
  auto evs = collect(**w, 1, 10s);
  ASSERT_GE(evs.size(), 1u);
  EXPECT_EQ(evs.back().kv.key, "/podnet/nodes/b");
}

TEST_F(EtcdStoreTest, WatchReconnectingBehindACompactionReportsCompacted) {
  ASSERT_NO_FATAL_FAILURE(start({.members = 3}));
  auto only_m0 = open(cluster_->url({0}));
  auto listing = only_m0->list("/p/");
  ASSERT_TRUE(listing);
  auto w = only_m0->watch("/p/", listing->revision);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(only_m0->put("/p/k", "0"));
  ASSERT_EQ(collect(**w, 1, 5s).size(), 1u);

  cluster_->kill(0);
  auto others = open(cluster_->url({1, 2}));
  Revision last = 0;
  for (int i = 1; i <= 5; ++i) last = *others->put("/p/k", std::to_string(i));
  ASSERT_TRUE(others->compact(last));
  cluster_->start(0);

  auto deadline = Clock::now() + 15s;
  bool compacted = false;
  while (!compacted && Clock::now() < deadline) {
    auto r = (*w)->next(1s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->events.empty()) << "events from before the compaction point cannot be complete";
    compacted = r->compacted;
  }
  EXPECT_TRUE(compacted);
}

TEST_F(EtcdStoreTest, UsernamePasswordAuthSurvivesTokenLossOnRestart) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  const std::string ctl = "ETCDCTL_API=3 etcdctl --endpoints=http://" + cluster_->endpoint(0) + " ";
  std::string out;
  ASSERT_EQ(cluster_->sh("set -e; " + ctl + "user add root --new-user-password=rootpw; " + ctl +
                             "user grant-role root root; " + ctl +
                             "user add podnet --new-user-password=s3cret; " + ctl + "role add rw; " +
                             ctl + "role grant-permission rw readwrite --prefix=true /; " + ctl +
                             "user grant-role podnet rw; " + ctl + "auth enable",
                         &out),
            0)
      << out;
  const std::string pw = cluster_->dir() + "/podnet.pw", bad = cluster_->dir() + "/bad.pw";
  ASSERT_EQ(sh(fmt::format("printf 's3cret\\n' > {} && printf 'nope\\n' > {} && chmod 600 {} {}",
                           pw, bad, pw, bad)),
            0);
  auto s = open(cluster_->url({}, "timeout_ms=3000&user=podnet&password-file=" + pw));
  auto put = s->put("/podnet/config", "{}");
  ASSERT_TRUE(put) << put.error().message;
  auto w = s->watch("/podnet/", 0);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(collect(**w, 1, 5s).size(), 1u);

  auto anonymous = open(cluster_->url({}, "timeout_ms=1000"));
  EXPECT_FALSE(anonymous->get("/podnet/config")) << "auth is on: no token, no answer";
  auto wrong = open(cluster_->url({}, "timeout_ms=1000&user=podnet&password-file=" + bad));
  auto denied = wrong->get("/podnet/config");
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("authenticate as podnet"), std::string::npos)
      << denied.error().message;

  // etcd's simple tokens live in memory: a restart forgets them. The client authenticates
  // again, and the watch reconnects with a new token and sees what happened meanwhile.
  cluster_->kill(0);
  cluster_->start(0);
  // (wait_ready() reads anonymously: with auth on, the authenticated client itself waits.)
  put = s->put("/podnet/after", "x");
  for (auto end = Clock::now() + 20s; !put && Clock::now() < end;) put = s->put("/podnet/after", "x");
  ASSERT_TRUE(put) << put.error().message << "\n" << cluster_->log_tail(0);
  auto after = collect(**w, 1, 10s);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].kv.key, "/podnet/after");
}

TEST_F(EtcdStoreTest, TlsWithClientCertificates) {
  if (sh("command -v openssl") != 0) GTEST_SKIP() << "openssl CLI not installed: cannot make test certificates";
  ASSERT_NO_FATAL_FAILURE(start({.tls = true}));
  auto s = open(cluster_->url());
  ASSERT_TRUE(s->put("/podnet/config", "{}")) << cluster_->url();
  auto w = s->watch("/podnet/", 0);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(collect(**w, 1, 5s).size(), 1u);

  const std::string ep = cluster_->endpoint(0);
  auto no_client_cert = open(fmt::format("etcd://{}?cacert={}&timeout_ms=1000", ep, cluster_->file("ca.crt")));
  auto r1 = no_client_cert->get("/podnet/config");
  ASSERT_FALSE(r1) << "etcd must refuse a client without a certificate";
  std::printf("without a client certificate: %s\n", r1.error().message.c_str());
  auto stranger = open(fmt::format("etcd://{}?cacert={}&cert={}&key={}&timeout_ms=1000", ep,
                                   cluster_->file("ca.crt"), cluster_->file("stranger.crt"),
                                   cluster_->file("stranger.key")));
  auto r2 = stranger->get("/podnet/config");
  ASSERT_FALSE(r2) << "a certificate from another CA must be refused";
  std::printf("with a certificate from another CA: %s\n", r2.error().message.c_str());
  auto wrong_ca = open(fmt::format("etcd://{}?cacert={}&cert={}&key={}&timeout_ms=1000", ep,
                                   cluster_->file("other-ca.crt"), cluster_->file("client.crt"),
                                   cluster_->file("client.key")));
  auto r3 = wrong_ca->get("/podnet/config");
  ASSERT_FALSE(r3) << "the server certificate must be checked";
  EXPECT_NE(r3.error().message.find("certificate"), std::string::npos) << r3.error().message;
  std::printf("checking the server with the wrong CA: %s\n", r3.error().message.c_str());
  auto plain = open(fmt::format("etcd://{}?timeout_ms=1000", ep));
  EXPECT_FALSE(plain->get("/podnet/config"));
}

}  // namespace
}  // namespace podnet::store::testing
