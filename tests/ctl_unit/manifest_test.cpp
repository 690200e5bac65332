#include <gtest/gtest.h>

#include "core/documents.hpp"
#include "core/manifest.hpp"

namespace podnet::ctl {
namespace {

// Both ways of reading a file (all documents first, or object by object as apply -f does)
// must give the same objects and the same error.
Result<Manifest> manifest(std::string_view text, std::string_view ns = "default",
                          bool explicit_ns = false) {
  auto streamed = manifest_from_text(text, "f.yaml", ns, explicit_ns);
  auto docs = read_documents(text, "f.yaml");
  Result<Manifest> whole =
      docs ? manifest_from_documents(std::move(*docs), "f.yaml", ns, explicit_ns)
           : Result<Manifest>(std::unexpected(docs.error()));
  EXPECT_EQ(bool(streamed), bool(whole));
  if (streamed && whole) {
    EXPECT_EQ(streamed->services, whole->services);
    EXPECT_EQ(streamed->deployments, whole->deployments);
    EXPECT_EQ(streamed->order.size(), whole->order.size());
    for (size_t i = 0; i < std::min(streamed->order.size(), whole->order.size()); ++i) {
      EXPECT_EQ(streamed->order[i].kind, whole->order[i].kind);
      EXPECT_EQ(streamed->order[i].index, whole->order[i].index);
    }
  } else if (!streamed && !whole) {
    EXPECT_EQ(streamed.error().message, whole.error().message);
  }
  return whole;
}

constexpr std::string_view two = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
      - name: app
        image: nginx
        ports:
        - containerPort: 8080
)";

TEST(CtlManifest, ServicesAndKubernetesDeployments) {
  auto m = manifest(two);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->services.size(), 1u);
  ASSERT_EQ(m->deployments.size(), 1u);
  ASSERT_EQ(m->order.size(), 2u);
  EXPECT_EQ(m->order[0].kind, ObjectKind::service);
  EXPECT_EQ(m->order[1].kind, ObjectKind::deployment);
  const auto& s = m->services[0];
  EXPECT_EQ(s.ns, "default");
  EXPECT_EQ(s.type, cluster::ServiceType::NodePort);
  EXPECT_EQ(s.ports[0].targetPort, cluster::TargetPort("http"));
  const auto& d = m->deployments[0];
  EXPECT_EQ(d.ns, "shop");
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.port, 8080);
  EXPECT_EQ(d.selector, (cluster::Labels{{"app", "web"}}));
  EXPECT_EQ(d.labels, (cluster::Labels{{"app", "web"}, {"tier", "front"}}));
}

TEST(CtlManifest, PodnetDeploymentShape) {
  auto m = manifest(R"({"kind": "Deployment", "metadata": {"name": "db"},
                        "spec": {"replicas": 1, "port": 5432, "selector": {"app": "db"}}})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->deployments[0].port, 5432);
  EXPECT_EQ(m->deployments[0].labels, (cluster::Labels{{"app", "db"}}));
}

TEST(CtlManifest, ErrorsNameTheObjectAndField) {
  auto msg = [](std::string_view text, std::string_view ns = "default", bool explicit_ns = false) {
    auto m = manifest(text, ns, explicit_ns);
    return m ? std::string("ok") : m.error().message;
  };
  EXPECT_EQ(msg("kind: ConfigMap\nmetadata: {name: x}\n"),
            "f.yaml: ConfigMap x: kind \"ConfigMap\" is not supported (want Service or "
            "Deployment)");
  EXPECT_EQ(msg("metadata: {name: x}\n"), "f.yaml: object x: kind: missing");
  EXPECT_EQ(msg("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\n"
                "kind: Service\nmetadata: {name: b}\nspec: {ports: [{port: 70000}]}\n"),
            "f.yaml: object 2 (Service b): spec.ports[0].port: 70000 must be in 1..65535");
  EXPECT_EQ(msg("apiVersion: v2\nkind: Service\nmetadata: {name: a}\n"),
            "f.yaml: Service a: apiVersion: \"v2\" (want v1)");
  EXPECT_EQ(msg("kind: Deployment\nmetadata: {name: a}\nspec: {selector: {app: b}}\n"),
            "f.yaml: Deployment a: spec.selector: app=b does not match the pod labels (selector "
            "must match the template's labels)");
  EXPECT_EQ(msg("kind: Service\nmetadata: {name: a, namespace: x}\nspec: {ports: [{port: 80}]}\n",
                "y", true),
            "f.yaml: Service a: the namespace from the provided object \"x\" does not match the "
            "namespace \"y\". You must pass '--namespace=x' to perform this operation.");
  // Without an explicit -n the object's namespace wins; without one, -n's default.
  auto m =
      manifest("kind: Service\nmetadata: {name: a, namespace: x}\nspec: {ports: [{port: 80}]}\n",
               "default", false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->services[0].ns, "x");
  auto n = manifest("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n", "y", true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->services[0].ns, "y");
}

TEST(CtlManifest, ReadingErrorsComeBeforeAnEarlierBadObject) {
  // Object by object, the bad first Service is met before the syntax error further on; the
  // file's reading error is still the one reported, as when the file is read whole first.
  const std::string text =
      "kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 0}]}\n---\n"
      "kind: Service\nmetadata: [\n";
  auto m = manifest(text);
  ASSERT_FALSE(m);
  EXPECT_TRUE(m.error().message.starts_with("f.yaml: line 7, column 1: ")) << m.error().message;
  // A misshapen document after a bad object: the shape error, named by its document.
  auto shape =
      manifest("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 0}]}\n---\n- 1\n");
  ASSERT_FALSE(shape);
  EXPECT_EQ(shape.error().message,
            "f.yaml: document 2: want an object with apiVersion, kind and metadata");
  // One bad object followed by good ones is "object 1", as the file has several.
  auto first = manifest(
      "kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 0}]}\n---\n"
      "kind: Service\nmetadata: {name: b}\nspec: {ports: [{port: 80}]}\n");
  ASSERT_FALSE(first);
  EXPECT_TRUE(first.error().message.starts_with("f.yaml: object 1 (Service a): spec.ports[0].port"))
      << first.error().message;
}

}  // namespace
}  // namespace podnet::ctl
