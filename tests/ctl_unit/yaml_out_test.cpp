#include <gtest/gtest.h>

#include "core/documents.hpp"
#include "core/listing.hpp"
#include "core/yaml_out.hpp"

namespace podnet::ctl {
namespace {

using nlohmann::json;

TEST(CtlYaml, KubectlShape) {
  json j = json::parse(R"({"apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "web", "labels": {"app": "web"}},
      "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
               "selector": {}, "clusterIP": "10.96.0.10", "x": [], "flag": true, "n": null,
               "nested": [[1, 2], {"a": {"b": 1}}]}})");
  EXPECT_EQ(to_yaml(j),
            "apiVersion: v1\n"
            "kind: Service\n"
            "metadata:\n"
            "  labels:\n"
            "    app: web\n"
            "  name: web\n"
            "spec:\n"
            "  clusterIP: 10.96.0.10\n"
            "  flag: true\n"
            "  'n': null\n"
            "  nested:\n"
            "  -\n"
            "    - 1\n"
            "    - 2\n"
            "  - a:\n"
            "      b: 1\n"
            "  ports:\n"
            "  - port: 80\n"
            "    protocol: TCP\n"
            "    targetPort: 8080\n"
            "  selector: {}\n"
            "  x: []\n");
}

TEST(CtlYaml, StringsQuotedOnlyWhenPlainWouldChangeThem) {
  json j = {{"a", "80"},      {"b", "true"}, {"c", ""},      {"d", "a: b"},     {"e", "it's"},
            {"f", "line\nx"}, {"g", "-x"},   {"h", "web-1"}, {"i", "~"},        {"j", " x"},
            {"k", "a #b"},    {"l", "1.5"},  {"m", "http"},  {"n", "10.96.0.1"}};
  EXPECT_EQ(to_yaml(j),
            "a: '80'\nb: 'true'\nc: ''\nd: 'a: b'\ne: it's\nf: |-\n  line\n  x\ng: '-x'\n"
            "h: web-1\ni: '~'\nj: ' x'\nk: 'a #b'\nl: '1.5'\nm: http\n'n': 10.96.0.1\n");
}

// Multi-line text as literal blocks, chomping as the text ends; text a literal block cannot
// hold exactly (a leading blank, control characters) stays quoted.
TEST(CtlYaml, MultiLineTextAsLiteralBlocks) {
  json j = {{"chain", "table ip t {\n\tchain c {\n\t}\n}\n"},
            {"lines", json::array({"a\nb", "a\n\n"})},
            {"quoted", " a\nb"},
            {"ctl", "a\nb\x01"}};
  EXPECT_EQ(to_yaml(j),
            "chain: |\n  table ip t {\n  \tchain c {\n  \t}\n  }\n"
            "ctl: \"a\\nb\\u0001\"\n"
            "lines:\n- |-\n  a\n  b\n- |+\n  a\n\n"
            "quoted: \" a\\nb\"\n");
  auto back = yaml_documents(to_yaml(j), "literal");
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0], j);
}

// What we print reads back as the same value (through our own YAML reader).
TEST(CtlYaml, RoundTrips) {
  json j = json::parse(R"({"kind": "List", "apiVersion": "v1", "items": [
      {"kind": "Service", "metadata": {"name": "a", "labels": {"k": "on", "x": "0x1f"}},
       "spec": {"ports": [{"port": 53, "protocol": "UDP", "name": "dns-udp"}],
                "odd": ["'", "\"", "#", "a:b", ": ", "- a", "null", "[x]", "{}", "é"]}}]})");
  auto back = yaml_documents(to_yaml(j), "rt");
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0], j);
}

TEST(CtlListing, FormatsAndSingleObject) {
  std::vector<json> items = {{{"kind", "Service"}, {"metadata", {{"name", "a"}}}},
                             {{"kind", "Service"}, {"metadata", {{"name", "b"}}}}};
  EXPECT_EQ(format_objects(items, ListFormat::name, "service", false), "service/a\nservice/b\n");
  auto list = json::parse(format_objects(items, ListFormat::json, "service", false));
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["metadata"]["resourceVersion"], "");
  auto one = json::parse(format_objects({items[0]}, ListFormat::json, "service", true));
  EXPECT_EQ(one["metadata"]["name"], "a");
  EXPECT_EQ(format_objects({}, ListFormat::yaml, "service", false),
            "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ''\n");
  EXPECT_TRUE(parse_list_format("wide"));
  EXPECT_FALSE(parse_list_format("wide", false));
  EXPECT_FALSE(parse_list_format("xml"));
}

}  // namespace
}  // namespace podnet::ctl
