// One node netns (bridge br0 192.168.0.1/24 with three pod netns, eth0 10.1.1.1/24 to an
// "outside" netns 10.1.1.2) programmed by a Proxier; tiny TCP/UDP servers in the pods answer
// "<own address> <peer address>" so every test sees which endpoint served and what source it saw.
// Every namespace is removed in TearDown, also after a failure; the root namespace is untouched.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "podnet/proxy/proxier.hpp"
#include "podnet/sys/netns.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::proxy {
namespace {

using podnet::testing::ScopedNetns;

net::IpAddress ip(const std::string& s) {
  return *net::IpAddress::parse(s);
}

// A server socket bound inside a netns, answering on its own thread until destroyed.
class Server {
 public:
  Server(const sys::Netns& ns, const std::string& addr, uint16_t port, bool udp) : udp_(udp) {
    auto fd = sys::run_in(ns, [&]() -> int {
      int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
      if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || (!udp && listen(s, 64) < 0)) {
        close(s);
        return -1;
      }
      return s;
    });
    fd_ = fd ? *fd : -1;
    if (fd_ >= 0) thread_ = std::thread([this, addr] { loop(addr); });
  }
  ~Server() {
    stop_ = true;
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  void loop(const std::string& self) {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      char buf[512];
      if (udp_) {
        ssize_t n =
            recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer), &len);
        if (n < 0) continue;
        std::string reply = fmt::format("{} {}", self, inet_ntoa(peer.sin_addr));
        sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), len);
      } else {
        int c =
            accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) continue;
        std::string reply = fmt::format("{} {}", self, inet_ntoa(peer.sin_addr));
        (void)!write(c, reply.data(), reply.size());
        close(c);
      }
    }
  }
  bool udp_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Answer {
  int err = 0;       // 0, ECONNREFUSED, ETIMEDOUT, ...
  std::string text;  // "<endpoint> <peer seen>"
  std::string endpoint() const { return text.substr(0, text.find(' ')); }
  std::string peer() const { return text.substr(text.find(' ') + 1); }
};

int client_socket(const sys::Netns& ns, bool udp, uint16_t local_port = 0) {
  auto fd = sys::run_in(ns, [&] {
    int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (local_port) {
      int one = 1;
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(local_port);
      bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
    return s;
  });
  return fd ? *fd : -1;
}

// Connects (or sends one datagram) and reads the answer, waiting at most timeout_ms.
Answer ask_fd(int s, const std::string& addr, uint16_t port, bool udp, int timeout_ms) {
  Answer a;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  if (connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 && errno != EINPROGRESS) {
    a.err = errno;
    return a;
  }
  if (udp) (void)!send(s, "x", 1, 0);
  pollfd p{s, POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r == 0) {
    a.err = ETIMEDOUT;
    return a;
  }
  char buf[512];
  ssize_t n = recv(s, buf, sizeof buf, 0);
  if (n < 0) {
    a.err = errno;
    int e = 0;
    socklen_t l = sizeof e;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l) == 0 && e) a.err = e;
    return a;
  }
  if (n == 0) {
    int e = 0;
    socklen_t l = sizeof e;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l);
    a.err = e ? e : ECONNRESET;
    return a;
  }
  a.text.assign(buf, static_cast<size_t>(n));
  return a;
}

Answer ask(const sys::Netns& ns, const std::string& addr, uint16_t port, bool udp = false,
           int timeout_ms = 5000) {
  int s = client_socket(ns, udp);
  Answer a = ask_fd(s, addr, port, udp, timeout_ms);
  close(s);
  return a;
}

class ProxierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!podnet::testing::have_root()) GTEST_SKIP() << "needs root: creates network namespaces";
    prefix_ = podnet::testing::unique_prefix("px");
    node_ = std::make_unique<ScopedNetns>(prefix_ + "node");
    ext_ = std::make_unique<ScopedNetns>(prefix_ + "ext");
    std::string out;
    ASSERT_EQ(node_->sh("sysctl -qw net.ipv4.ip_forward=1 && ip link set lo up && "
                        "ip link add br0 type bridge && ip addr add 192.168.0.1/24 dev br0 && ip "
                        "link set br0 up",
                        &out),
              0)
        << out;
    ASSERT_EQ(podnet::testing::sh(
                  fmt::format("ip -n {0} link add eth0 type veth peer name eth0 netns {1}",
                              node_->name(), ext_->name()),
                  &out),
              0)
        << out;
    // A default route as real nodes have: ClusterIPs are routed (then translated or rejected).
    ASSERT_EQ(node_->sh("ip addr add 10.1.1.1/24 dev eth0 && ip link set eth0 up && "
                        "ip route add default via 10.1.1.2",
                        &out),
              0)
        << out;
    ASSERT_EQ(
        ext_->sh("ip link set lo up && ip addr add 10.1.1.2/24 dev eth0 && ip link set eth0 up && "
                 "ip route add 10.96.0.0/12 via 10.1.1.1",
                 &out),
        0)
        << out;
    for (int i = 0; i < 3; ++i) {
      auto p = std::make_unique<ScopedNetns>(fmt::format("{}p{}", prefix_, i));
      std::string addr = fmt::format("192.168.0.{}", i + 2);
      ASSERT_EQ(podnet::testing::sh(
                    fmt::format("ip -n {0} link add v{2} type veth peer name eth0 netns {1} && "
                                "ip -n {0} link set v{2} master br0 up && "
                                "ip -n {0} link set v{2} type bridge_slave hairpin on",
                                node_->name(), p->name(), i),
                    &out),
                0)
          << out;
      ASSERT_EQ(
          p->sh(fmt::format(
                    "ip link set lo up && ip addr add {}/24 dev eth0 && ip link set eth0 up && "
                    "ip route add default via 192.168.0.1",
                    addr),
                &out),
          0)
          << out;
      pod_addr_.push_back(addr);
      pods_.push_back(std::move(p));
    }
    node_ns_.emplace(*sys::Netns::open(node_->path()));
    ext_ns_.emplace(*sys::Netns::open(ext_->path()));
    for (auto& p : pods_) pod_ns_.push_back(*sys::Netns::open(p->path()));
    // Servers: TCP 8080 and UDP 5353 in pods 0 and 1; pod 2 is the client.
    for (int i = 0; i < 2; ++i) {
      servers_.push_back(std::make_unique<Server>(pod_ns_[i], pod_addr_[i], 8080, false));
      servers_.push_back(std::make_unique<Server>(pod_ns_[i], pod_addr_[i], 5353, true));
    }
    for (auto& s : servers_) ASSERT_TRUE(s->ok());
    auto px = sys::run_in(*node_ns_, [] { return Proxier::open(); });
    ASSERT_TRUE(px) << px.error().message;
    proxier_ = std::make_unique<Proxier>(std::move(*px));
  }
  void TearDown() override {
    servers_.clear();
    if (proxier_) (void)sys::run_in(*node_ns_, [&] { return proxier_->remove_all(); });
    proxier_.reset();
  }

  NodeInfo node_info() const { return {cluster_cidr_, *net::Prefix::parse("10.96.0.0/12")}; }
  Endpoint ep(int pod, uint16_t port, bool local = true) {
    return Endpoint{ip(pod_addr_[pod]), port, local};
  }
  Service svc(std::string name, std::string cip, std::vector<ServicePort> ports) {
    Service s;
    s.ns = "default";
    s.name = std::move(name);
    s.cluster_ip = ip(cip);
    s.ports = std::move(ports);
    return s;
  }
  SyncStats sync(const std::vector<Service>& services) {
    auto r = sys::run_in(*node_ns_, [&] {
      return proxier_->sync(Snapshot{node_info(), services});
    });
    EXPECT_TRUE(r) << (r ? std::string()
                         : fmt::format("errno {} message [{}]", r.error().sys_errno,
                                       r.error().message));
    return r ? *r : SyncStats{};
  }
  std::string nft(const std::string& cmd) {
    std::string out;
    node_->sh("nft " + cmd, &out);
    return out;
  }

  net::Prefix cluster_cidr_ = *net::Prefix::parse("192.168.0.0/16");
  std::string prefix_;
  std::unique_ptr<ScopedNetns> node_, ext_;
  std::vector<std::unique_ptr<ScopedNetns>> pods_;
  std::vector<std::string> pod_addr_;
  std::optional<sys::Netns> node_ns_, ext_ns_;
  std::vector<sys::Netns> pod_ns_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::unique_ptr<Proxier> proxier_;
};

