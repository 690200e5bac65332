#include "podnet/cluster/event.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "json_util.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/hash.hpp"

namespace podnet::cluster {

using namespace detail;

std::string_view to_string(EventType t) {
  return t == EventType::Warning ? "Warning" : "Normal";
}

ObjectRef pod_ref(std::string_view ns, std::string_view name) {
  return {"Pod", std::string(ns), std::string(name)};
}
ObjectRef node_ref(std::string_view name) {
  return {"Node", "", std::string(name)};
}
ObjectRef deployment_ref(std::string_view ns, std::string_view name) {
  return {"Deployment", std::string(ns), std::string(name)};
}
ObjectRef service_ref(std::string_view ns, std::string_view name) {
  return {"Service", std::string(ns), std::string(name)};
}

std::string event_namespace(const Event& e) {
  return e.involved.ns.empty() ? std::string(default_namespace) : e.involved.ns;
}

namespace {

// What makes two events the same; NUL-separated so no two field splits collide.
uint64_t identity_hash(const Event& e) {
  std::string id;
  for (std::string_view f : {std::string_view(e.involved.kind), std::string_view(e.involved.ns),
                             std::string_view(e.involved.name), to_string(e.type),
                             std::string_view(e.reason), std::string_view(e.source.component),
                             std::string_view(e.source.host), std::string_view(e.message)}) {
    id += f;
    id += '\0';
  }
  return stable_hash64(id);
}

}  // namespace

std::string event_name(const Event& e) {
  return fmt::format("{}.{:016x}", e.involved.name, identity_hash(e));
}

std::string events_ns_prefix(std::string_view ns) {
  return fmt::format("{}{}/", events_prefix, ns);
}

std::string event_key(const Event& e) {
  return events_ns_prefix(event_namespace(e)) + event_name(e);
}

bool same_event(const Event& a, const Event& b) {
  return a.involved == b.involved && a.type == b.type && a.reason == b.reason &&
         a.source == b.source && a.message == b.message;
}

nlohmann::json to_json(const Event& e) {
  json meta = {{"name", event_name(e)}, {"namespace", event_namespace(e)}};
  if (e.first) meta["creationTimestamp"] = format_timestamp(e.first);
  json involved = {{"kind", e.involved.kind}, {"name", e.involved.name}};
  if (!e.involved.ns.empty()) involved["namespace"] = e.involved.ns;
  json source = {{"component", e.source.component}};
  if (!e.source.host.empty()) source["host"] = e.source.host;
  return json{{"metadata", std::move(meta)},
              {"involvedObject", std::move(involved)},
              {"reason", e.reason},
              {"message", e.message},
              {"type", to_string(e.type)},
              {"source", std::move(source)},
              {"count", e.count},
              {"firstTimestamp", format_timestamp(e.first)},
              {"lastTimestamp", format_timestamp(e.last)}};
}

Result<Event> event_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("event: must be a JSON object");
  Event e;
  const json* inv = PODNET_TRY(object_at(j, "involvedObject", "", true));
  e.involved.kind = PODNET_TRY(req_string(*inv, "kind", "involvedObject"));
  e.involved.name = PODNET_TRY(req_string(*inv, "name", "involvedObject"));
  e.involved.ns = PODNET_TRY(opt_string(*inv, "namespace", "involvedObject")).value_or("");
  if (e.involved.kind.empty()) return fail("involvedObject.kind: must not be empty");
  if (e.involved.name.empty()) return fail("involvedObject.name: must not be empty");
  e.reason = PODNET_TRY(req_string(j, "reason", ""));
  e.message = PODNET_TRY(opt_string(j, "message", "")).value_or("");
  const std::string type = PODNET_TRY(opt_string(j, "type", "")).value_or("Normal");
  if (type == "Warning")
    e.type = EventType::Warning;
  else if (type != "Normal")
    return fail(fmt::format("type: unknown value \"{}\" (want one of Normal, Warning)", type));
  if (const json* src = PODNET_TRY(object_at(j, "source", "", false))) {
    e.source.component = PODNET_TRY(opt_string(*src, "component", "source")).value_or("");
    e.source.host = PODNET_TRY(opt_string(*src, "host", "source")).value_or("");
  }
  e.count = PODNET_TRY(opt_int(j, "count", "")).value_or(1);
  if (e.count < 1) return fail(fmt::format("count: {} must be at least 1", e.count));
  e.first = PODNET_TRY(
      parse_timestamp(PODNET_TRY(req_string(j, "firstTimestamp", "")), "firstTimestamp"));
  e.last =
      PODNET_TRY(parse_timestamp(PODNET_TRY(req_string(j, "lastTimestamp", "")), "lastTimestamp"));
  return e;
}

Event merge_repeat(const Event& stored, const Event& fresh) {
  Event out = stored;
  out.count = stored.count + fresh.count;
  out.first = std::min(stored.first, fresh.first);
  out.last = std::max(stored.last, fresh.last);
  return out;
}

std::vector<Event> coalesce(std::vector<Event> batch) {
  std::vector<Event> out;
  std::map<std::string, size_t> at;  // event key -> index in out
  for (auto& e : batch) {
    auto [it, fresh] = at.try_emplace(event_key(e), out.size());
    if (fresh)
      out.push_back(std::move(e));
    else
      out[it->second] = merge_repeat(out[it->second], e);
  }
  return out;
}

void sort_by_last_seen(std::vector<StoredEvent>& events) {
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    if (a.event.last != b.event.last) return a.event.last < b.event.last;
    return a.mod_revision < b.mod_revision;
  });
}

std::vector<StoredEvent> events_about(const std::vector<StoredEvent>& events,
                                      const ObjectRef& obj) {
  std::vector<StoredEvent> out;
  for (const auto& e : events)
    if (e.event.involved == obj) out.push_back(e);
  sort_by_last_seen(out);
  return out;
}

std::vector<PruneCandidate> plan_event_prune(std::vector<PruneCandidate> all, size_t bound) {
  if (all.size() <= bound) return {};
  const size_t excess = all.size() - bound;
  std::nth_element(all.begin(), all.begin() + long(excess) - 1, all.end(),
                   [](const auto& a, const auto& b) {
                     if (a.last != b.last) return a.last < b.last;
                     return a.mod_revision < b.mod_revision;
                   });
  all.resize(excess);
  return all;
}

}  // namespace podnet::cluster
