#include <gtest/gtest.h>

#include "core/service_inspect_view.hpp"

namespace podnet::ctl {
namespace {

NodeKernelView healthy() {
  NodeKernelView v{.node = "lxb001", .ip = "10.1.1.15"};
  v.elements = {"service-ips: 10.96.0.10 . tcp . 80 : goto pick-1",
                "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 80"};
  v.chains = {"table ip podnet-svc {\n\tchain pick-1 {\n\t\tdnat ip to ...\n\t}\n}\n"};
  v.conntrack = {"tcp 6 117 TIME_WAIT src=10.1.1.15 dst=10.96.0.10 sport=1 dport=80 ..."};
  return v;
}

TEST(ServiceInspectView, SplitsDispatchFromEndpoints) {
  EXPECT_TRUE(is_dispatch_element("service-ips: 10.96.0.10 . tcp . 80 : goto pick-1"));
  EXPECT_TRUE(is_dispatch_element("svc-nodeports: tcp . 30080 : goto np-pick-1"));
  EXPECT_FALSE(is_dispatch_element("svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 80"));
}

TEST(ServiceInspectView, TextPerNodeWithSections) {
  const std::string t = inspect_service_text("default", "web", "10.96.0.10", {healthy()});
  EXPECT_NE(t.find("service default/web  clusterIP 10.96.0.10\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\nnode lxb001 (10.1.1.15)\n"), std::string::npos) << t;
  const auto dispatch = t.find("  Dispatch:\n    service-ips      10.96.0.10 . tcp . 80 : goto");
  const auto eps = t.find("  Endpoints:\n    svc-endpoints    10.96.0.10 . tcp . 80 . 0 :");
  EXPECT_NE(dispatch, std::string::npos) << t;
  EXPECT_NE(eps, std::string::npos) << t;
  EXPECT_LT(dispatch, eps);
  EXPECT_NE(t.find("    \tchain pick-1 {\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  Conntrack (1):\n    tcp 6 117"), std::string::npos) << t;
  EXPECT_EQ(t.find("MISSING"), std::string::npos) << t;
  EXPECT_EQ(inspect_exit_code({healthy()}), 0);
}

TEST(ServiceInspectView, ElementsOfOneMapTogether) {
  NodeKernelView v{.node = "lxb001", .ip = "10.1.1.15"};
  v.elements = {"svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 80",
                "endpoints: 192.168.0.2 . tcp . 80", "hairpin: 192.168.0.2 . 192.168.0.2",
                "endpoints: 192.168.1.2 . tcp . 80",
                "svc-endpoints: 10.96.0.10 . tcp . 80 . 1 : 192.168.1.2 . 80"};
  const std::string t = inspect_service_text("default", "web", "10.96.0.10", {v});
  EXPECT_NE(t.find("  Endpoints:\n"
                   "    svc-endpoints    10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 80\n"
                   "    svc-endpoints    10.96.0.10 . tcp . 80 . 1 : 192.168.1.2 . 80\n"
                   "    endpoints        192.168.0.2 . tcp . 80\n"
                   "    endpoints        192.168.1.2 . tcp . 80\n"
                   "    hairpin          192.168.0.2 . 192.168.0.2\n"),
            std::string::npos)
      << t;
}

TEST(ServiceInspectView, MissingAndUnreadableNodesFlaggedAndExitOne) {
  auto a = healthy();
  a.missing = {"svc-endpoints: 10.96.0.10 . tcp . 80 . 1 : 192.168.1.2 . 80"};
  NodeKernelView b{.node = "lxb002", .ip = "10.1.1.16", .error = "open node netns x: gone"};
  const std::string t = inspect_service_text("default", "web", "10.96.0.10", {a, b});
  EXPECT_NE(t.find("  MISSING (1 planned, not in the kernel):\n    MISSING svc-endpoints    "
                   "10.96.0.10 . tcp . 80 . 1 : 192.168.1.2 . 80\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("node lxb002 (10.1.1.16)\n  error: open node netns x: gone\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(inspect_exit_code({a}), 1);
  EXPECT_EQ(inspect_exit_code({healthy(), b}), 1);
}

TEST(ServiceInspectView, Json) {
  auto a = healthy();
  a.missing = {"svc-endpoints: x"};
  NodeKernelView b{.node = "lxb002", .ip = "10.1.1.16", .error = "boom"};
  auto j = inspect_service_json("default", "web", "10.96.0.10", {a, b});
  EXPECT_EQ(j["clusterIP"], "10.96.0.10");
  ASSERT_EQ(j["nodes"].size(), 2u);
  EXPECT_EQ(j["nodes"][0]["node"], "lxb001");
  EXPECT_EQ(j["nodes"][0]["missing"][0], "svc-endpoints: x");
  EXPECT_EQ(j["nodes"][0]["conntrack"].size(), 1u);
  EXPECT_EQ(j["nodes"][1]["error"], "boom");
  EXPECT_FALSE(j["nodes"][1].contains("elements"));
  EXPECT_FALSE(j.contains("externalIPs"));
}

TEST(ServiceInspectView, ExternalIpsInTheHeader) {
  const std::vector<std::string> ext = {"203.0.113.10", "203.0.113.11"};
  const std::string t = inspect_service_text("default", "web", "10.96.0.10", {healthy()}, ext);
  EXPECT_TRUE(t.starts_with(
      "service default/web  clusterIP 10.96.0.10  externalIPs 203.0.113.10,203.0.113.11\n"))
      << t;
  auto j = inspect_service_json("default", "web", "10.96.0.10", {healthy()}, ext);
  EXPECT_EQ(j["externalIPs"], nlohmann::json(ext));
}

}  // namespace
}  // namespace podnet::ctl
