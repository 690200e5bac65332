// Services end to end on a real 3-node lab, through the podnetctl binary as a user drives it:
// the behaviours Kubernetes' own Service e2e tests check (sig-network), each against what
// podnetd's proxy programs on every node. Each test has its own lab and takes it down after.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kNodes = {"lxb001", "lxb002", "lxb003"};
const std::map<std::string, std::string> kNodeIps = {
    {"lxb001", "10.1.1.15"}, {"lxb002", "10.1.1.16"}, {"lxb003", "10.1.1.17"}};

// "pod web-abcde ip 192.168.0.2 node lxb001\n" -> "web-abcde"; "" when not such an answer.
std::string answering_pod(const std::string& body) {
  static const std::regex re("^pod (\\S+) ip \\S+ node \\S+\n?$");
  std::smatch m;
  return std::regex_match(body, m, re) ? m[1].str() : std::string();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

class ServiceLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root";
    ctl_ = build_path("apps/podnetctl/podnetctl");
    auto p = unique_prefix("svc");
    lab_ = p.substr(0, p.size() - 1);
    dir_ = fs::temp_directory_path() / ("podnet-" + lab_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all);
    std::string out;
    int rc = ctl("lab up --nodes 3", &out);
    up_ = true;
    ASSERT_EQ(rc, 0) << out;
  }
  void TearDown() override {
    if (up_) {
      std::string out;
      EXPECT_EQ(ctl("lab down", &out), 0) << out;
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  int ctl(const std::string& args, std::string* out = nullptr) const {
    return sh(fmt::format("{} --lab {} {} 2>&1", ctl_, lab_, args), out);
  }
  std::string ctl_ok(const std::string& args) const {
    std::string out;
    EXPECT_EQ(ctl(args, &out), 0) << args << ": " << out;
    return out;
  }
  // `podnetctl apply -f` of `text` written to a private file.
  std::string apply(const std::string& text, int* rc_out = nullptr) {
    const std::string path = dir_ + "/obj-" + std::to_string(files_++) + ".json";
    std::ofstream(path) << text;
    std::string out;
    int rc = ctl("apply -f " + path, &out);
    if (rc_out)
      *rc_out = rc;
    else
      EXPECT_EQ(rc, 0) << text << ": " << out;
    return out;
  }

  // Deployment NAME with n ready pods; returns them.
  std::vector<cluster::Pod> deploy(const std::string& name, int n) {
    std::string out;
    EXPECT_EQ(ctl(fmt::format("create deployment {} --replicas {} --timeout 90", name, n), &out), 0)
        << out;
    return wait_pods(name, size_t(n));
  }
  std::vector<cluster::Pod> wait_pods(const std::string& app, size_t n,
                                      const std::set<std::string>& not_these = {}) {
    std::vector<cluster::Pod> pods;
    for (auto end = Clock::now() + 90s; Clock::now() < end; std::this_thread::sleep_for(200ms)) {
      std::string out;
      if (ctl("get pods -o json", &out) != 0) continue;
      auto j = nlohmann::json::parse(out, nullptr, false);
      if (!j.is_object() || !j.contains("items")) continue;
      pods.clear();
      for (const auto& item : j["items"]) {
        auto p = cluster::pod_from_json(item);
        if (p && p->labels.contains("app") && p->labels.at("app") == app && p->ready && p->podIP &&
            !not_these.contains(p->name))
          pods.push_back(*p);
      }
      if (pods.size() == n) return pods;
    }
    ADD_FAILURE() << "deployment " << app << " did not get " << n << " ready pods";
    return pods;
  }

  nlohmann::json service_json(const std::string& name) {
    std::string out;
    if (ctl("get services " + name + " -o json", &out) != 0) return {};
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_object() && j.contains("items") && j["items"].is_array() && !j["items"].empty())
      return j["items"][0];
    return j.is_object() ? j : nlohmann::json{};
  }
  std::string cluster_ip(const std::string& name) {
    auto j = service_json(name);
    return j.is_object() ? j["spec"].value("clusterIP", "") : "";
  }
  int node_port(const std::string& name, size_t i = 0) {
    auto j = service_json(name);
    return j.is_object() ? j["spec"]["ports"][i].value("nodePort", 0) : 0;
  }

  // curl from `where` ("--node lxb001", "--ext" or a pod name); the body, or "" with *rc set.
  std::string curl(const std::string& where, const std::string& url, int* rc = nullptr,
                   int max_seconds = 3) {
    std::string out;
    int r = ctl(fmt::format("exec {} -- curl -s -m {} {}", where, max_seconds, url), &out);
    if (rc) *rc = r;
    return r == 0 ? out : "";
  }
  // The first answer within a deadline: the proxy programs a change on every node moments
  // after the store has it.
  std::string curl_until(const std::string& where, const std::string& url) {
    for (auto end = Clock::now() + 30s; Clock::now() < end; std::this_thread::sleep_for(100ms)) {
      auto body = curl(where, url, nullptr, 1);
      if (!answering_pod(body).empty()) return body;
    }
    return "";
  }
  // One UDP datagram from `where`, from source port `sport`; the answer ("" when none).
  std::string udp(const std::string& where, const std::string& ip, int port, int sport) {
    std::string out;
    ctl(fmt::format("exec {} -- sh -c 'echo ping | nc -u -w 2 -p {} {} {}'", where, sport, ip, port),
        &out);
    return out;
  }
  // The service table on a node, as nft lists it ("" when the table is missing).
  std::string svc_table(const std::string& node) {
    std::string out;
    ctl(fmt::format("exec --node {} -- nft list table ip podnet-svc", node), &out);
    return out;
  }

  std::string ctl_, lab_, dir_;
  bool up_ = false;
  int files_ = 0;
};

