#include "podnet/cluster/deployment.hpp"

#include <gtest/gtest.h>

namespace podnet::cluster {
namespace {

using nlohmann::json;

TEST(DeploymentJson, RoundTripAndShape) {
  auto d = make_deployment("default", "web", 3, 8080, 1764150231);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(deployment_key("default", "web"), "/podnet/deployments/default/web");
  json j = to_json(*d);
  EXPECT_EQ(j, json::parse(R"({"metadata": {"name": "web", "namespace": "default",
      "labels": {"app": "web"}, "creationTimestamp": "2025-11-26T09:43:51Z"},
      "spec": {"replicas": 3, "port": 8080, "selector": {"app": "web"}}})"));
  EXPECT_EQ(*deployment_from_json(j), *d);
  // replicas and port default to 1 and 80
  auto bare = deployment_from_json(
      json::parse(R"({"metadata": {"name": "db"}, "spec": {"selector": {"app": "db"}}})"));
  ASSERT_TRUE(bare.has_value()) << bare.error().message;
  EXPECT_EQ(bare->replicas, 1);
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->ns, "default");
}

TEST(DeploymentJson, ErrorsNameTheField) {
  const json good = to_json(*make_deployment("default", "web", 3, 80, 0));
  struct Case {
    const char* pointer;
    json value;
    const char* message;
  } cases[] = {
      {"/metadata/name", "Web",
       "metadata.name: \"Web\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/metadata/creationTimestamp", "yesterday",
       "metadata.creationTimestamp: \"yesterday\" is not a UTC time (2006-01-02T15:04:05Z)"},
      {"/spec/replicas", -1, "spec.replicas: -1 must be in 0..1000"},
      {"/spec/replicas", "3", "spec.replicas: must be an integer"},
      {"/spec/port", 70000, "spec.port: 70000 must be in 1..65535"},
      {"/spec/selector", json::object(), "spec.selector: must not be empty"},
      {"/spec/selector/app", 1, "spec.selector.app: must be a string"},
      {"/spec", 1, "spec: must be an object"},
  };
  for (const auto& c : cases) {
    json j = good;
    j[json::json_pointer(c.pointer)] = c.value;
    auto r = deployment_from_json(j);
    ASSERT_FALSE(r.has_value()) << c.pointer;
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(DeploymentMake, ArgumentErrorsNameTheArgument) {
  EXPECT_EQ(make_deployment("default", "web", -2, 80, 0).error().message,
            "replicas: -2 must be in 0..1000");
  EXPECT_EQ(make_deployment("default", "web", 1, 0, 0).error().message,
            "port: 0 must be in 1..65535");
  EXPECT_EQ(make_deployment("default", "Web", 1, 80, 0).error().message,
            "name: \"Web\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)");
  EXPECT_EQ(
      make_deployment("default", std::string(60, 'a'), 1, 80, 0).error().message,
      "name: \"" + std::string(60, 'a') + "\" is longer than 57 characters (pod names add 6)");
  EXPECT_TRUE(make_deployment("default", "web", 0, 80, 0).has_value());
}

TEST(DeploymentSelector, Matches) {
  EXPECT_TRUE(selector_matches({{"app", "web"}}, {{"app", "web"}, {"tier", "a"}}));
  EXPECT_FALSE(selector_matches({{"app", "web"}}, {{"app", "db"}}));
  EXPECT_FALSE(selector_matches({}, {{"app", "web"}}));
}

TEST(Timestamps, FormatAndParse) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(*parse_timestamp("2025-11-26T09:43:51Z", "t"), 1764150231);
  EXPECT_EQ(*parse_timestamp(format_timestamp(1764150231), "t"), 1764150231);
  EXPECT_FALSE(parse_timestamp("2025-11-26 09:43:51Z", "t").has_value());
  EXPECT_FALSE(parse_timestamp("2025-13-26T09:43:51Z", "t").has_value());
}

}  // namespace
}  // namespace podnet::cluster
