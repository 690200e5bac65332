// podnetd's service proxy with real agents: Services and pods written to the store as the API
// would, rules programmed on every node, and the data plane outliving podnetd (kill -9, then a
// restart) without dropping an established connection through a ClusterIP.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "agent_cluster.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/store/store.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::testing {
namespace {

constexpr const char* kClusterIp = "10.96.0.50";

bool has(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

// A socket made inside the namespace at `ns_path` (it stays there when used from this thread).
UniqueFd socket_in(const std::string& ns_path) {
  auto ns = sys::Netns::open(ns_path);
  if (!ns) return UniqueFd();
  auto fd =
      sys::run_in(*ns, [] { return UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
  return fd ? std::move(*fd) : UniqueFd();
}

sockaddr_in addr(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// Connects from the namespace (3 s timeout); an invalid fd when it did not connect.
UniqueFd connect_from(const std::string& ns_path, const std::string& ip, int port) {
  UniqueFd s = socket_in(ns_path);
  if (!s) return s;
  timeval tv{3, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto a = addr(ip, port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return UniqueFd();
  return s;
}

// One byte written on `from` arrives on `to` within 3 s.
bool carries(int from, int to, char byte) {
  if (::write(from, &byte, 1) != 1) return false;
  pollfd p{to, POLLIN, 0};
  char got = 0;
  return ::poll(&p, 1, 3000) == 1 && ::read(to, &got, 1) == 1 && got == byte;
}

class ServiceProxyAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root: creates network namespaces";
    c_ = std::make_unique<AgentCluster>("spx", 2);
    if (use_etcd()) {
      ASSERT_TRUE(c_->start_etcd()) << "etcd not installed or not healthy";
    }
    for (int i = 0; i < 2; ++i) c_->start(i, extra_args());
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(i).empty(); }))
          << c_->node(i).name << " wrote no conflist";
    open_store();
  }
  // The test's own store client, used from the outside host's netns: etcd listens on the
  // switch, which the root netns cannot reach (sqlite does not care).
  void open_store() {
    auto s = in_ext([&] { return store::open_store(c_->store_url()); });
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  template <class F>
  auto in_ext(F&& f) -> decltype(f()) {
    auto ns = sys::Netns::open(c_->ext().path());
    if (!ns) return std::unexpected(ns.error());
    return sys::run_here_in(*ns, std::forward<F>(f));
  }
  bool put(const std::string& key, const std::string& value) {
    return bool(in_ext([&] { return store_->put(key, value); }));
  }
  bool del(const std::string& key) {
    return bool(in_ext([&] { return store_->del(key); }));
  }
  void TearDown() override {
    if (c_ && HasFailure())
      for (int i = 0; i < 2; ++i) {
        std::string log;
        sh("tail -c 4000 " + c_->node(i).log(), &log);
        std::cerr << "---- " << c_->node(i).name << " log (tail)\n" << log;
      }
    store_.reset();
    c_.reset();
  }

  void put_pod(const std::string& name, int node, const std::string& ip, uint16_t port) {
    cluster::Pod p;
    p.name = name;
    p.labels = {{"app", "echo"}};
    p.node = c_->node(node).name;
    p.port = port;
    p.podIP = net::IpAddress::parse(ip).value();
    p.phase = cluster::PodPhase::Running;
    p.ready = true;
    ASSERT_TRUE(put(cluster::pod_key("default", name), cluster::to_json(p).dump()));
  }
  virtual bool use_etcd() const { return false; }
  virtual std::vector<std::string> extra_args() const { return {}; }

  void put_service(uint16_t target, uint16_t port = 80) {
    cluster::Service s;
    s.name = "echo";
    s.clusterIP = net::IpAddress::parse(kClusterIp).value();
    s.selector = {{"app", "echo"}};
    s.ports = {
        {.name = "", .protocol = cluster::Protocol::TCP, .port = port, .targetPort = target}};
    ASSERT_TRUE(put(cluster::service_key("default", "echo"), cluster::to_json(s).dump()));
  }
  std::string table(int i) {
    std::string out;
    sh(fmt::format("ip netns exec {} nft list table ip podnet-svc 2>&1", c_->node(i).ns->name()),
       &out);
    return out;
  }
  std::string metrics(int i) {
    std::string out;
    AgentCluster::in(c_->node(i).ns->name(), "curl -s -m 2 http://127.0.0.1:9402/metrics", &out);
    return out;
  }

  // A client pod on node 0 and a server pod (listening on 8080) on node 1 behind the Service
  // `echo` (kClusterIp:80); conn_/served_ are one established connection through the ClusterIP.
  void establish() {
    client_ip_ = c_->add_pod(0, "c0");
    std::string server_ip = c_->add_pod(1, "s1");
    ASSERT_FALSE(client_ip_.empty());
    ASSERT_FALSE(server_ip.empty());
    client_ns_ = "/var/run/netns/" + c_->pod_ns("c0");
    const std::string server_ns = "/var/run/netns/" + c_->pod_ns("s1");

    listener_ = socket_in(server_ns);
    ASSERT_TRUE(listener_);
    int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto la = addr("0.0.0.0", 8080);
    ASSERT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&la), sizeof la), 0);
    ASSERT_EQ(::listen(listener_.get(), 16), 0);

    put_pod("s1", 1, server_ip, 8080);
    put_service(8080);

    // Programmed on both nodes; the client pod reaches the server through the ClusterIP.
    for (int i = 0; i < 2; ++i)
      EXPECT_TRUE(AgentCluster::eventually([&] { return has(table(i), kClusterIp); }, 10000))
          << c_->node(i).name << ":\n"
          << table(i);
    ASSERT_TRUE(AgentCluster::eventually(
        [&] { return bool(conn_ = connect_from(client_ns_, kClusterIp, 80)); }, 10000));
    sockaddr_in peer{};
    served_ = accept_one(&peer);
    ASSERT_TRUE(served_);
    char peer_ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, peer_ip, sizeof peer_ip);
    EXPECT_EQ(std::string(peer_ip), client_ip_)
        << "pod -> ClusterIP -> pod keeps the client address";
    EXPECT_TRUE(carries(conn_.get(), served_.get(), 'a'));
    EXPECT_TRUE(carries(served_.get(), conn_.get(), 'b'));
  }
  // The next connection the server pod gets (within 3 s); invalid when none came.
  UniqueFd accept_one(sockaddr_in* peer = nullptr) {
    pollfd pa{listener_.get(), POLLIN, 0};
    if (::poll(&pa, 1, 3000) != 1) return UniqueFd();
    socklen_t plen = sizeof(sockaddr_in);
    return UniqueFd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(peer),
                              peer ? &plen : nullptr, SOCK_CLOEXEC));
  }
  // A new connection from the client pod through the Service reaches the server.
  bool new_connection_answers(int port = 80) {
    UniqueFd c = connect_from(client_ns_, kClusterIp, port);
    return c && accept_one();
  }
  // Node i's podnetd log from byte `from` on.
  std::string log_since(int i, std::uintmax_t from) {
    std::ifstream in(c_->node(i).log());
    in.seekg(static_cast<std::streamoff>(from));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::uintmax_t log_size(int i) { return std::filesystem::file_size(c_->node(i).log()); }

  std::unique_ptr<AgentCluster> c_;
  std::unique_ptr<store::Store> store_;
  std::string client_ip_, client_ns_;
  UniqueFd listener_, conn_, served_;
};

