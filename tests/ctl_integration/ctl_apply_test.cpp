// apply -f and delete -f of YAML and JSON files, updates in place, and a 30000-Service file.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ctl_env.hpp"

namespace podnet::testing {
namespace {

class CtlApply : public CtlTest {
 protected:
  nlohmann::json svc_json(const std::string& name, const std::string& ns = "default") {
    auto r = ctl(fmt::format("get svc {} -n {} -o json", name, ns));
    EXPECT_EQ(r.rc, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
};

std::string web_yaml(const std::string& type, int port, const std::string& node_port = "") {
  return fmt::format(R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {{app: web}}
spec:
  type: {}
  selector:
    app: web
  ports:
  - name: http
    port: {}
    targetPort: 8080{}
---
apiVersion: v1
kind: Service
metadata:
  name: dns
  namespace: infra
spec:
  selector: {{app: dns}}
  ports:
  - {{name: dns, port: 53, protocol: UDP}}
  - {{name: dns-tcp, port: 53, protocol: TCP}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: app
        ports:
        - containerPort: 8080
)",
                     type, port, node_port.empty() ? "" : "\n    nodePort: " + node_port);
}

TEST_F(CtlApply, MultiDocumentYamlCreatesUpdatesInPlace) {
  const auto f = file("web.yaml", web_yaml("ClusterIP", 80));
  auto a = ctl("apply -f " + f);
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_EQ(a.out, "service/web created\nservice/dns created\ndeployment.apps/web created\n");
  auto again = ctl("apply -f " + f);
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(again.out,
            "service/web unchanged\nservice/dns unchanged\ndeployment.apps/web unchanged\n");
  const auto ip = svc_json("web")["spec"]["clusterIP"];
  ASSERT_TRUE(ip.is_string());
  EXPECT_EQ(svc_json("dns", "infra")["spec"]["ports"].size(), 2u);

  // ClusterIP -> NodePort: a nodePort allocated, clusterIP kept.
  auto np = ctl("apply -f " + file("np.yaml", web_yaml("NodePort", 80)));
  ASSERT_EQ(np.rc, 0) << np.err;
  EXPECT_EQ(np.out,
            "service/web configured\nservice/dns unchanged\ndeployment.apps/web unchanged\n");
  auto j = svc_json("web");
  EXPECT_EQ(j["spec"]["type"], "NodePort");
  EXPECT_EQ(j["spec"]["clusterIP"], ip);
  const int node_port = j["spec"]["ports"][0].value("nodePort", 0);
  EXPECT_GE(node_port, 30000);
  // Port change in place: the nodePort stays with the port of the same name.
  auto port = ctl("apply -f " + file("port.yaml", web_yaml("NodePort", 8000)));
  ASSERT_EQ(port.rc, 0) << port.err;
  j = svc_json("web");
  EXPECT_EQ(j["spec"]["ports"][0]["port"], 8000);
  EXPECT_EQ(j["spec"]["clusterIP"], ip);
  auto get = ctl("get svc web");
  EXPECT_NE(get.out.find(fmt::format("8000:{}/TCP", node_port)), std::string::npos) << get.out;
  // NodePort -> ClusterIP: the nodePort is released (another Service can take it).
  auto back = ctl("apply -f " + f);
  ASSERT_EQ(back.rc, 0) << back.err;
  EXPECT_EQ(back.out.substr(0, 23), "service/web configured\n");
  j = svc_json("web");
  EXPECT_EQ(j["spec"]["type"], "ClusterIP");
  EXPECT_FALSE(j["spec"]["ports"][0].contains("nodePort"));
  EXPECT_EQ(j["spec"]["clusterIP"], ip);
  auto take = ctl(fmt::format("create service nodeport other --tcp=80 --node-port {}", node_port));
  EXPECT_EQ(take.rc, 0) << take.err;

  // A given nodePort that is taken: refused in one line, nothing changed.
  auto taken =
      ctl("apply -f " + file("taken.yaml", web_yaml("NodePort", 80, std::to_string(node_port))));
  EXPECT_EQ(taken.rc, 1);
  EXPECT_EQ(lines(taken.err).size(), 1u) << taken.err;
  EXPECT_NE(taken.err.find(std::to_string(node_port)), std::string::npos) << taken.err;
  EXPECT_EQ(svc_json("web")["spec"]["type"], "ClusterIP");
  auto range = ctl("apply -f " + file("range.yaml", web_yaml("NodePort", 80, "80")));
  EXPECT_EQ(range.rc, 1);
  EXPECT_EQ(lines(range.err).size(), 1u) << range.err;

  // delete -f: every object of the file, kubectl's lines; a second time: NotFound.
  auto del = ctl("delete -f " + f);
  ASSERT_EQ(del.rc, 0) << del.err;
  EXPECT_EQ(del.out,
            "service \"web\" deleted\nservice \"dns\" deleted\ndeployment.apps \"web\" deleted\n");
  auto del2 = ctl("delete -f " + f);
  EXPECT_EQ(del2.rc, 1);
  EXPECT_EQ(lines(del2.err).size(), 3u) << del2.err;
  EXPECT_EQ(lines(del2.err)[0], "Error from server (NotFound): error when deleting \"" + f +
                                    "\": services \"web\" not found");
  EXPECT_EQ(lines(ctl("get svc -A -o name").out), std::vector<std::string>{"service/other"});
}

TEST_F(CtlApply, JsonListFromStdin) {
  nlohmann::json list = {
      {"apiVersion", "v1"}, {"kind", "List"}, {"items", nlohmann::json::array()}};
  for (int i = 0; i < 3; ++i)
    list["items"].push_back({{"apiVersion", "v1"},
                             {"kind", "Service"},
                             {"metadata", {{"name", fmt::format("s{}", i)}}},
                             {"spec", {{"ports", {{{"port", 80 + i}}}}}}});
  auto a = ctl("apply -f -", list.dump());
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_EQ(a.out, "service/s0 created\nservice/s1 created\nservice/s2 created\n");
  EXPECT_EQ(ctl("get svc -o name").out, "service/s0\nservice/s1\nservice/s2\n");
  // One bad object: one line naming it and the field, nothing written.
  list["items"][1]["spec"]["ports"][0]["port"] = 70000;
  list["items"].push_back({{"kind", "Service"},
                           {"metadata", {{"name", "s3"}}},
                           {"spec", {{"ports", {{{"port", 80}}}}}}});
  auto bad = ctl("apply -f -", list.dump());
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err,
            "error: STDIN: object 2 (Service s1): spec.ports[0].port: 70000 must be in 1..65535\n");
  EXPECT_EQ(ctl("get svc s3").rc, 1);
  auto del =
      ctl("delete -f -",
          R"({"kind": "Service", "metadata": {"name": "s1"}, "spec": {"ports": [{"port": 80}]}})");
  EXPECT_EQ(del.rc, 0) << del.err;
  EXPECT_EQ(del.out, "service \"s1\" deleted\n");
}

TEST_F(CtlApply, HostileFilesRefusedInOneLine) {
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"deep.json", std::string(100000, '[')},
           {"deep.yaml", "a: " + std::string(5000, '[')},
           {"kind.yaml", "kind: Secret\nmetadata: {name: x}\n"},
           {"bad.yaml", "kind: Service\nmetadata: {name: [x}\n"},
           {"empty-name.yaml", "kind: Service\nmetadata: {}\nspec: {ports: [{port: 80}]}\n"}}) {
    auto r = ctl("apply -f " + file(name, text));
    EXPECT_EQ(r.rc, 1) << name;
    EXPECT_EQ(lines(r.err).size(), 1u) << name << ": " << r.err;
    EXPECT_EQ(r.out, "") << name;
  }
  auto none = ctl("apply -f /nonexistent/x.yaml");
  EXPECT_EQ(none.rc, 1);
  EXPECT_NE(none.err.find("/nonexistent/x.yaml"), std::string::npos);
}