TEST_F(ProxierTest, ClusterIpReachesEveryEndpointAndKeepsClientSource) {
  auto st = sync(
      {svc("web", "10.96.0.10", {{"http", Protocol::tcp, 80, 0, {ep(0, 8080), ep(1, 8080)}}})});
  EXPECT_TRUE(st.full);
  EXPECT_EQ(st.services, 1u);
  EXPECT_EQ(st.endpoints, 2u);
  std::map<std::string, int> seen;
  for (int i = 0; i < 100; ++i) {
    Answer a = ask(pod_ns_[2], "10.96.0.10", 80);
    ASSERT_EQ(a.err, 0) << strerror(a.err);
    EXPECT_EQ(a.peer(), pod_addr_[2]);  // pod -> ClusterIP -> pod: no masquerade
    seen[a.endpoint()]++;
  }
  EXPECT_EQ(seen.size(), 2u);  // every endpoint and no other address
  EXPECT_TRUE(seen.count(pod_addr_[0]) && seen.count(pod_addr_[1]));
  EXPECT_GT(seen[pod_addr_[0]], 20);  // random mod 2: both well used
  EXPECT_GT(seen[pod_addr_[1]], 20);
  // The node's own traffic (nat output).
  Answer a = ask(*node_ns_, "10.96.0.10", 80);
  EXPECT_EQ(a.err, 0) << strerror(a.err);
  // From outside the cluster CIDR: masqueraded to the node's address on the pod bridge.
  a = ask(*ext_ns_, "10.96.0.10", 80);
  ASSERT_EQ(a.err, 0) << strerror(a.err);
  EXPECT_EQ(a.peer(), "192.168.0.1");
}

TEST_F(ProxierTest, ExternalIpServesFromOutsidePodsAndTheNode) {
  // The outside host routes the external IP to the node (the network's job, as for kube-proxy).
  std::string out;
  ASSERT_EQ(ext_->sh("ip route add 203.0.113.10/32 via 10.1.1.1", &out), 0) << out;
  Service web = svc("web", "10.96.0.10",
                    {{"http", Protocol::tcp, 80, 0, {ep(0, 8080), ep(1, 8080)}},
                     {"dns", Protocol::udp, 53, 0, {ep(0, 5353)}}});
  web.external_ips = {ip("203.0.113.10")};
  sync({web});
  std::map<std::string, int> seen;
  for (int i = 0; i < 40; ++i) {
    Answer a = ask(*ext_ns_, "203.0.113.10", 80);
    ASSERT_EQ(a.err, 0) << strerror(a.err);
    EXPECT_EQ(a.peer(), "192.168.0.1");  // from outside the cluster: masqueraded
    seen[a.endpoint()]++;
  }
  EXPECT_EQ(seen.size(), 2u);  // every endpoint
  Answer a = ask(*ext_ns_, "203.0.113.10", 53, true);
  ASSERT_EQ(a.err, 0) << strerror(a.err);
  EXPECT_EQ(a.endpoint(), pod_addr_[0]);
  // A pod keeps its address; the node reaches it through nat output.
  a = ask(pod_ns_[2], "203.0.113.10", 80);
  ASSERT_EQ(a.err, 0) << strerror(a.err);
  EXPECT_EQ(a.peer(), pod_addr_[2]);
  EXPECT_EQ(ask(*node_ns_, "203.0.113.10", 80).err, 0);
  // Without endpoints the external IP rejects at once, like the ClusterIP.
  web.ports[0].endpoints.clear();
  sync({web});
  EXPECT_EQ(ask(*ext_ns_, "203.0.113.10", 80).err, ECONNREFUSED);
  // The external IP taken away: nothing of it is left in the table.
  web.external_ips.clear();
  sync({web});
  EXPECT_EQ(nft("list table ip podnet-svc").find("203.0.113.10"), std::string::npos);
}