TEST_F(ServiceProxyAgent, RulesOnEveryNodeAndConnectionsOutliveARestart) {
  establish();
  if (HasFatalFailure()) return;
  UniqueFd& conn = conn_;
  UniqueFd& served = served_;

  std::string m = metrics(0);
  EXPECT_TRUE(has(m, "podnet_proxy_services{node=\"lxb001\"} 1\n")) << m;
  EXPECT_TRUE(has(m, "podnet_proxy_endpoints{node=\"lxb001\"} 1\n")) << m;
  EXPECT_TRUE(has(m, "podnet_proxy_sync_duration_seconds_count{node=\"lxb001\",kind=\"full\"} 1\n"))
      << m;

  // podnetd killed on the client's node: the rules stay, the connection keeps working, and a
  // new connection through the Service still works.
  c_->kill_agent(0, SIGKILL);
  EXPECT_TRUE(has(table(0), kClusterIp)) << table(0);
  EXPECT_TRUE(carries(conn.get(), served.get(), 'c'));
  EXPECT_TRUE(new_connection_answers()) << "new connections while podnetd is down";

  // Restarted: it resyncs (full) and the established connection is untouched.
  c_->start(0);
  EXPECT_TRUE(AgentCluster::eventually(
      [&] {
        return has(metrics(0),
                   "podnet_proxy_sync_duration_seconds_count{node=\"lxb001\",kind=\"full\"} 1\n");
      },
      10000))
      << metrics(0);
  std::string log;
  sh("cat " + c_->node(0).log(), &log);
  EXPECT_FALSE(has(log, "error podnetd")) << "a sync failed (and fell back to a rebuild):\n" << log;
  EXPECT_TRUE(carries(conn.get(), served.get(), 'd'));
  EXPECT_TRUE(carries(served.get(), conn.get(), 'e'));

  // The Service deleted: its rules go on every node; --leave removes the table itself.
  ASSERT_TRUE(del(cluster::service_key("default", "echo")));
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return !has(table(i), kClusterIp); }, 10000))
        << table(i);
  std::string err;
  ASSERT_EQ(c_->run(1, c_->args(1, {"--leave"}), &err), 0) << err;
  EXPECT_TRUE(has(table(1), "No such file or directory") || !has(table(1), "podnet-svc"))
      << table(1);
}