// 30000 Services in one YAML file: one bulk apply. Asserts completion and the count only (speed
// targets live in bench/); prints the time.
TEST_F(CtlApply, ThirtyThousandServices) {
  constexpr int n = 30000;
  std::string text;
  text.reserve(size_t(n) * 200);
  for (int i = 0; i < n; ++i)
    text += fmt::format(
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{}\nspec:\n  type: {}\n"
        "  selector: {{app: s{}}}\n  ports:\n  - port: 80\n    targetPort: 8080\n",
        i, i % 20 == 0 ? "NodePort" : "ClusterIP", i);
  const auto f = file("many.yaml", text);
  auto t0 = std::chrono::steady_clock::now();
  auto a = ctl("apply -f " + f);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_EQ(lines(a.out).size(), size_t(n));
  EXPECT_EQ(lines(a.out).back(), fmt::format("service/s{} created", n - 1));
  auto count = ctl("get svc -o name");
  ASSERT_EQ(count.rc, 0) << count.err;
  EXPECT_EQ(lines(count.out).size(), size_t(n));
  auto t2 = std::chrono::steady_clock::now();
  auto again = ctl("apply -f " + f);
  auto t3 = std::chrono::steady_clock::now();
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(lines(again.out).front(), "service/s0 unchanged");
  auto del = ctl("delete -f " + f);
  auto t4 = std::chrono::steady_clock::now();
  ASSERT_EQ(del.rc, 0) << del.err;
  EXPECT_EQ(lines(del.out).size(), size_t(n));
  using ms = std::chrono::milliseconds;
  std::printf(
      "30000 services (%zu bytes of YAML): apply %lld ms, apply again (unchanged) %lld ms, "
      "delete -f %lld ms\n",
      text.size(), (long long)std::chrono::duration_cast<ms>(t1 - t0).count(),
      (long long)std::chrono::duration_cast<ms>(t3 - t2).count(),
      (long long)std::chrono::duration_cast<ms>(t4 - t3).count());
}

}  // namespace
}  // namespace podnet::testing
