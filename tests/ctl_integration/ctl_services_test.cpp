// create / get / describe / delete service and expose deployment, as a user runs them.
#include <gtest/gtest.h>

#include "ctl_env.hpp"

namespace podnet::testing {
namespace {

class CtlServices : public CtlTest {};

TEST_F(CtlServices, CreateGetDescribeDelete) {
  auto none = ctl("get services");
  EXPECT_EQ(none.rc, 0);
  EXPECT_EQ(none.err, "No resources found in default namespace.\n");

  auto c = ctl("create service clusterip web --tcp=80:8080");
  ASSERT_EQ(c.rc, 0) << c.err;
  EXPECT_EQ(c.out, "service/web created\n");
  auto again = ctl("create service clusterip web --tcp=80");
  EXPECT_EQ(again.rc, 1);
  EXPECT_EQ(again.err, "Error from server (AlreadyExists): services \"web\" already exists\n");

  auto n = ctl("create service nodeport np --tcp=80 --tcp=443:8443 -n shop");
  ASSERT_EQ(n.rc, 0) << n.err;

  auto get = ctl("get svc");
  ASSERT_EQ(get.rc, 0) << get.err;
  auto rows = lines(get.out);
  ASSERT_EQ(rows.size(), 2u) << get.out;
  EXPECT_TRUE(rows[0].starts_with("NAME   TYPE        CLUSTER-IP")) << rows[0];
  EXPECT_TRUE(rows[1].starts_with("web    ClusterIP   10.")) << rows[1];
  EXPECT_NE(rows[1].find("   <none>        80/TCP   "), std::string::npos) << rows[1];

  auto all = ctl("get services -A -o wide");
  ASSERT_EQ(all.rc, 0) << all.err;
  rows = lines(all.out);
  ASSERT_EQ(rows.size(), 3u) << all.out;
  EXPECT_TRUE(rows[0].starts_with("NAMESPACE   NAME")) << rows[0];
  EXPECT_TRUE(rows[0].ends_with("SELECTOR")) << rows[0];
  EXPECT_TRUE(rows[1].ends_with("app=web")) << rows[1];  // by namespace, then name
  // The nodeport service: two ports, each with its allocated nodePort in 30000-32767.
  auto j = nlohmann::json::parse(ctl("get svc np -n shop -o json").out);
  EXPECT_EQ(j["kind"], "Service");
  EXPECT_EQ(j["apiVersion"], "v1");
  ASSERT_EQ(j["spec"]["ports"].size(), 2u);
  for (const auto& p : j["spec"]["ports"]) {
    const int node_port = p.value("nodePort", 0);
    EXPECT_GE(node_port, 30000);
    EXPECT_LE(node_port, 32767);
  }
  EXPECT_EQ(j["spec"]["ports"][1]["name"], "443-8443");
  EXPECT_EQ(j["spec"]["ports"][1]["targetPort"], 8443);

  auto list = nlohmann::json::parse(ctl("get svc -A -o json").out);
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(ctl("get svc -A -o name").out, "service/web\nservice/np\n");
  auto yaml = ctl("get svc web -o yaml");
  ASSERT_EQ(yaml.rc, 0) << yaml.err;
  EXPECT_NE(yaml.out.find("kind: Service\n"), std::string::npos) << yaml.out;
  EXPECT_NE(yaml.out.find("  - name: 80-8080\n    port: 80\n"), std::string::npos) << yaml.out;

  auto d = ctl("describe service web");
  ASSERT_EQ(d.rc, 0) << d.err;
  EXPECT_NE(d.out.find("Name:                     web\n"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("Type:                     ClusterIP\n"), std::string::npos);
  EXPECT_NE(d.out.find("Port:                     80-8080  80/TCP\n"), std::string::npos);
  EXPECT_NE(d.out.find("TargetPort:               8080/TCP\n"), std::string::npos);
  EXPECT_NE(d.out.find("Endpoints:                <none>\n"), std::string::npos);
  EXPECT_NE(d.out.find("Session Affinity:         None\n"), std::string::npos);

  auto missing = ctl("get svc web nope");
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.err, "Error from server (NotFound): services \"nope\" not found\n");
  EXPECT_EQ(lines(missing.out).size(), 2u) << missing.out;  // the found one is still shown

  auto del = ctl("delete service web nope");
  EXPECT_EQ(del.rc, 1);
  EXPECT_EQ(del.out, "service \"web\" deleted\n");
  EXPECT_EQ(del.err, "Error from server (NotFound): services \"nope\" not found\n");
  EXPECT_EQ(ctl("delete svc np -n shop").out, "service \"np\" deleted\n");
  EXPECT_EQ(ctl("get svc -A").err, "No resources found\n");
}

TEST_F(CtlServices, BadArgumentsExit2WithOneLine) {
  for (const char* args : {"create service clusterip web --tcp=abc", "create service clusterip web",
                           "create service clusterip Web --tcp=80",
                           "create service nodeport web --tcp=80 --node-port 0x",
                           "create service nodeport web --tcp=80 --tcp=81 --node-port 30001",
                           "get svc -o xml", "get svc -A web", "expose deployment web --type X",
                           "create service clusterip web --tcp=80 -n Bad_NS", "delete"}) {
    auto r = ctl(args);
    EXPECT_EQ(r.rc, 2) << args << ": " << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST_F(CtlServices, NodePortTakenOrOutOfRangeRefused) {
  ASSERT_EQ(ctl("create service nodeport a --tcp=80 --node-port 30080").rc, 0);
  auto taken = ctl("create service nodeport b --tcp=80 --node-port 30080");
  EXPECT_EQ(taken.rc, 1);
  EXPECT_EQ(lines(taken.err).size(), 1u) << taken.err;
  EXPECT_NE(taken.err.find("30080"), std::string::npos) << taken.err;
  EXPECT_NE(taken.err.find("nodePort"), std::string::npos) << taken.err;
  auto range = ctl("create service nodeport b --tcp=80 --node-port 20000");
  EXPECT_EQ(range.rc, 1);
  EXPECT_EQ(lines(range.err).size(), 1u) << range.err;
  EXPECT_NE(range.err.find("20000"), std::string::npos) << range.err;
  EXPECT_EQ(ctl("get svc b").rc, 1);  // nothing was written
  // Released on delete: the port can be taken again.
  ASSERT_EQ(ctl("delete svc a").rc, 0);
  auto reuse = ctl("create service nodeport b --tcp=80 --node-port 30080");
  EXPECT_EQ(reuse.rc, 0) << reuse.err;
}

TEST_F(CtlServices, ExposeDeploymentAndEndpoints) {
  auto missing = ctl("expose deployment web --port 80");
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.err, "Error from server (NotFound): deployments.apps \"web\" not found\n");
  ASSERT_EQ(ctl("create deployment web --replicas 2 --port 8080 --wait=false").rc, 0);
  auto e = ctl("expose deployment web --port 80 --type NodePort");
  ASSERT_EQ(e.rc, 0) << e.err;
  EXPECT_EQ(e.out, "service/web exposed\n");
  auto udp = ctl("expose deployment web --name web-udp --protocol UDP --target-port 9090");
  ASSERT_EQ(udp.rc, 0) << udp.err;
  auto wide = ctl("get svc -o wide");
  auto rows = lines(wide.out);
  ASSERT_EQ(rows.size(), 3u) << wide.out;
  EXPECT_NE(rows[1].find("NodePort"), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find(" 80:3"), std::string::npos) << rows[1];
  EXPECT_TRUE(rows[1].ends_with("app=web")) << rows[1];
  EXPECT_NE(rows[2].find("8080/UDP"), std::string::npos) << rows[2];

  auto ep0 = ctl("get endpoints");
  ASSERT_EQ(ep0.rc, 0) << ep0.err;
  EXPECT_NE(lines(ep0.out)[1].find("<none>"), std::string::npos) << ep0.out;

  for (int i = 0; i < 5; ++i) {
    cluster::Pod p;
    p.name = "web-pod" + std::to_string(i);
    p.labels = {{"app", "web"}};
    p.owner = "web";
    p.node = "lxb001";
    p.port = 8080;
    p.podIP = *net::IpAddress::parse("192.168." + std::to_string(i) + ".2");
    p.phase = cluster::PodPhase::Running;
    p.ready = i != 4;  // the last one is not ready: left out
    put_pod(p);
  }
  auto ep = ctl("get ep web");
  ASSERT_EQ(ep.rc, 0) << ep.err;
  rows = lines(ep.out);
  ASSERT_EQ(rows.size(), 2u) << ep.out;
  EXPECT_EQ(rows[0].substr(0, 16), "NAME   ENDPOINTS");
  // --port without --target-port: targetPort = port, as kubectl's expose.
  EXPECT_NE(rows[1].find("192.168.0.2:80,192.168.1.2:80,192.168.2.2:80 + 1 more..."),
            std::string::npos)
      << rows[1];
  auto d = ctl("describe svc web-udp");
  EXPECT_NE(d.out.find("TargetPort:               9090/UDP\n"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("Endpoints:                192.168.0.2:9090,192.168.1.2:9090,"
                       "192.168.2.2:9090 + 1 more...\n"),
            std::string::npos)
      << d.out;
  auto epj = nlohmann::json::parse(ctl("get ep web -o json").out);
  EXPECT_EQ(epj["kind"], "Endpoints");
  EXPECT_EQ(epj["subsets"][0]["addresses"].size(), 4u);
}

}  // namespace
}  // namespace podnet::testing