// The store (etcd) stalls, then dies, then comes back: podnetd keeps the Service rules exactly
// as they were (no flush, no rebuild, no error loop), the established connection and new ones
// through the ClusterIP keep working, and a change made after the store returns is programmed
// (as a partial sync: the watches resume from their revision).
class ServiceProxyAgentEtcd : public ServiceProxyAgent {
 protected:
  bool use_etcd() const override { return true; }
};

TEST_F(ServiceProxyAgentEtcd, StoreOutageKeepsRulesAndConnections) {
  establish();
  if (HasFatalFailure()) return;
  const std::string rules[2] = {table(0), table(1)};
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(has(rules[i], "table ip podnet-svc")) << rules[i];
  const std::uintmax_t from[2] = {log_size(0), log_size(1)};
  // podnetd noticed the outage: a lease renewal failed (every TTL/3 = 1 s here) since `at`.
  auto noticed = [&](int i, std::uintmax_t at) {
    return has(log_since(i, at), "lease renewal (will retry)");
  };
  // Everything that must hold while the store is away.
  auto still_serving = [&](const char* phase, char byte) {
    for (int i = 0; i < 2; ++i)
      EXPECT_EQ(table(i), rules[i]) << phase << ": " << c_->node(i).name << "'s rules changed";
    EXPECT_TRUE(carries(conn_.get(), served_.get(), byte)) << phase;
    EXPECT_TRUE(carries(served_.get(), conn_.get(), byte)) << phase;
    EXPECT_TRUE(new_connection_answers()) << phase << ": no new connection through the Service";
  };

  // 1. etcd hangs (SIGSTOP): requests time out instead of failing.
  c_->signal_etcd(SIGSTOP);
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return noticed(i, from[i]); }, 20000))
        << c_->node(i).name << " did not notice the stalled store:\n"
        << log_since(i, from[i]);
  still_serving("etcd stopped", 'f');

  // 2. etcd gone (connections refused): the store client keeps reconnecting its watches (with
  // a backoff) and the lease keeps failing; the proxy has nothing new, so it leaves the rules.
  c_->signal_etcd(SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  for (int i = 0; i < 2; ++i) {
    // Two failed renewals against the dead store: the outage lasts.
    std::uintmax_t at = log_size(i);
    for (int k = 0; k < 2; ++k) {
      EXPECT_TRUE(AgentCluster::eventually([&] { return noticed(i, at); }, 20000))
          << c_->node(i).name << ":\n"
          << log_since(i, at);
      at = log_size(i);
    }
  }
  still_serving("etcd killed", 'g');
  const double outage_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  for (int i = 0; i < 2; ++i) {
    const std::string during = log_since(i, from[i]);
    EXPECT_FALSE(has(during, "service rules synced")) << "resynced without the store:\n" << during;
    EXPECT_FALSE(has(during, "error podnetd")) << during;
    // No busy loop: three watches (nodes, services, pods) retry about once a second each.
    size_t retries = 0;
    const std::string again = "reconnecting from revision";
    for (size_t at = during.find(again); at != std::string::npos; at = during.find(again, at + 1))
      ++retries;
    EXPECT_LE(double(retries), 3 * (outage_s + 10)) << "watch retries in " << outage_s << " s";
    std::string m = metrics(i);
    EXPECT_TRUE(has(m, fmt::format("podnet_proxy_services{{node=\"{}\"}} 1\n", c_->node(i).name)))
        << m;
    EXPECT_TRUE(
        has(m, fmt::format("podnet_proxy_sync_errors_total{{node=\"{}\"}} 0\n", c_->node(i).name)))
        << m;
  }

  // 3. etcd back on its data: a change made now (the Service moves to port 81) reaches both
  // nodes' rules as a partial sync, and answers.
  const std::uintmax_t back[2] = {log_size(0), log_size(1)};
  ASSERT_TRUE(c_->restart_etcd()) << "etcd did not come back";
  open_store();
  put_service(8080, 81);
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually(
        [&] { return has(table(i), std::string(kClusterIp) + " . tcp . 81 "); }, 10000))
        << c_->node(i).name << ":\n"
        << table(i);
  EXPECT_TRUE(new_connection_answers(81));
  EXPECT_TRUE(carries(conn_.get(), served_.get(), 'h')) << "the old connection after the change";
  for (int i = 0; i < 2; ++i) {
    const std::string after = log_since(i, back[i]);
    EXPECT_TRUE(has(after, "service rules synced (partial)")) << after;
    EXPECT_FALSE(has(after, "service rules synced (full)")) << after;
  }
}