TEST_F(ProxierTest, NoEndpointsAndUnknownPortRejectAtOnceUnallocatedAddressDrops) {
  sync({svc("empty", "10.96.0.20",
            {{"http", Protocol::tcp, 80, 30020, {}}, {"dns", Protocol::udp, 53, 0, {}}}),
        svc("web", "10.96.0.10", {{"http", Protocol::tcp, 80, 0, {ep(0, 8080)}}})});
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.20", 80).err, ECONNREFUSED);
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.20", 53, true).err, ECONNREFUSED);
  EXPECT_EQ(ask(*node_ns_, "10.96.0.20", 80).err, ECONNREFUSED);
  EXPECT_EQ(ask(*ext_ns_, "10.1.1.1", 30020).err, ECONNREFUSED);
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.10", 81).err, ECONNREFUSED);  // unknown port
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.10", 80).err, 0);
  // An address of the service CIDR that no Service holds is dropped (kube-proxy's behaviour),
  // from a pod (forward) and from the node (output): no answer at all.
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.99", 80, false, 300).err, ETIMEDOUT);
  EXPECT_EQ(ask(*node_ns_, "10.96.0.99", 80, false, 300).err, ETIMEDOUT);
}

TEST_F(ProxierTest, NodePortPolicies) {
  Service cluster =
      svc("np", "10.96.0.30", {{"http", Protocol::tcp, 80, 30080, {ep(0, 8080), ep(1, 8080)}}});
  Service local = svc("npl", "10.96.0.31",
                      {{"http", Protocol::tcp, 80, 30081, {ep(0, 8080), ep(1, 8080, false)}}});
  local.external_local = true;
  Service remote =
      svc("npr", "10.96.0.32", {{"http", Protocol::tcp, 80, 30082, {ep(1, 8080, false)}}});
  remote.external_local = true;
  sync({cluster, local, remote});
  std::set<std::string> seen;
  for (int i = 0; i < 40; ++i) {
    Answer a = ask(*ext_ns_, "10.1.1.1", 30080);
    ASSERT_EQ(a.err, 0) << strerror(a.err);
    EXPECT_EQ(a.peer(), "192.168.0.1");  // policy Cluster: masqueraded
    seen.insert(a.endpoint());
  }
  EXPECT_EQ(seen.size(), 2u);
  for (int i = 0; i < 20; ++i) {
    Answer a = ask(*ext_ns_, "10.1.1.1", 30081);
    ASSERT_EQ(a.err, 0) << strerror(a.err);
    EXPECT_EQ(a.endpoint(), pod_addr_[0]);  // only the local endpoint
    EXPECT_EQ(a.peer(), "10.1.1.2");        // client address kept
  }
  // No local endpoint: dropped (no answer, no reset) for outside clients...
  EXPECT_EQ(ask(*ext_ns_, "10.1.1.1", 30082, false, 1000).err, ETIMEDOUT);
  // ...while pods still reach it through every endpoint (served as policy Cluster).
  Answer a = ask(pod_ns_[2], "192.168.0.1", 30082);
  EXPECT_EQ(a.err, 0) << strerror(a.err);
}

TEST_F(ProxierTest, HairpinMasqueradesAPodReachingItself) {
  sync({svc("self", "10.96.0.40", {{"http", Protocol::tcp, 80, 0, {ep(0, 8080)}}})});
  Answer a = ask(pod_ns_[0], "10.96.0.40", 80);
  ASSERT_EQ(a.err, 0) << strerror(a.err);
  EXPECT_EQ(a.endpoint(), pod_addr_[0]);
  EXPECT_EQ(a.peer(), "192.168.0.1");
}

