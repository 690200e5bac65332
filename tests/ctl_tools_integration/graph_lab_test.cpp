// podnetctl graph in a lab with pods on two nodes and a NodePort Service: the SVG (laid out by
// Graphviz in-process) holds every node, pod and Service label, renders to a PNG, and the DOT
// text is what -o dot prints; a bad -o exits 2 with one line.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "lab_cli.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The characters of an SVG text: Graphviz writes "-" as "&#45;" and escapes XML's specials.
std::string xml_text(std::string s) {
  for (const auto& [entity, c] : {std::pair{"&#45;", "-"},
                                  {"&lt;", "<"},
                                  {"&gt;", ">"},
                                  {"&quot;", "\""},
                                  {"&#39;", "'"},
                                  {"&amp;", "&"}})
    for (auto pos = s.find(entity); pos != std::string::npos; pos = s.find(entity, pos))
      s.replace(pos, std::string_view(entity).size(), c);
  return s;
}

class GraphLab : public LabTest {
 protected:
  void SetUp() override {
    LabTest::SetUp();
    if (IsSkipped()) return;
    dir_ = std::filesystem::temp_directory_path() / unique_prefix("grf");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    LabTest::TearDown();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(GraphLab, SvgHasEveryNodePodAndServiceAndRendersToPng) {
  auto up = ctl("lab up --nodes 2 --store sqlite --backend vxlan");
  ASSERT_EQ(up.rc, 0) << up.out;
  auto dep = ctl("create deployment web --replicas 3");
  ASSERT_EQ(dep.rc, 0) << dep.out;
  auto svc = ctl("expose deployment web --port 80 --type NodePort");
  ASSERT_EQ(svc.rc, 0) << svc.out;

  // The labels to find, each a whole line of a label (one <text> element in the SVG): every node
  // (name, address), pod (name, IP), the Service (name, ClusterIP, NodePort), the outside host.
  std::vector<std::string> want = {"svc web", "10.1.1.1", "vxlan VNI 1"};
  for (const auto& row : table("get nodes")) {
    if (row.empty() || row[0] == "NAME") continue;
    want.insert(want.end(), {row[0], row[1]});
  }
  size_t pods = 0;
  for (const auto& row : table("get pods -o wide")) {  // NAME READY STATUS RESTARTS AGE IP NODE
    if (row.size() < 7 || row[0] == "NAME") continue;
    want.insert(want.end(), {row[0], row[5]});
    ++pods;
  }
  EXPECT_EQ(pods, 3u);
  for (const auto& row : table("get services web")) {  // NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S)
    if (row.size() < 5 || row[0] == "NAME") continue;
    want.push_back("ClusterIP " + row[2]);
    auto node_port = row[4].substr(row[4].find(':') + 1);
    want.push_back("NodePort " + node_port.substr(0, node_port.find('/')));
  }
  ASSERT_EQ(want.size(), 3u + 4u + 6u + 2u);

  const auto svg_path = dir_ / "cluster.svg";
  auto graph = ctl("graph " + svg_path.string());
  ASSERT_EQ(graph.rc, 0) << graph.out;
  EXPECT_EQ(graph.out, "");
  const auto svg = slurp(svg_path);
  ASSERT_NE(svg.find("<svg"), std::string::npos) << svg.substr(0, 400);
  const auto text = xml_text(svg);
  for (const auto& w : want) EXPECT_NE(text.find(">" + w + "</text>"), std::string::npos) << w;

  // stdout is the same picture; -o dot the text it was laid out from.
  auto to_stdout = ctl("graph");
  ASSERT_EQ(to_stdout.rc, 0);
  EXPECT_EQ(to_stdout.out, svg);
  auto dot = ctl("graph -o dot");
  ASSERT_EQ(dot.rc, 0) << dot.out;
  EXPECT_TRUE(dot.out.starts_with("digraph podnet {")) << dot.out;
  for (const auto& w : want) EXPECT_NE(dot.out.find(w), std::string::npos) << w;

  // Rendered: a PNG file, as a viewer would show it.
  const auto png = dir_ / "cluster.png";
  ASSERT_EQ(sh("rsvg-convert -o " + png.string() + " " + svg_path.string()), 0);
  const auto bytes = slurp(png);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");

  // Bad arguments: exit 2 with one line.
  auto bad = ctl("graph -o png");
  EXPECT_EQ(bad.rc, 2) << bad.out;
  EXPECT_EQ(lines_of(bad.out).size(), 1u) << bad.out;
  EXPECT_TRUE(bad.out.starts_with("error: ")) << bad.out;
  EXPECT_NE(bad.out.find("png"), std::string::npos) << bad.out;
  // A file that cannot be written: exit 1 naming it.
  auto unwritable = ctl("graph " + (dir_ / "no" / "such" / "dir.svg").string());
  EXPECT_EQ(unwritable.rc, 1) << unwritable.out;
  EXPECT_NE(unwritable.out.find("dir.svg"), std::string::npos) << unwritable.out;
}

}  // namespace
}  // namespace podnet::testing