TEST_F(ServiceLab, ClusterIpReachesEveryEndpointFromEveryPodAndNode) {
  auto pods = deploy("web", 3);
  ASSERT_EQ(pods.size(), 3u);
  std::string out = ctl_ok("create service clusterip web --tcp=80:80");
  EXPECT_NE(out.find("service/web created"), std::string::npos) << out;
  const std::string ip = cluster_ip("web");
  ASSERT_TRUE(net::IpAddress::parse(ip)) << ip;
  EXPECT_TRUE(net::Prefix::parse("10.96.0.0/12")->contains(*net::IpAddress::parse(ip))) << ip;

  // Reached from every node (the output hook) and every pod.
  for (const auto& n : kNodes)
    EXPECT_FALSE(answering_pod(curl_until("--node " + n, "http://" + ip)).empty()) << "from " << n;
  for (const auto& p : pods)
    EXPECT_FALSE(answering_pod(curl_until(p.name, "http://" + ip)).empty()) << "from " << p.name;

  // 200 connections from one pod: every endpoint answers, nothing else does. About a third of
  // them reach the client pod itself through its own Service (hairpin).
  const cluster::Pod& client = pods[0];
  ASSERT_EQ(ctl(fmt::format("exec {} -- sh -c 'for i in $(seq 200); do curl -s -m 3 "
                            "http://{}/from-client; done'",
                            client.name, ip),
                &out),
            0)
      << out;
  std::map<std::string, int> seen;
  for (const auto& line : split_lines(out)) seen[answering_pod(line)]++;
  std::set<std::string> want;
  for (const auto& p : pods) want.insert(p.name);
  int total = 0;
  for (const auto& [name, count] : seen) {
    EXPECT_TRUE(want.contains(name)) << "unexpected answer \"" << name << "\" x" << count;
    total += count;
  }
  EXPECT_EQ(total, 200) << out;
  for (const auto& name : want) EXPECT_GT(seen[name], 0) << name << " never answered";

  // The other pods saw the client pod's own address: no masquerade pod -> ClusterIP -> pod.
  for (const auto& p : pods) {
    if (p.name == client.name) continue;
    ctl("logs " + p.name, &out);
    int lines = 0;
    for (const auto& line : split_lines(out))
      if (line.find("/from-client") != std::string::npos) {
        ++lines;
        EXPECT_NE(line.find(" " + client.podIP->str() + ":"), std::string::npos) << line;
      }
    EXPECT_GT(lines, 0) << p.name << ": " << out;
  }

  // A port the Service does not have is refused at once, not left to time out.
  int rc = 0;
  auto t0 = Clock::now();
  curl("--node lxb002", "http://" + ip + ":81", &rc, 5);
  EXPECT_EQ(rc, 7) << "curl: connection refused expected";
  EXPECT_LT(Clock::now() - t0, 4s);

  // Deleted: no element, chain or set of it is left on any node.
  out = ctl_ok("delete service web");
  EXPECT_NE(out.find("service \"web\" deleted"), std::string::npos) << out;
  for (const auto& n : kNodes) {
    std::string table;
    for (auto end = Clock::now() + 20s; Clock::now() < end; std::this_thread::sleep_for(100ms)) {
      table = svc_table(n);
      if (table.find(ip) == std::string::npos) break;
    }
    EXPECT_EQ(table.find(ip), std::string::npos) << n << ":\n" << table;
  }
}

