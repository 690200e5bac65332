// The real podman (4.3, CNI backend) runs containers and pods on a podnet network: podnet and
// podnet-ipam are the network's plugins, podman plays the runtime. Podman runs inside a test
// "node" namespace, so the bridge, host veths and masquerade rules live there.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "podman_env.hpp"

using podnet::testing::PodmanEnv;
using podnet::testing::ProcResult;

namespace {

const std::string kIndex = "hello from a podnet pod\n";  // /www/index.html in the image
// Busybox 1.35 (Debian, static) wget segfaults with -T: `timeout 5 wget` bounds it instead.

class PodmanOnPodnet : public ::testing::Test {
 protected:
  void SetUp() override {
    auto why = podnet::testing::podman_unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    env_ = std::make_unique<PodmanEnv>("pm");
  }
  void TearDown() override { env_.reset(); }

  // Runs podman; success, or a failure naming the command with its exit code, stdout, stderr.
  ::testing::AssertionResult Run(const std::vector<std::string>& args, std::string* out = nullptr) {
    auto r = env_->podman(args);
    if (out) *out = r.out;
    if (r.exit_code == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << Describe(args, r);
  }

  std::string Describe(const std::vector<std::string>& args, const ProcResult& r) const {
    return "`" + env_->podman_cmdline(args) + "` exited " + std::to_string(r.exit_code) +
           "\n--- stdout:\n" + r.out + "\n--- stderr:\n" + r.err;
  }

  // Polls `podman exec name args...` (bounded) until it succeeds and, if `want` is given, prints
  // exactly `want`. Failure shows the last attempt.
  ::testing::AssertionResult ExecEventually(const std::string& name,
                                            const std::vector<std::string>& args,
                                            const std::string* want = nullptr,
                                            int timeout_ms = 10000) {
    std::vector<std::string> full = {"exec", name};
    full.insert(full.end(), args.begin(), args.end());
    ProcResult last;
    bool ok = PodmanEnv::poll_until(
        [&] {
          last = env_->podman(full, 15);
          return last.exit_code == 0 && (!want || last.out == *want);
        },
        timeout_ms);
    if (ok) return ::testing::AssertionSuccess();
    auto f = ::testing::AssertionFailure()
             << "within " << timeout_ms << " ms: " << Describe(full, last);
    if (want) f << "\n--- wanted stdout:\n" << *want;
    return f;
  }

  // What a running container sees of its network, from one `podman exec`.
  struct View {
    std::string ip;      // eth0's IPv4 address, no prefix length
    std::string netns;   // e.g. "net:[4026532612]": the namespace's identity
    std::string routes;  // `ip route`
  };
  View Look(const std::string& name) {
    std::string out;
    EXPECT_TRUE(
        Run({"exec", name, "sh", "-c",
             "ip -4 -o addr show eth0; echo @; readlink /proc/self/ns/net; echo @; ip route"},
            &out));
    View v;
    auto a = out.find("@\n"), b = out.find("@\n", a == std::string::npos ? 0 : a + 2);
    if (a == std::string::npos || b == std::string::npos) {
      ADD_FAILURE() << name << ": unexpected output:\n" << out;
      return v;
    }
    v.ip = PodmanEnv::eth0_ipv4(out.substr(0, a));
    v.netns = out.substr(a + 2, b - a - 2);
    v.routes = out.substr(b + 2);
    EXPECT_TRUE(v.ip.starts_with(env_->subnet_prefix())) << name << ": " << out;
    EXPECT_NE(out.substr(0, a).find("/24"), std::string::npos) << out;
    EXPECT_NE(v.routes.find("default via " + env_->gateway() + " dev eth0"), std::string::npos)
        << name << ": " << v.routes;
    return v;
  }

  bool NodePings(const std::string& ip) {
    return PodmanEnv::poll_until(
        [&] { return env_->node().sh("ping -c1 -W1 " + ip + " >/dev/null") == 0; }, 5000);
  }

  std::unique_ptr<PodmanEnv> env_;
};

using Strings = std::vector<std::string>;

}  // namespace

// A container on the podnet network: eth0 in the subnet, default route via the gateway, the
// gateway and the node reach it; `podman rm -f` releases its IP and removes its host veth.
TEST_F(PodmanOnPodnet, ContainerGetsAddressAndReleasesIt) {
  const auto& net = env_->network();
  const auto& img = env_->image();

  // One-shot container, as `podman run --rm` users see it.
  std::string out;
  ASSERT_TRUE(
      Run({"run", "--rm", "--network", net, img, "ip", "-4", "-o", "addr", "show", "eth0"}, &out));
  auto once = PodmanEnv::eth0_ipv4(out);
  EXPECT_TRUE(once.starts_with(env_->subnet_prefix())) << out;
  EXPECT_EQ(env_->allocated_ips(), Strings{}) << "--rm released " << once;
  EXPECT_EQ(env_->host_veths(), Strings{});

  ASSERT_TRUE(Run({"run", "-d", "--name", "c1", "--network", net, img, "sleep", "600"}));
  env_->track_sandboxes({"c1"});
  auto ip = Look("c1").ip;
  ASSERT_FALSE(ip.empty());

  // podman's own record of the CNI result agrees with the kernel.
  ASSERT_TRUE(Run({"inspect", "--format",
                   "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}", "c1"},
                  &out));
  EXPECT_EQ(out, ip + "\n");
  EXPECT_EQ(env_->allocated_ips(), Strings{ip});
  EXPECT_EQ(env_->host_veths().size(), 1u);

  EXPECT_TRUE(ExecEventually("c1", {"ping", "-c1", "-W1", env_->gateway()}, nullptr, 5000))
      << "container -> gateway";
  EXPECT_TRUE(NodePings(ip)) << "node -> container " << ip;

  ASSERT_TRUE(Run({"rm", "-f", "-t", "0", "c1"}));
  EXPECT_EQ(env_->allocated_ips(), Strings{}) << "IP file left in " << env_->data_dir();
  EXPECT_EQ(env_->host_veths(), Strings{});
}

// A podman pod (infra/pause container holding the netns) with two containers: both see the same
// eth0 and netns, they talk over localhost, and the pod has exactly one IP and one host veth.
TEST_F(PodmanOnPodnet, PodContainersShareNetnsAndLocalhost) {
  const auto& img = env_->image();
  ASSERT_TRUE(Run({"pod", "create", "--name", "web-pod", "--network", env_->network()}));
  ASSERT_TRUE(Run({"run", "-d", "--pod", "web-pod", "--name", "web", img, "httpd", "-f", "-p",
                   "127.0.0.1:8080", "-h", "/www"}));
  ASSERT_TRUE(Run({"run", "-d", "--pod", "web-pod", "--name", "client", img, "sleep", "600"}));
  std::string infra;
  ASSERT_TRUE(Run({"pod", "inspect", "--format", "{{.InfraContainerID}}", "web-pod"}, &infra));
  env_->track_sandboxes({infra.substr(0, infra.find('\n'))});

  auto web = Look("web");
  auto client = Look("client");
  auto web_ip = web.ip;
  ASSERT_FALSE(web_ip.empty());
  EXPECT_EQ(web_ip, client.ip) << "containers of a pod share eth0";
  EXPECT_EQ(web.netns, client.netns) << "containers of a pod share the infra container's netns";
  EXPECT_EQ(env_->allocated_ips(), Strings{web_ip}) << "one CNI ADD per pod";
  EXPECT_EQ(env_->host_veths().size(), 1u);

  EXPECT_TRUE(ExecEventually(
      "client", {"timeout", "5", "wget", "-qO-", "http://127.0.0.1:8080/index.html"}, &kIndex))
      << "client -> web over the pod's localhost";
  EXPECT_TRUE(NodePings(web_ip));
  // httpd listens on the pod's 127.0.0.1 only: the node's connection to the pod IP is refused
  // (curl exit 7), while the pod itself is reachable.
  if (podnet::testing::sh("command -v curl >/dev/null") == 0) {
    std::string curl;
    EXPECT_EQ(
        env_->node().sh("curl -sS -m 3 -o /dev/null http://" + web_ip + ":8080/index.html", &curl),
        7)
        << curl;
  }

  ASSERT_TRUE(Run({"pod", "rm", "-f", "-t", "0", "web-pod"}));
  std::string left;
  ASSERT_TRUE(Run({"ps", "-aq"}, &left));
  EXPECT_EQ(left, "");
  EXPECT_EQ(env_->allocated_ips(), Strings{});
  EXPECT_EQ(env_->host_veths(), Strings{});
}

// Two containers, each in its own netns on the network, reach each other by IP; traffic inside
// the subnet keeps its source address (ipMasq applies only to traffic leaving it).
TEST_F(PodmanOnPodnet, ContainersInSeparateNetnsReachEachOther) {
  const auto& net = env_->network();
  const auto& img = env_->image();
  // httpd -v logs each client's address to stderr (podman logs).
  ASSERT_TRUE(Run({"run", "-d", "--name", "a", "--network", net, img, "httpd", "-f", "-v", "-p",
                   "8080", "-h", "/www"}));
  ASSERT_TRUE(Run({"run", "-d", "--name", "b", "--network", net, img, "sleep", "600"}));
  env_->track_sandboxes({"a", "b"});

  auto a = Look("a");
  auto b = Look("b");
  auto ip_a = a.ip, ip_b = b.ip;
  ASSERT_FALSE(ip_a.empty());
  ASSERT_FALSE(ip_b.empty());
  EXPECT_NE(ip_a, ip_b);
  EXPECT_NE(a.netns, b.netns);
  EXPECT_EQ(env_->allocated_ips().size(), 2u);
  EXPECT_EQ(env_->host_veths().size(), 2u);

  EXPECT_TRUE(ExecEventually("b", {"ping", "-c1", "-W1", ip_a}, nullptr, 5000)) << "b -> a";
  EXPECT_TRUE(ExecEventually("a", {"ping", "-c1", "-W1", ip_b}, nullptr, 5000)) << "a -> b";
  EXPECT_TRUE(ExecEventually(
      "b", {"timeout", "5", "wget", "-qO-", "http://" + ip_a + ":8080/index.html"}, &kIndex))
      << "b -> a over TCP";
  // podman logs passes the container's stderr to its own stderr: read both.
  auto r = env_->podman({"logs", "a"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // e.g. "[::ffff:10.88.7.3]:51950: response:200"
  EXPECT_NE((r.out + r.err).find(ip_b + "]:"), std::string::npos)
      << "a saw b's own address (no masquerade inside the subnet):\n"
      << r.out << r.err;

  ASSERT_TRUE(Run({"rm", "-f", "-t", "0", "a", "b"}));
  EXPECT_EQ(env_->allocated_ips(), Strings{});
  EXPECT_EQ(env_->host_veths(), Strings{});
}
