#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/documents.hpp"

namespace podnet::ctl {
namespace {

using nlohmann::json;

TEST(CtlDocuments, YamlScalarsTypedByTheCoreSchema) {
  auto docs = yaml_documents(
      "a: 80\nb: '80'\nc: \"80\"\nd: true\ne: ~\nf: 1.5\ng: web\nh: 0x10\ni: -3\nj: null\n"
      "k: yes\nl: 1e3\nm: 10.96.0.1\n",
      "t");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 1u);
  const json& d = (*docs)[0];
  EXPECT_EQ(d["a"], 80);
  EXPECT_EQ(d["b"], "80");
  EXPECT_EQ(d["c"], "80");
  EXPECT_EQ(d["d"], true);
  EXPECT_TRUE(d["e"].is_null());
  EXPECT_EQ(d["f"], 1.5);
  EXPECT_EQ(d["g"], "web");
  EXPECT_EQ(d["h"], 16);
  EXPECT_EQ(d["i"], -3);
  EXPECT_TRUE(d["j"].is_null());
  EXPECT_EQ(d["k"], "yes");  // YAML 1.2: only true/false are booleans
  EXPECT_EQ(d["l"], 1000.0);
  EXPECT_EQ(d["m"], "10.96.0.1");
}

TEST(CtlDocuments, SeveralYamlDocumentsAndEmptyOnesSkipped) {
  auto docs = read_documents(
      "---\n# only a comment\n---\nkind: Service\nmetadata: {name: a}\n---\n---\n"
      "kind: Deployment\nmetadata:\n  name: b\n...\n",
      "f.yaml");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0]["metadata"]["name"], "a");
  EXPECT_EQ((*docs)[1]["kind"], "Deployment");
}

TEST(CtlDocuments, ListItemsFlattenedInOrder) {
  auto docs = read_documents(
      R"({"apiVersion": "v1", "kind": "List", "items": [
          {"kind": "Service", "metadata": {"name": "a"}},
          {"kind": "ServiceList", "items": [{"kind": "Service", "metadata": {"name": "b"}}]},
          {"kind": "Service", "metadata": {"name": "c"}}]})",
      "l.json");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0]["metadata"]["name"], "a");
  EXPECT_EQ((*docs)[1]["metadata"]["name"], "b");
  EXPECT_EQ((*docs)[2]["metadata"]["name"], "c");
  // A YAML List too; an empty one gives nothing.
  auto y = read_documents("kind: List\nitems:\n- kind: Service\n  metadata: {name: x}\n", "y");
  ASSERT_TRUE(y);
  ASSERT_EQ(y->size(), 1u);
  auto empty = read_documents("kind: List\nitems: []\n", "e");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(CtlDocuments, ErrorsNameTheFileAndWhere) {
  auto bad = read_documents("kind: Service\nmetadata: [\n", "s.yaml");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().message.starts_with("s.yaml: line ")) << bad.error().message;
  auto scalar = read_documents("just text\n", "s.yaml");
  ASSERT_FALSE(scalar);
  EXPECT_EQ(scalar.error().message, "s.yaml: want an object with apiVersion, kind and metadata");
  auto items = read_documents("kind: List\nitems: 5\n", "s.yaml");
  ASSERT_FALSE(items);
  EXPECT_EQ(items.error().message, "s.yaml: items: must be a list");
  auto second = read_documents("kind: Service\n---\n- 1\n", "s.yaml");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message,
            "s.yaml: document 2: want an object with apiVersion, kind and metadata");
  auto json_bad = read_documents("{\"kind\": ", "j.json");
  ASSERT_FALSE(json_bad);
  EXPECT_TRUE(json_bad.error().message.starts_with("j.json: ")) << json_bad.error().message;
  auto dup = read_documents("a: 1\na: 2\n", "d.yaml");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "d.yaml: line 1: key \"a\" appears twice");
}

TEST(CtlDocuments, HostileInputIsBounded) {
  // Deep nesting, in flow and block style, in JSON and YAML: refused, not a stack overflow.
  std::string deep_json(100000, '[');
  auto j = read_documents(deep_json, "deep.json");
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("nesting deeper than 64"), std::string::npos)
      << j.error().message;
  std::string deep_yaml = "a: " + std::string(100000, '[');
  auto y = read_documents(deep_yaml, "deep.yaml");
  ASSERT_FALSE(y);
  std::string block;
  for (int i = 0; i < 100; ++i) block += std::string(size_t(i) * 2, ' ') + "k:\n";
  auto b = read_documents(block, "block.yaml");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("nesting deeper than 64"), std::string::npos)
      << b.error().message;
  // Billion laughs: aliases expanding far beyond the text are refused.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c)
    laughs += fmt::format("{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n", c, c,
                          char(c - 1), char(c - 1), char(c - 1), char(c - 1), char(c - 1),
                          char(c - 1), char(c - 1), char(c - 1), char(c - 1), char(c - 1));
  auto l = read_documents(laughs, "laughs.yaml");
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().message.find("aliases"), std::string::npos) << l.error().message;
  // Size.
  auto big = read_documents(std::string(100, ' ') + "a: 1", "big.yaml", {.max_bytes = 50});
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("more than the limit of 50"), std::string::npos);
}