// The table changed by someone else (an operator, a firewall reload): `nft flush table` and
// `nft delete table` are seen by the check every --resync-period and repaired by a full resync;
// a map element deleted by hand comes back with the periodic full resync
// (--proxy-full-sync-period). The established connection keeps working throughout.
class ServiceProxyAgentRepair : public ServiceProxyAgent {
 protected:
  std::vector<std::string> extra_args() const override {
    return {"--resync-period", "1", "--proxy-full-sync-period", "4"};
  }
};

TEST_F(ServiceProxyAgentRepair, TableChangedByHandIsRepaired) {
  establish();
  if (HasFatalFailure()) return;
  const std::string node_ns = c_->node(0).ns->name();
  auto repairs = [&](int n) {
    return has(metrics(0), fmt::format("podnet_proxy_repairs_total{{node=\"lxb001\"}} {}\n", n));
  };
  ASSERT_TRUE(repairs(0)) << metrics(0);

  // Every chain's rules flushed: no DNAT on node 0 until the check sees it.
  ASSERT_EQ(sh(fmt::format("ip netns exec {} nft flush table ip podnet-svc", node_ns)), 0);
  EXPECT_TRUE(AgentCluster::eventually([&] { return repairs(1); }, 10000)) << metrics(0);
  EXPECT_TRUE(AgentCluster::eventually([&] { return new_connection_answers(); }, 10000));
  EXPECT_TRUE(carries(conn_.get(), served_.get(), 'f'));

  // The whole table deleted.
  ASSERT_EQ(sh(fmt::format("ip netns exec {} nft delete table ip podnet-svc", node_ns)), 0);
  EXPECT_TRUE(AgentCluster::eventually([&] { return repairs(2); }, 10000)) << metrics(0);
  EXPECT_TRUE(AgentCluster::eventually([&] { return has(table(0), kClusterIp); }, 10000));
  EXPECT_TRUE(new_connection_answers());
  EXPECT_TRUE(carries(conn_.get(), served_.get(), 'g'));

  // One dispatch element deleted: the table is otherwise whole (no repair counted), the
  // periodic full resync puts it back.
  const std::string element = fmt::format("{} . tcp . 80", kClusterIp);
  ASSERT_EQ(
      sh(fmt::format("ip netns exec {} nft delete element ip podnet-svc service-ips '{{ {} }}'",
                     node_ns, element)),
      0);
  EXPECT_FALSE(has(table(0), element + " : goto")) << table(0);
  EXPECT_TRUE(AgentCluster::eventually([&] { return has(table(0), element + " : goto"); }, 10000))
      << table(0);
  EXPECT_TRUE(repairs(2)) << metrics(0);
  EXPECT_TRUE(new_connection_answers());
  std::string log;
  sh("cat " + c_->node(0).log(), &log);
  EXPECT_TRUE(has(log, "changed outside podnetd): full resync")) << log;
}

}  // namespace
}  // namespace podnet::testing
