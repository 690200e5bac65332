#include <gtest/gtest.h>

#include "podnet/lab/workload_view.hpp"

namespace podnet::lab {
namespace {

TEST(HumanAge, LikeKubectl) {
  EXPECT_EQ(human_age(-5), "0s");
  EXPECT_EQ(human_age(45), "45s");
  EXPECT_EQ(human_age(119), "119s");
  EXPECT_EQ(human_age(200), "3m20s");
  EXPECT_EQ(human_age(240), "4m");
  EXPECT_EQ(human_age(42 * 60), "42m");
  EXPECT_EQ(human_age(5 * 3600 + 180), "5h3m");
  EXPECT_EQ(human_age(20 * 3600), "20h");
  EXPECT_EQ(human_age(3 * 86400 + 4 * 3600), "3d4h");
  EXPECT_EQ(human_age(90 * 86400), "90d");
  EXPECT_EQ(human_age((2 * 365 + 5) * 86400), "2y5d");
  EXPECT_EQ(human_age(9 * 365 * 86400), "9y");
}

cluster::Pod pod(const std::string& name, bool ready, const char* ip, const std::string& node) {
  cluster::Pod p;
  p.name = name;
  p.owner = "web";
  p.created = 1000;
  p.ready = ready;
  p.phase = ready ? cluster::PodPhase::Running : cluster::PodPhase::Pending;
  if (!ready) p.reason = "ContainerCreating";
  if (ip) p.podIP = net::IpAddress::parse(ip).value();
  p.node = node;
  return p;
}

TEST(PodsTable, ColumnsLikeKubectl) {
  std::vector<cluster::Pod> pods = {pod("web-bbbbb", false, nullptr, "lxb002"),
                                    pod("web-aaaaa", true, "192.168.1.2", "lxb001")};
  pods[1].restartCount = 2;
  EXPECT_EQ(pods_table(pods, 1045, {}),
            "NAME        READY   STATUS              RESTARTS   AGE\n"
            "web-aaaaa   1/1     Running             2          45s\n"
            "web-bbbbb   0/1     ContainerCreating   0          45s\n");
  EXPECT_EQ(pods_table(pods, 1045, {.wide = true}),
            "NAME        READY   STATUS              RESTARTS   AGE   IP            NODE\n"
            "web-aaaaa   1/1     Running             2          45s   192.168.1.2   lxb001\n"
            "web-bbbbb   0/1     ContainerCreating   0          45s   <none>        lxb002\n");
}

TEST(PodsTable, AllNamespacesPutsNamespaceFirstAndSortsByIt) {
  std::vector<cluster::Pod> pods = {pod("web-aaaaa", true, "192.168.1.2", "lxb001"),
                                    pod("web-aaaaa", true, "192.168.2.2", "lxb002")};
  pods[0].ns = "team-b";
  pods[1].ns = "default";
  EXPECT_EQ(pods_table(pods, 1045, {.wide = true, .namespaces = true}),
            "NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE   IP            NODE\n"
            "default     web-aaaaa   1/1     Running   0          45s   192.168.2.2   lxb002\n"
            "team-b      web-aaaaa   1/1     Running   0          45s   192.168.1.2   lxb001\n");
}

TEST(DeploymentsTable, CountsOnlyPodsOfItsOwnNamespace) {
  auto a = *cluster::make_deployment("default", "web", 2, 80, 1000);
  auto b = *cluster::make_deployment("team-b", "web", 1, 80, 1000);
  std::vector<cluster::Pod> pods = {pod("web-aaaaa", true, "192.168.1.2", "lxb001"),
                                    pod("web-bbbbb", true, "192.168.2.2", "lxb002")};
  pods[0].ns = "default";
  pods[1].ns = "team-b";
  EXPECT_EQ(deployments_table({b, a}, pods, 1300, {.namespaces = true}),
            "NAMESPACE   NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "default     web    1/2     1            1           5m\n"
            "team-b      web    1/1     1            1           5m\n");
}

TEST(DeploymentsTable, CountsReadyPods) {
  auto d = *cluster::make_deployment("default", "web", 3, 80, 1000);
  std::vector<cluster::Pod> pods = {pod("web-bbbbb", false, nullptr, "lxb002"),
                                    pod("web-aaaaa", true, "192.168.1.2", "lxb001")};
  EXPECT_EQ(deployments_table({d}, pods, 1300),
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "web    1/3     2            1           5m\n");
}

}  // namespace
}  // namespace podnet::lab
