#include "core/manifest.hpp"

#include <fmt/format.h>

namespace podnet::ctl {
namespace {

using nlohmann::json;

std::string string_at(const json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* object_member(const json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

// `spec.template.spec.containers[0].ports[0].containerPort` when every step exists.
const json* template_port(const json& tmpl) {
  const json* spec = object_member(tmpl, "spec");
  if (!spec) return nullptr;
  auto c = spec->find("containers");
  if (c == spec->end() || !c->is_array() || c->empty() || !(*c)[0].is_object()) return nullptr;
  auto ports = (*c)[0].find("ports");
  if (ports == (*c)[0].end() || !ports->is_array() || ports->empty() || !(*ports)[0].is_object())
    return nullptr;
  auto p = (*ports)[0].find("containerPort");
  return p == (*ports)[0].end() ? nullptr : &*p;
}

}  // namespace

Result<cluster::Deployment> deployment_from_manifest(const json& doc) {
  const json* spec = object_member(doc, "spec");
  if (!spec) return cluster::deployment_from_json(doc);  // says "spec: missing"
  json d = doc;
  json& s = d["spec"];
  // Kubernetes' selector: {matchLabels: {...}}; podnet's: the label map itself.
  if (const json* sel = object_member(*spec, "selector")) {
    if (sel->contains("matchExpressions"))
      return fail("spec.selector.matchExpressions: not supported (use matchLabels)");
    if (sel->contains("matchLabels")) s["selector"] = (*sel)["matchLabels"];
  }
  if (const json* tmpl = object_member(*spec, "template")) {
    if (const json* port = template_port(*tmpl); port && !s.contains("port")) s["port"] = *port;
    // The lab's pods carry the deployment's labels: the template's are what pods must have.
    if (const json* tm = object_member(*tmpl, "metadata"))
      if (const json* labels = object_member(*tm, "labels")) d["metadata"]["labels"] = *labels;
    s.erase("template");
  }
  auto dep = PODNET_TRY(cluster::deployment_from_json(d));
  if (dep.labels.empty()) dep.labels = {{"app", dep.name}};
  // The controller gives pods the deployment's labels plus app=<name>: a selector asking for
  // anything else would never match its own pods.
  cluster::Labels pod_labels = dep.labels;
  pod_labels["app"] = dep.name;
  for (const auto& [k, v] : dep.selector) {
    auto it = pod_labels.find(k);
    if (it == pod_labels.end() || it->second != v)
      return fail(
          fmt::format("spec.selector: {}={} does not match the pod labels (selector must match the "
                      "template's labels)",
                      k, v));
  }
  return dep;
}

Result<Manifest> manifest_from_documents(std::vector<json> docs, std::string_view what,
                                         std::string_view ns, bool explicit_ns) {
  Manifest m;
  for (size_t i = 0; i < docs.size(); ++i) {
    json& doc = docs[i];
    const std::string kind = string_at(doc, "kind");
    const std::string api = string_at(doc, "apiVersion");
    const json* meta = object_member(doc, "metadata");
    const std::string name = meta ? string_at(*meta, "name") : "";
    auto where = [&] {
      return docs.size() == 1 ? fmt::format("{}: {} {}", what, kind.empty() ? "object" : kind, name)
                              : fmt::format("{}: object {} ({} {})", what, i + 1,
                                            kind.empty() ? "?" : kind, name);
    };
    auto bad = [&](const Error& e) { return fail(fmt::format("{}: {}", where(), e.message)); };
    if (kind.empty()) return fail(fmt::format("{}: kind: missing", where()));
    if (!meta) return fail(fmt::format("{}: metadata: missing", where()));
    std::string obj_ns = string_at(*meta, "namespace");
    if (obj_ns.empty()) {
      doc["metadata"]["namespace"] = ns;
    } else if (explicit_ns && obj_ns != ns) {
      return fail(fmt::format(
          "{}: the namespace from the provided object \"{}\" does not match the namespace "
          "\"{}\". You must pass '--namespace={}' to perform this operation.",
          where(), obj_ns, ns, obj_ns));
    }
    if (kind == "Service") {
      if (!api.empty() && api != "v1")
        return fail(fmt::format("{}: apiVersion: \"{}\" (want v1)", where(), api));
      auto s = cluster::service_from_json(doc);
      if (!s) return bad(s.error());
      m.order.push_back({ObjectKind::service, m.services.size()});
      m.services.push_back(std::move(*s));
    } else if (kind == "Deployment") {
      if (!api.empty() && api != "apps/v1")
        return fail(fmt::format("{}: apiVersion: \"{}\" (want apps/v1)", where(), api));
      auto d = deployment_from_manifest(doc);
      if (!d) return bad(d.error());
      m.order.push_back({ObjectKind::deployment, m.deployments.size()});
      m.deployments.push_back(std::move(*d));
    } else {
      return fail(fmt::format("{}: kind \"{}\" is not supported (want Service or Deployment)",
                              where(), kind));
    }
  }
  return m;
}

std::string_view resource_of(ObjectKind k) {
  return k == ObjectKind::service ? "service" : "deployment.apps";
}

json with_type(json stored, std::string_view api_version, std::string_view kind) {
  stored["apiVersion"] = api_version;
  stored["kind"] = kind;
  return stored;
}

}  // namespace podnet::ctl