TEST_F(ProxierTest, UdpEndpointReplacedDeletesConntrackEntry) {
  Service dns = svc("dns", "10.96.0.53", {{"dns", Protocol::udp, 53, 0, {ep(0, 5353)}}});
  sync({dns});
  int s = client_socket(pod_ns_[2], true, 40000);
  Answer a = ask_fd(s, "10.96.0.53", 53, true, 5000);
  ASSERT_EQ(a.err, 0) << strerror(a.err);
  EXPECT_EQ(a.endpoint(), pod_addr_[0]);
  dns.ports[0].endpoints = {ep(1, 5353)};
  SyncStats st = sync({dns});
  EXPECT_FALSE(st.full);
  EXPECT_GE(st.conntrack_deleted, 1u);
  a = ask_fd(s, "10.96.0.53", 53, true, 5000);
  ASSERT_EQ(a.err, 0) << strerror(a.err);
  EXPECT_EQ(a.endpoint(), pod_addr_[1]);  // the same client flow now reaches the new endpoint
  close(s);
}

TEST_F(ProxierTest, AffinityPinsAClient) {
  Service s =
      svc("sticky", "10.96.0.60", {{"http", Protocol::tcp, 80, 30060, {ep(0, 8080), ep(1, 8080)}}});
  s.affinity_timeout = 60;
  sync({s});
  std::set<std::string> seen;
  for (int i = 0; i < 30; ++i) {
    Answer a = ask(pod_ns_[2], "10.96.0.60", 80);
    ASSERT_EQ(a.err, 0) << strerror(a.err);
    seen.insert(a.endpoint());
  }
  EXPECT_EQ(seen.size(), 1u);
  seen.clear();
  for (int i = 0; i < 20; ++i) {
    Answer a = ask(*ext_ns_, "10.1.1.1", 30060);
    ASSERT_EQ(a.err, 0) << strerror(a.err);
    seen.insert(a.endpoint());
  }
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(ProxierTest, IncrementalAndDeletion) {
  Service a = svc("a", "10.96.0.70", {{"http", Protocol::tcp, 80, 30070, {ep(0, 8080)}}});
  Service b = svc("b", "10.96.0.71", {{"http", Protocol::tcp, 80, 0, {ep(0, 8080), ep(1, 8080)}}});
  b.affinity_timeout = 30;
  EXPECT_TRUE(sync({a, b}).full);
  a.ports[0].endpoints = {ep(1, 8080)};
  SyncStats st = sync({a, b});
  EXPECT_FALSE(st.full);
  // Only a's two endpoint elements change (ClusterIP and NodePort), plus the hairpin element of pod
  // 0 still used by b, so: 2 removed + 2 added.
  EXPECT_EQ(st.changes, 4u);
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.70", 80).endpoint(), pod_addr_[1]);
  // Deleting b leaves no element, chain or set of it.
  st = sync({a});
  EXPECT_FALSE(st.full);
  std::string table = nft("list table ip podnet-svc");
  EXPECT_EQ(table.find("10.96.0.71"), std::string::npos) << table;
  EXPECT_EQ(table.find("aff"), std::string::npos) << table;
  // pick-2 itself stays: the shared pick chains come with the table (precreated_chain).
  EXPECT_EQ(table.find("goto pick-2"), std::string::npos) << table;
  EXPECT_NE(table.find("10.96.0.70"), std::string::npos) << table;
  EXPECT_NE(ask(pod_ns_[2], "10.96.0.71", 80, false, 1000).err, 0);
}

TEST_F(ProxierTest, FullResyncRemovesStaleState) {
  Service a = svc("a", "10.96.0.80", {{"http", Protocol::tcp, 80, 0, {ep(0, 8080)}}});
  sync({a});
  std::string script = "/tmp/" + prefix_ + "stale.nft";
  {
    FILE* f = fopen(script.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(
        "add chain ip podnet-svc pick-99\n"
        "add element ip podnet-svc service-ips { 10.96.0.99 . tcp . 80 : goto pick-99 }\n"
        "add set ip podnet-svc affs-old { type ipv4_addr; }\n",
        f);
    fclose(f);
  }
  std::string out;
  int rc = node_->sh("nft -f " + script, &out);
  unlink(script.c_str());
  ASSERT_EQ(rc, 0) << out;
  // A new Proxier (podnetd restart) starts with a full resync, over the table it finds: the
  // table is kept (same handle), not rebuilt, so new connections never see it half-made.
  auto table_line = [&] {
    std::string t = nft("-a list table ip podnet-svc");
    return t.substr(0, t.find('\n'));  // "table ip podnet-svc { # handle N"
  };
  const std::string handle_before = table_line();
  ASSERT_NE(handle_before.find("# handle"), std::string::npos) << handle_before;
  auto px = sys::run_in(*node_ns_, [] { return Proxier::open(); });
  ASSERT_TRUE(px);
  *proxier_ = std::move(*px);
  SyncStats st = sync({a});
  EXPECT_TRUE(st.full);
  EXPECT_EQ(table_line(), handle_before) << "the full resync rebuilt the table";
  std::string table = nft("list table ip podnet-svc");
  EXPECT_EQ(table.find("10.96.0.99"), std::string::npos) << table;
  EXPECT_EQ(table.find("pick-99"), std::string::npos) << table;
  EXPECT_EQ(table.find("affs-old"), std::string::npos) << table;
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.80", 80).endpoint(), pod_addr_[0]);
  // remove_all leaves nothing.
  ASSERT_TRUE(sys::run_in(*node_ns_, [&] { return proxier_->remove_all(); }));
  EXPECT_EQ(nft("list table ip podnet-svc").find("chain"), std::string::npos);
}

// A restart (a new Proxier's full sync over the table it finds) keeps the shared pick chains
// when they were made for the same cluster CIDR, read from pick-1's rule whatever bytes nft
// compares for the prefix length (a /10 under a mask, a /16 as two bytes), and remakes them
// for another CIDR.
TEST_F(ProxierTest, RestartKeepsPickChainsOfTheSameClusterCidrOnly) {
  Service a = svc("a", "10.96.0.90", {{"http", Protocol::tcp, 80, 0, {ep(0, 8080)}}});
  auto restart = [&] {
    auto px = sys::run_in(*node_ns_, [] { return Proxier::open(); });
    EXPECT_TRUE(px);
    if (px) *proxier_ = std::move(*px);
    return sync({a});
  };
  auto handle = [&] {
    std::string t = nft("-a list table ip podnet-svc");
    return t.substr(0, t.find('\n'));
  };
  cluster_cidr_ = *net::Prefix::parse("192.128.0.0/10");
  EXPECT_TRUE(sync({a}).full);
  const std::string first = handle();
  EXPECT_TRUE(restart().full);
  EXPECT_EQ(handle(), first) << "same CIDR: the table and its pick chains are kept";
  EXPECT_NE(nft("list chain ip podnet-svc pick-1").find("ip saddr != 192.128.0.0/10 "),
            std::string::npos);
  cluster_cidr_ = *net::Prefix::parse("192.168.0.0/16");
  EXPECT_TRUE(restart().full);
  EXPECT_NE(nft("list chain ip podnet-svc pick-1").find("ip saddr != 192.168.0.0/16 "),
            std::string::npos)
      << nft("list chain ip podnet-svc pick-1");
  const std::string second = handle();
  EXPECT_TRUE(restart().full);
  EXPECT_EQ(handle(), second);
  EXPECT_EQ(ask(pod_ns_[2], "10.96.0.90", 80).endpoint(), pod_addr_[0]);
}

}  // namespace
}  // namespace podnet::proxy
