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

#include <fmt/format.h>

#include "agent_cluster.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/store/store.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::testing {
namespace {

constexpr const char* kClusterIp = "10.96.0.50";

bool has(const std::string& h, const std::string& n) { return h.find(n) != std::string::npos; }

// A socket made inside the namespace at `ns_path` (it stays there when used from this thread).
UniqueFd socket_in(const std::string& ns_path) {
  auto ns = sys::Netns::open(ns_path);
  if (!ns) return UniqueFd();
  auto fd = sys::run_in(*ns, [] { return UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
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
    for (int i = 0; i < 2; ++i) c_->start(i);
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(i).empty(); }))
          << c_->node(i).name << " wrote no conflist";
    auto s = store::open_store(c_->store_url());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
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
    ASSERT_TRUE(store_->put(cluster::pod_key("default", name), cluster::to_json(p).dump()));
  }
  void put_service(uint16_t target) {
    cluster::Service s;
    s.name = "echo";
    s.clusterIP = net::IpAddress::parse(kClusterIp).value();
    s.selector = {{"app", "echo"}};
    s.ports = {{.name = "", .protocol = cluster::Protocol::TCP, .port = 80, .targetPort = target}};
    ASSERT_TRUE(store_->put(cluster::service_key("default", "echo"), cluster::to_json(s).dump()));
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

  std::unique_ptr<AgentCluster> c_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ServiceProxyAgent, RulesOnEveryNodeAndConnectionsOutliveARestart) {
  std::string client_ip = c_->add_pod(0, "c0");
  std::string server_ip = c_->add_pod(1, "s1");
  ASSERT_FALSE(client_ip.empty());
  ASSERT_FALSE(server_ip.empty());
  const std::string client_ns = "/var/run/netns/" + c_->pod_ns("c0");
  const std::string server_ns = "/var/run/netns/" + c_->pod_ns("s1");

  UniqueFd listener = socket_in(server_ns);
  ASSERT_TRUE(listener);
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto la = addr("0.0.0.0", 8080);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&la), sizeof la), 0);
  ASSERT_EQ(::listen(listener.get(), 16), 0);

  put_pod("s1", 1, server_ip, 8080);
  put_service(8080);

  // Programmed on both nodes; the client pod reaches the server through the ClusterIP.
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return has(table(i), kClusterIp); }, 10000))
        << c_->node(i).name << ":\n" << table(i);
  UniqueFd conn;
  ASSERT_TRUE(AgentCluster::eventually(
      [&] { return bool(conn = connect_from(client_ns, kClusterIp, 80)); }, 10000));
  pollfd pa{listener.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pa, 1, 3000), 1);
  sockaddr_in peer{};
  socklen_t plen = sizeof peer;
  UniqueFd served(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_CLOEXEC));
  ASSERT_TRUE(served);
  char peer_ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, peer_ip, sizeof peer_ip);
  EXPECT_EQ(std::string(peer_ip), client_ip) << "pod -> ClusterIP -> pod keeps the client address";
  EXPECT_TRUE(carries(conn.get(), served.get(), 'a'));
  EXPECT_TRUE(carries(served.get(), conn.get(), 'b'));

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
  {
    UniqueFd second = connect_from(client_ns, kClusterIp, 80);
    EXPECT_TRUE(second) << "new connections while podnetd is down";
    ASSERT_EQ(::poll(&pa, 1, 3000), 1);
    UniqueFd s2(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    EXPECT_TRUE(s2);
  }

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
  ASSERT_TRUE(store_->del(cluster::service_key("default", "echo")));
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return !has(table(i), kClusterIp); }, 10000))
        << table(i);
  std::string err;
  ASSERT_EQ(c_->run(1, c_->args(1, {"--leave"}), &err), 0) << err;
  EXPECT_TRUE(has(table(1), "No such file or directory") || !has(table(1), "podnet-svc")) << table(1);
}

}  // namespace
}  // namespace podnet::testing
