#include "core/manifest.hpp"

#include <optional>

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

namespace {

// Builds the Manifest object by object. The first bad object's error is kept (later objects
// are skipped) and worded at the end, when the number of objects is known: "f.yaml: Service
// web: ..." for a file of one object, "f.yaml: object 2 (Service web): ..." otherwise.
class ManifestBuilder {
 public:
  ManifestBuilder(std::string_view ns, bool explicit_ns) : ns_(ns), explicit_ns_(explicit_ns) {}

  void add(json&& doc) {
    const size_t i = seen_++;
    if (bad_) return;
    if (auto r = add_one(doc); !r)
      bad_.emplace(Bad{i, string_at(doc, "kind"), name_of(doc), r.error()});
  }

  Result<Manifest> finish(std::string_view what) && {
    if (!bad_) return std::move(m_);
    const Bad& b = *bad_;
    const std::string where =
        seen_ == 1 ? fmt::format("{}: {} {}", what, b.kind.empty() ? "object" : b.kind, b.name)
                   : fmt::format("{}: object {} ({} {})", what, b.index + 1,
                                 b.kind.empty() ? "?" : b.kind, b.name);
    Error e = b.error;
    e.message = fmt::format("{}: {}", where, e.message);
    return std::unexpected(std::move(e));
  }

 private:
  struct Bad {
    size_t index;
    std::string kind, name;
    Error error;  // without the object's place
  };

  static std::string name_of(const json& doc) {
    const json* meta = object_member(doc, "metadata");
    return meta ? string_at(*meta, "name") : "";
  }

  Result<> add_one(json& doc) {
    const std::string kind = string_at(doc, "kind");
    const std::string api = string_at(doc, "apiVersion");
    const json* meta = object_member(doc, "metadata");
    if (kind.empty()) return fail("kind: missing");
    if (!meta) return fail("metadata: missing");
    std::string obj_ns = string_at(*meta, "namespace");
    if (obj_ns.empty()) {
      doc["metadata"]["namespace"] = ns_;
    } else if (explicit_ns_ && obj_ns != ns_) {
      return fail(
          fmt::format("the namespace from the provided object \"{}\" does not match the namespace "
                      "\"{}\". You must pass '--namespace={}' to perform this operation.",
                      obj_ns, ns_, obj_ns));
    }
    if (kind == "Service") {
      if (!api.empty() && api != "v1")
        return fail(fmt::format("apiVersion: \"{}\" (want v1)", api));
      auto s = PODNET_TRY(cluster::service_from_json(doc));
      m_.order.push_back({ObjectKind::service, m_.services.size()});
      m_.services.push_back(std::move(s));
    } else if (kind == "Deployment") {
      if (!api.empty() && api != "apps/v1")
        return fail(fmt::format("apiVersion: \"{}\" (want apps/v1)", api));
      auto d = PODNET_TRY(deployment_from_manifest(doc));
      m_.order.push_back({ObjectKind::deployment, m_.deployments.size()});
      m_.deployments.push_back(std::move(d));
    } else {
      return fail(fmt::format("kind \"{}\" is not supported (want Service or Deployment)", kind));
    }
    return {};
  }

  std::string ns_;
  bool explicit_ns_;
  Manifest m_;
  size_t seen_ = 0;
  std::optional<Bad> bad_;
};

}  // namespace

Result<Manifest> manifest_from_documents(std::vector<json> docs, std::string_view what,
                                         std::string_view ns, bool explicit_ns) {
  ManifestBuilder b(ns, explicit_ns);
  for (auto& d : docs) b.add(std::move(d));
  return std::move(b).finish(what);
}

Result<Manifest> manifest_from_text(std::string_view text, std::string_view what,
                                    std::string_view ns, bool explicit_ns,
                                    const DocumentLimits& limits) {
  ManifestBuilder b(ns, explicit_ns);
  // Each object becomes a Service or Deployment as soon as it is read and its JSON is freed:
  // a file of 10000 Services held as JSON took 19 MB more, all freshly faulted in.
  PODNET_TRY_VOID(for_each_object(
      text, what, [&](json&& d) { b.add(std::move(d)); }, limits));
  return std::move(b).finish(what);
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