TEST_F(ServiceLab, NodePortFromOutsideTypeChangesCollisionsAndRelease) {
  auto pods = deploy("web", 3);
  ASSERT_EQ(pods.size(), 3u);
  std::string out = ctl_ok("expose deployment web --port 80 --type NodePort");
  EXPECT_NE(out.find("service/web exposed"), std::string::npos) << out;
  const int np = node_port("web");
  ASSERT_GE(np, 30000);
  ASSERT_LE(np, 32767);
  const std::string ip = cluster_ip("web");

  // From the outside host through every node's address.
  for (const auto& [node, addr] : kNodeIps)
    EXPECT_FALSE(answering_pod(curl_until("--ext", fmt::format("http://{}:{}", addr, np))).empty())
        << "NodePort " << np << " on " << node;

  // Taken and out of range are refused with one line naming the port.
  int rc = 0;
  rc = ctl(fmt::format("create service nodeport other --tcp=80 --node-port {}", np), &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find(std::to_string(np)), std::string::npos) << out;
  rc = ctl("create service nodeport other --tcp=80 --node-port 29999", &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("29999"), std::string::npos) << out;
  EXPECT_NE(ctl("get services other", &out), 0) << "a refused Service must not exist: " << out;

  // NodePort -> ClusterIP: the node port closes, the ClusterIP keeps answering.
  const std::string as_clusterip = nlohmann::json{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "web"}, {"namespace", "default"}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", ip},
        {"selector", {{"app", "web"}}},
        {"ports", {{{"protocol", "TCP"}, {"port", 80}, {"targetPort", 80}}}}}}}.dump();
  out = apply(as_clusterip);
  EXPECT_NE(out.find("service/web configured"), std::string::npos) << out;
  EXPECT_EQ(cluster_ip("web"), ip) << "the ClusterIP is kept across type changes";
  bool closed = false;
  for (auto end = Clock::now() + 30s; !closed && Clock::now() < end;) {
    curl("--ext", fmt::format("http://10.1.1.16:{}", np), &rc, 1);
    closed = rc != 0;
  }
  EXPECT_TRUE(closed) << "NodePort " << np << " still answers after the change to ClusterIP";
  EXPECT_FALSE(answering_pod(curl_until("--node lxb003", "http://" + ip)).empty());

  // ... and back to NodePort: a node port again, reachable from outside.
  auto np_json = nlohmann::json::parse(as_clusterip);
  np_json["spec"]["type"] = "NodePort";
  out = apply(np_json.dump());
  EXPECT_NE(out.find("service/web configured"), std::string::npos) << out;
  const int np2 = node_port("web");
  ASSERT_GE(np2, 30000);
  EXPECT_FALSE(answering_pod(curl_until("--ext", fmt::format("http://10.1.1.17:{}", np2))).empty());

  // Deleting releases the node port: another Service can take it.
  ctl_ok("delete service web");
  out = ctl_ok(fmt::format("create service nodeport other --tcp=80 --node-port {}", np2));
  EXPECT_EQ(node_port("other"), np2) << out;
}