TEST(CtlDocuments, YamlStylesTagsAnchorsAndAliases) {
  auto docs = yaml_documents(
      "base: &b {app: web, tier: '1'}\n"
      "copy: *b\n"
      "flow: [1, \"2\", three, {k: v}]\n"
      "lit: |\n  line one\n  line two\n"
      "fold: >\n  a\n  b\n"
      "str: !!str 80\n"
      "int: !!int \"81\"\n"
      "nonspecific: ! 82\n"
      "empty:\n"
      "tilde: ~\n"
      "quoted_null: 'null'\n"
      "name: &n web\n"
      "*n : aliased key\n"
      "big: 18446744073709551616\n"
      "neg: -9223372036854775808\n"
      "oct: 0o17\n",
      "t");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 1u);
  const json& d = (*docs)[0];
  EXPECT_EQ(d["base"], (json{{"app", "web"}, {"tier", "1"}}));
  EXPECT_EQ(d["copy"], d["base"]);
  EXPECT_EQ(d["flow"], (json{1, "2", "three", {{"k", "v"}}}));
  EXPECT_EQ(d["lit"], "line one\nline two\n");
  EXPECT_EQ(d["fold"], "a b\n");
  EXPECT_EQ(d["str"], "80");
  EXPECT_EQ(d["int"], 81);
  EXPECT_EQ(d["nonspecific"], "82");
  EXPECT_TRUE(d["empty"].is_null());
  EXPECT_TRUE(d["tilde"].is_null());
  EXPECT_EQ(d["quoted_null"], "null");
  EXPECT_EQ(d["web"], "aliased key");
  EXPECT_TRUE(d["big"].is_number_float());
  EXPECT_EQ(d["neg"], INT64_MIN);
  EXPECT_EQ(d["oct"], 15);
}

TEST(CtlDocuments, YamlDocumentsOfAStream) {
  // Anchors belong to their document; `...` ends one; an empty stream has none.
  auto docs = yaml_documents("a: &x 1\n...\n---\nb: 2\n--- 3\n", "s");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0]["a"], 1);
  EXPECT_EQ((*docs)[1]["b"], 2);
  EXPECT_EQ((*docs)[2], 3);
  auto none = yaml_documents("# nothing\n", "s");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto cross = yaml_documents("a: &x 1\n---\nb: *x\n", "c.yaml");
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().message, "c.yaml: line 3: alias *x names no anchor before it");
}

TEST(CtlDocuments, YamlErrorsNameLineAndWhat) {
  auto tab = yaml_documents("kind: Service\n\tmetadata: {}\n", "t.yaml");
  ASSERT_FALSE(tab);
  EXPECT_TRUE(tab.error().message.starts_with("t.yaml: line 2, column 1: ")) << tab.error().message;
  auto quote = yaml_documents("a:\n  b: \"open\n", "q.yaml");
  ASSERT_FALSE(quote);
  EXPECT_NE(quote.error().message.find("quoted scalar at line 2"), std::string::npos)
      << quote.error().message;
  auto complex_key = yaml_documents("? [a, b]\n: 1\n", "k.yaml");
  ASSERT_FALSE(complex_key);
  EXPECT_EQ(complex_key.error().message, "k.yaml: line 1: a map key must be a plain value");
  auto tag = yaml_documents("a: !custom x\n", "g.yaml");
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().message, "g.yaml: line 1: unsupported tag !custom on \"x\"");
  auto bad_int = yaml_documents("a: !!int web\n", "i.yaml");
  ASSERT_FALSE(bad_int);
  EXPECT_EQ(bad_int.error().message,
            "i.yaml: line 1: unsupported tag tag:yaml.org,2002:int on \"web\"");
  auto dup = yaml_documents("x: 1\nm:\n  a: 1\n  b: 2\n  a: 3\n", "d.yaml");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "d.yaml: line 3: key \"a\" appears twice");
}

TEST(CtlDocuments, ManyYamlDocumentsAsJsonWouldGive) {
  // The shape `bench_services --e2e` writes: the YAML and JSON readings agree.
  std::string yaml, json_items;
  for (int i = 0; i < 200; ++i) {
    yaml += fmt::format(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s{}\nspec:\n  clusterIP: 10.96.0.{}\n"
        "  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 80\n---\n",
        i, i + 1);
    json_items += fmt::format(
        R"({}{{"apiVersion": "v1", "kind": "Service", "metadata": {{"name": "s{}"}}, "spec":
           {{"clusterIP": "10.96.0.{}", "selector": {{"app": "web"}},
             "ports": [{{"port": 80, "targetPort": 80}}]}}}})",
        i ? "," : "", i, i + 1);
  }
  auto y = read_documents(yaml, "y");
  auto j = read_documents(R"({"kind": "List", "items": [)" + json_items + "]}", "j");
  ASSERT_TRUE(y) << y.error().message;
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ(*y, *j);
}

TEST(CtlDocuments, ByteOrderMarkAndLeadingSpaceBeforeJson) {
  auto docs = read_documents("\xEF\xBB\xBF  \n{\"kind\": \"Service\", \"metadata\": {}}", "b");
  ASSERT_TRUE(docs) << docs.error().message;
  EXPECT_EQ(docs->size(), 1u);
}

}  // namespace
}  // namespace podnet::ctl
