#include "podnet/cluster/deployment.hpp"

#include "json_util.hpp"
#include "meta_util.hpp"

namespace podnet::cluster {

using namespace detail;

std::string deployment_key(std::string_view ns, std::string_view name) {
  return fmt::format("{}{}/{}", deployments_prefix, ns, name);
}

Result<> validate_replicas(int64_t replicas) {
  if (replicas < 0 || replicas > max_replicas)
    return fail(fmt::format("replicas: {} must be in 0..{}", replicas, max_replicas));
  return {};
}

namespace {

// Pod names are <deployment>-xxxxx and must stay DNS-1123 labels (63 characters).
constexpr size_t max_name = 63 - 6;

Result<> validate_deployment(const Deployment& d, std::string_view path_prefix) {
  PODNET_TRY_VOID(validate_dns_label(d.name, "metadata.name"));
  if (d.name.size() > max_name)
    return fail(fmt::format("metadata.name: \"{}\" is longer than {} characters (pod names add 6)",
                            d.name, max_name));
  if (auto r = validate_replicas(d.replicas); !r)
    return fail(fmt::format("{}{}", path_prefix, r.error().message));
  if (d.selector.empty()) return fail("spec.selector: must not be empty");
  return {};
}

}  // namespace

Result<Deployment> make_deployment(std::string_view ns, std::string_view name, int64_t replicas,
                                   int64_t port, int64_t created) {
  Deployment d;
  d.ns = std::string(ns);
  d.name = std::string(name);
  PODNET_TRY_VOID(validate_dns_label(d.ns, "namespace"));
  if (auto r = validate_dns_label(d.name, "name"); !r) return fail(r.error());
  if (d.name.size() > max_name)
    return fail(fmt::format("name: \"{}\" is longer than {} characters (pod names add 6)", d.name,
                            max_name));
  PODNET_TRY_VOID(validate_replicas(replicas));
  if (port < 1 || port > 65535) return fail(fmt::format("port: {} must be in 1..65535", port));
  d.replicas = replicas;
  d.port = uint16_t(port);
  d.created = created;
  d.labels = {{"app", d.name}};
  d.selector = d.labels;
  return d;
}

nlohmann::json to_json(const Deployment& d) {
  json meta = meta_json(d.name, d.ns, d.labels);
  if (d.created) meta["creationTimestamp"] = format_timestamp(d.created);
  return json{{"metadata", meta},
              {"spec", {{"replicas", d.replicas}, {"port", d.port}, {"selector", d.selector}}}};
}

Result<Deployment> deployment_from_json(const nlohmann::json& j) {
  auto meta = PODNET_TRY(read_meta(j, true));
  Deployment d;
  d.name = std::move(meta.name);
  d.ns = std::move(meta.ns);
  d.labels = std::move(meta.labels);
  const json* m = PODNET_TRY(object_at(j, "metadata", "", true));
  if (auto ts = PODNET_TRY(opt_string(*m, "creationTimestamp", "metadata")))
    d.created = PODNET_TRY(parse_timestamp(*ts, "metadata.creationTimestamp"));
  const json* spec = PODNET_TRY(object_at(j, "spec", "", true));
  d.replicas = PODNET_TRY(opt_int(*spec, "replicas", "spec")).value_or(1);
  d.port = PODNET_TRY(port_field(*spec, "port", "spec", false));
  if (!d.port) d.port = 80;
  d.selector = PODNET_TRY(read_labels(*spec, "selector", "spec"));
  PODNET_TRY_VOID(validate_deployment(d, "spec."));
  return d;
}

bool selector_matches(const Labels& selector, const Labels& labels) {
  if (selector.empty()) return false;
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace podnet::cluster