TEST_F(ServiceLab, ExternalIpServedOnTheNodeItIsRoutedTo) {
  auto pods = deploy("web", 2);
  ASSERT_EQ(pods.size(), 2u);
  std::string out = ctl_ok("expose deployment web --port 80 --external-ip 203.0.113.10");
  EXPECT_NE(out.find("service/web exposed"), std::string::npos) << out;
  out = ctl_ok("get svc web");
  EXPECT_NE(out.find(" 203.0.113.10 "), std::string::npos) << out;
  out = ctl_ok("describe service web");
  EXPECT_NE(out.find("External IPs:             203.0.113.10\n"), std::string::npos) << out;
  // The network outside routes the address to a node (here: the outside host's route to
  // lxb002); that node serves it, masquerading the outside client.
  ctl_ok("exec --ext -- ip route add 203.0.113.10/32 via 10.1.1.16");
  const std::string body = curl_until("--ext", "http://203.0.113.10");
  EXPECT_FALSE(answering_pod(body).empty()) << body;
  // A pod reaches it too, through its own node.
  EXPECT_FALSE(answering_pod(curl_until(pods[0].name, "http://203.0.113.10")).empty());
  // Refused with one line naming the field; the stored Service is unchanged.
  int rc = 0;
  out = apply(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
      "spec": {"selector": {"app": "web"}, "externalIPs": ["127.0.0.1"],
               "ports": [{"port": 80}]}})",
              &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("spec.externalIPs[0]: 127.0.0.1 cannot be an external IP"), std::string::npos)
      << out;
  EXPECT_EQ(service_json("web")["spec"]["externalIPs"], nlohmann::json::parse(R"(["203.0.113.10"])"));
  // Taken off the Service: no node keeps an element for it.
  apply(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})");
  for (const auto& [node, addr] : kNodeIps) {
    bool gone = false;
    for (auto end = Clock::now() + 10s; !gone && Clock::now() < end;
         std::this_thread::sleep_for(100ms))
      gone = svc_table(node).find("203.0.113.10") == std::string::npos;
    EXPECT_TRUE(gone) << node << ": " << svc_table(node);
  }
}

TEST_F(ServiceLab, NoEndpointsRejectAndUdpFollowsAReplacedPod) {
  // A Service whose selector matches nothing rejects at once.
  ctl_ok("create service clusterip nothing --tcp=80");
  const std::string empty_ip = cluster_ip("nothing");
  ASSERT_FALSE(empty_ip.empty());
  int rc = 0;
  bool refused = false;
  for (auto end = Clock::now() + 30s; !refused && Clock::now() < end;) {
    auto t0 = Clock::now();
    curl("--node lxb001", "http://" + empty_ip, &rc, 5);
    refused = rc == 7 && Clock::now() - t0 < 4s;
  }
  EXPECT_TRUE(refused) << "curl exit " << rc << " (7: refused at once)";

  // The same port on TCP and UDP, one pod behind it, as a NodePort.
  auto pods = deploy("echo", 1);
  ASSERT_EQ(pods.size(), 1u);
  apply(nlohmann::json{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "echo"}}},
      {"spec",
       {{"type", "NodePort"},
        {"selector", {{"app", "echo"}}},
        {"ports",
         {{{"name", "tcp"}, {"protocol", "TCP"}, {"port", 80}},
          {{"name", "udp"}, {"protocol", "UDP"}, {"port", 80}}}}}}}
            .dump());
  const std::string ip = cluster_ip("echo");
  const int np_udp = node_port("echo", 1);
  ASSERT_GE(np_udp, 30000);
  EXPECT_EQ(answering_pod(curl_until("--node lxb002", "http://" + ip)), pods[0].name);

  // UDP from fixed source ports, so the second datagram after the pod is replaced would hit
  // the same conntrack entry (pointing at the old pod) unless the proxy deleted it.
  std::string via_cip, via_np;
  for (auto end = Clock::now() + 30s; Clock::now() < end && (via_cip.empty() || via_np.empty());) {
    if (via_cip.empty()) via_cip = answering_pod(udp("--node lxb002", ip, 80, 41000));
    if (via_np.empty()) via_np = answering_pod(udp("--ext", "10.1.1.15", np_udp, 41001));
  }
  EXPECT_EQ(via_cip, pods[0].name);
  EXPECT_EQ(via_np, pods[0].name);

  ctl_ok("delete pod " + pods[0].name);
  auto fresh = wait_pods("echo", 1, {pods[0].name});
  ASSERT_EQ(fresh.size(), 1u);
  std::string after_cip, after_np;
  for (auto end = Clock::now() + 30s;
       Clock::now() < end && (after_cip != fresh[0].name || after_np != fresh[0].name);) {
    if (after_cip != fresh[0].name) after_cip = answering_pod(udp("--node lxb002", ip, 80, 41000));
    if (after_np != fresh[0].name) after_np = answering_pod(udp("--ext", "10.1.1.15", np_udp, 41001));
  }
  EXPECT_EQ(after_cip, fresh[0].name) << "UDP via the ClusterIP stuck on the old pod";
  EXPECT_EQ(after_np, fresh[0].name) << "UDP via the NodePort stuck on the old pod";
}

