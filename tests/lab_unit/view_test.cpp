#include <gtest/gtest.h>

#include "podnet/lab/lab.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "podnet/lab/table.hpp"

namespace podnet::lab {
namespace {

cluster::Node node(std::string name, std::string ip, std::string cidr, std::string mac = "") {
  cluster::Node n;
  n.name = std::move(name);
  n.internalIP = *net::IpAddress::parse(ip);
  n.podCIDR = *net::Prefix::parse(cidr);
  n.vtepMAC = std::move(mac);
  return n;
}

TEST(LabView, Table) {
  EXPECT_EQ(format_table({"A", "LONGER"}, {{"x1", "y"}, {"", "z"}}),
            "A    LONGER\nx1   y\n     z\n");
}

// Nodes' AGE uses the pods' formatter (kubectl's HumanDuration, tested in workload_unit).
TEST(LabView, NodeAgeIsKubectlShaped) {
  auto text = format_nodes({node("lxb001", "10.1.1.15", "192.168.0.0/24")}, OutputFormat::wide,
                           cluster::BackendType::vxlan, {{"lxb001", 200}});
  EXPECT_NE(text.find(" 3m20s\n"), std::string::npos) << text;
}

TEST(LabView, NodesSortedByName) {
  std::vector<cluster::Node> nodes = {node("lxb002", "10.1.1.16", "192.168.1.0/24"),
                                      node("lxb001", "10.1.1.15", "192.168.0.0/24")};
  EXPECT_EQ(format_nodes(nodes, OutputFormat::table, cluster::BackendType::vxlan),
            "NAME     IP          PODS\n"
            "lxb001   10.1.1.15   192.168.0.0/24\n"
            "lxb002   10.1.1.16   192.168.1.0/24\n");
}

TEST(LabView, NodesWide) {
  std::vector<cluster::Node> nodes = {
      node("lxb001", "10.1.1.15", "192.168.0.0/24", "aa:bb:cc:dd:ee:ff"),
      node("lxb002", "10.1.1.16", "192.168.1.0/24")};
  auto text =
      format_nodes(nodes, OutputFormat::wide, cluster::BackendType::vxlan, {{"lxb001", 30}});
  EXPECT_EQ(text,
            "NAME     IP          PODS             BACKEND   VTEP-MAC            AGE\n"
            "lxb001   10.1.1.15   192.168.0.0/24   vxlan     aa:bb:cc:dd:ee:ff   30s\n"
            "lxb002   10.1.1.16   192.168.1.0/24   vxlan     <none>              <unknown>\n");
}

TEST(LabView, NodesJson) {
  auto text = format_nodes({node("lxb001", "10.1.1.15", "192.168.0.0/24")}, OutputFormat::json, {});
  auto j = nlohmann::json::parse(text);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["metadata"]["name"], "lxb001");
  EXPECT_EQ(j["items"][0]["spec"]["podCIDR"], "192.168.0.0/24");
}

TEST(LabView, OutputFlag) {
  EXPECT_EQ(*parse_output(""), OutputFormat::table);
  EXPECT_EQ(*parse_output("wide"), OutputFormat::wide);
  EXPECT_EQ(*parse_output("json"), OutputFormat::json);
  auto bad = parse_output("yaml");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().message.starts_with("-o:"));
}

TEST(LabView, ParseNodesSkipsGarbage) {
  store::ListResult l;
  l.items.push_back({"/podnet/nodes/lxb001",
                     cluster::to_json(node("lxb001", "10.1.1.15", "192.168.0.0/24")).dump()});
  l.items.push_back({"/podnet/nodes/bad", "{not json"});
  auto nodes = parse_nodes(l);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "lxb001");
}

TEST(LabView, StatusReport) {
  StatusReport r;
  LabSpec spec;
  r.state = *make_state(spec, 0);
  NodeStatus n;
  n.name = "lxb001";
  n.ip = "10.1.1.15";
  n.netns = true;
  n.podnetd_pid = 42;
  n.podnetd_alive = true;
  n.in_store = true;
  n.subnet = "192.168.0.0/24";
  r.nodes.push_back(n);
  EXPECT_TRUE(r.ok());
  EXPECT_NE(format_status(r).find("status: ok"), std::string::npos);
  r.nodes[0].podnetd_alive = false;
  EXPECT_FALSE(r.ok());
  auto text = format_status(r);
  EXPECT_NE(text.find("42 DEAD"), std::string::npos) << text;
  EXPECT_NE(text.find("status: NOT OK"), std::string::npos);
}

}  // namespace
}  // namespace podnet::lab