TEST_F(ServiceLab, SessionAffinityAndExternalTrafficPolicyLocal) {
  auto pods = deploy("web", 3);
  ASSERT_EQ(pods.size(), 3u);
  apply(nlohmann::json{{"apiVersion", "v1"},
                       {"kind", "Service"},
                       {"metadata", {{"name", "sticky"}}},
                       {"spec",
                        {{"selector", {{"app", "web"}}},
                         {"sessionAffinity", "ClientIP"},
                         {"ports", {{{"port", 80}}}}}}}
            .dump());
  const std::string ip = cluster_ip("sticky");
  ASSERT_FALSE(answering_pod(curl_until(pods[1].name, "http://" + ip)).empty());
  std::string out;
  ASSERT_EQ(ctl(fmt::format("exec {} -- sh -c 'for i in $(seq 30); do curl -s -m 3 http://{}; done'",
                            pods[1].name, ip),
                &out),
            0)
      << out;
  std::set<std::string> seen;
  for (const auto& line : split_lines(out)) seen.insert(answering_pod(line));
  EXPECT_EQ(seen.size(), 1u) << "ClientIP affinity pins one client to one pod:\n" << out;

  // externalTrafficPolicy Local: a single pod; its node answers and the pod sees the outside
  // client's own address; the other nodes drop.
  auto one = deploy("one", 1);
  ASSERT_EQ(one.size(), 1u);
  apply(nlohmann::json{{"apiVersion", "v1"},
                       {"kind", "Service"},
                       {"metadata", {{"name", "one"}}},
                       {"spec",
                        {{"type", "NodePort"},
                         {"externalTrafficPolicy", "Local"},
                         {"selector", {{"app", "one"}}},
                         {"ports", {{{"port", 80}}}}}}}
            .dump());
  const int np = node_port("one");
  ASSERT_GE(np, 30000);
  const std::string home = kNodeIps.at(one[0].node);
  EXPECT_EQ(answering_pod(curl_until("--ext", fmt::format("http://{}:{}/outside", home, np))),
            one[0].name);
  ctl("logs --tail 1 " + one[0].name, &out);
  EXPECT_NE(out.find(" 10.1.1.1:"), std::string::npos) << "client address kept: " << out;
  for (const auto& [node, addr] : kNodeIps) {
    if (node == one[0].node) continue;
    int rc = 0;
    curl("--ext", fmt::format("http://{}:{}", addr, np), &rc, 2);
    EXPECT_NE(rc, 0) << node << " has no local endpoint and must drop";
  }
}

// `podnetctl inspect service`: every node's elements, chains and conntrack entries for the
// Service; an element deleted by hand on one node is reported MISSING with exit status 1.
TEST_F(ServiceLab, InspectServiceShowsKernelStateAndMissingElements) {
  auto pods = deploy("web", 3);
  ASSERT_EQ(pods.size(), 3u);
  ctl_ok("create service clusterip web --tcp=80:80");
  const std::string ip = cluster_ip("web");
  ASSERT_TRUE(net::IpAddress::parse(ip)) << ip;
  // Programmed on every node once each answers.
  for (const auto& n : kNodes)
    ASSERT_FALSE(answering_pod(curl_until("--node " + n, "http://" + ip)).empty()) << n;

  std::string out;
  EXPECT_EQ(ctl("inspect service web", &out), 0) << out;
  for (const auto& [node, addr] : kNodeIps)
    EXPECT_NE(out.find(fmt::format("node {} ({})", node, addr)), std::string::npos) << out;
  EXPECT_NE(out.find(ip), std::string::npos) << out;
  for (const auto& p : pods) EXPECT_NE(out.find(p.podIP->str()), std::string::npos) << out;
  EXPECT_EQ(out.find("MISSING"), std::string::npos) << out;

  // One connection from a pod: its node's conntrack entry towards the ClusterIP, with the
  // client's address as source and an endpoint as reply source.
  const cluster::Pod& client = pods[0];
  EXPECT_FALSE(answering_pod(curl(client.name, "http://" + ip + "/inspect")).empty());
  EXPECT_EQ(ctl("inspect service web --node " + client.node, &out), 0) << out;
  bool seen = false;
  for (const auto& line : split_lines(out)) {
    if (line.find("src=" + client.podIP->str() + " dst=" + ip + " ") == std::string::npos)
      continue;
    // The reply tuple's source (the second src=) is the endpoint chosen; the client itself
    // when it reached its own Service (hairpin, then masqueraded).
    const auto reply = line.find("src=", line.find("src=") + 4);
    for (const auto& p : pods)
      if (reply != std::string::npos && line.compare(reply, 4 + p.podIP->str().size() + 1,
                                                     "src=" + p.podIP->str() + " ") == 0)
        seen = true;
  }
  EXPECT_TRUE(seen) << "no conntrack entry of " << client.podIP->str() << " -> " << ip << ":\n"
                    << out;

  // One endpoint element deleted by hand on lxb002.
  ctl("exec --node lxb002 -- nft list map ip podnet-svc svc-endpoints", &out);
  std::smatch m;
  const std::regex key_re(fmt::format("({}) \\. (\\w+) \\. (\\d+) \\. (\\d+) :",
                                      std::regex_replace(ip, std::regex("\\."), "\\.")));
  ASSERT_TRUE(std::regex_search(out, m, key_re)) << out;
  const std::string key = fmt::format("{} . {} . {} . {}", m[1].str(), m[2].str(), m[3].str(),
                                      m[4].str());
  ASSERT_EQ(ctl(fmt::format("exec --node lxb002 -- nft delete element ip podnet-svc "
                            "svc-endpoints '{{ {} }}'",
                            key),
                &out),
            0)
      << out;
  EXPECT_EQ(ctl("inspect service web --node lxb002", &out), 1) << out;
  EXPECT_NE(out.find("MISSING svc-endpoints    " + key), std::string::npos) << out;
  EXPECT_EQ(out.find("node lxb001"), std::string::npos) << out;
  // The other nodes are untouched.
  EXPECT_EQ(ctl("inspect service web --node lxb001", &out), 0) << out;
  // Bad arguments: one line, status 2.
  EXPECT_EQ(ctl("inspect service web --node nosuch", &out), 2) << out;
  EXPECT_EQ(ctl("inspect service web -o table", &out), 2) << out;
  // -o yaml: the JSON document's shape as YAML (kubectl's -o yaml beside -o json).
  EXPECT_EQ(ctl("inspect service web --node lxb002 -o yaml", &out), 1) << out;
  EXPECT_NE(out.find("name: web\n"), std::string::npos) << out;
  EXPECT_NE(out.find("clusterIP: " + ip + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  node: lxb002\n"), std::string::npos) << out;
  EXPECT_NE(out.find("missing:\n"), std::string::npos) << out;
}

TEST_F(ServiceLab, MultiportAndUpAndDownRepeatedly) {
  auto pods = deploy("web", 2);
  ASSERT_EQ(pods.size(), 2u);
  // Two TCP ports on one Service, both to the pods' port 80.
  apply(nlohmann::json{{"apiVersion", "v1"},
                       {"kind", "Service"},
                       {"metadata", {{"name", "multi"}}},
                       {"spec",
                        {{"selector", {{"app", "web"}}},
                         {"ports",
                          {{{"name", "http"}, {"port", 80}, {"targetPort", 80}},
                           {{"name", "alt"}, {"port", 8080}, {"targetPort", 80}}}}}}}
            .dump());
  const std::string ip = cluster_ip("multi");
  ASSERT_FALSE(ip.empty());
  for (int port : {80, 8080})
    EXPECT_FALSE(answering_pod(curl_until("--node lxb002", fmt::format("http://{}:{}", ip, port)))
                     .empty())
        << "port " << port;

  // A Service created and deleted five times answers each time it exists and stops each time
  // it is gone.
  std::string fip;
  for (int round = 0; round < 5; ++round) {
    ctl_ok("create service clusterip flap --tcp=80");
    // The Service selects app=flap: point it at the web pods instead.
    auto j = service_json("flap");
    ASSERT_TRUE(j.is_object());
    j["spec"]["selector"] = {{"app", "web"}};
    apply(j.dump());
    fip = cluster_ip("flap");
    EXPECT_FALSE(answering_pod(curl_until("--node lxb001", "http://" + fip)).empty())
        << "round " << round;
    ctl_ok("delete service flap");
    bool gone = false;
    for (auto end = Clock::now() + 30s; !gone && Clock::now() < end;) {
      int rc = 0;
      curl("--node lxb001", "http://" + fip, &rc, 1);
      gone = rc != 0;
    }
    EXPECT_TRUE(gone) << "round " << round << ": " << fip << " still answers after delete";
  }
  for (const auto& n : kNodes) EXPECT_EQ(svc_table(n).find(fip + " "), std::string::npos) << n;
}

}  // namespace
}  // namespace podnet::testing
