#pragma once
// Events: what happened to an object, in kubectl's Event shape, with a bounded history. Pure,
// no I/O (the recorder that writes them is podnet_events).
//
//   /podnet/events/<ns>/<object>.<16 hex>
//   {"metadata": {"name": "web-x4k2p.0f3c...", "namespace": "default",
//                 "creationTimestamp": "2026-12-02T19:05:17Z"},
//    "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-x4k2p"},
//    "reason": "Scheduled", "message": "Successfully assigned default/web-x4k2p to lxb001",
//    "type": "Normal", "source": {"component": "default-scheduler"},
//    "count": 1, "firstTimestamp": "...", "lastTimestamp": "..."}
//
// The key's hex is a hash of what makes two events "the same" (object, type, reason, source,
// message): a repeat finds its key and bumps count/lastTimestamp instead of adding a key.
// Events about cluster-wide objects (nodes) live in namespace "default", as Kubernetes keeps
// them. The history is bounded by count: recorders prune the oldest (by lastTimestamp) beyond
// max_events, see plan_event_prune.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"

namespace podnet::cluster {

inline constexpr std::string_view events_prefix = "/podnet/events/";
// Events kept across the cluster (all namespaces). Each recorder prunes after every
// prune_every keys it created, so the store holds at most max_events + prune_every per
// recorder between prunes.
inline constexpr size_t max_events = 1000;
inline constexpr size_t event_prune_every = 64;

enum class EventType { Normal, Warning };
std::string_view to_string(EventType t);

// The object an event is about; `ns` empty for cluster-wide objects (Node).
struct ObjectRef {
  std::string kind;  // "Pod", "Node", "Deployment", "Service"
  std::string ns;
  std::string name;
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};
ObjectRef pod_ref(std::string_view ns, std::string_view name);
ObjectRef node_ref(std::string_view name);
ObjectRef deployment_ref(std::string_view ns, std::string_view name);
ObjectRef service_ref(std::string_view ns, std::string_view name);

struct EventSource {
  std::string component;  // "kubelet", "default-scheduler", "deployment-controller", "podnetd"
  std::string host;       // the node, when the component runs on one
  friend bool operator==(const EventSource&, const EventSource&) = default;
};

struct Event {
  ObjectRef involved;
  EventType type = EventType::Normal;
  std::string reason;   // CamelCase word: Scheduled, SandboxCreated, ...
  std::string message;  // one line
  EventSource source;
  int64_t count = 1;
  int64_t first = 0;  // firstTimestamp (unix seconds)
  int64_t last = 0;   // lastTimestamp
  friend bool operator==(const Event&, const Event&) = default;
};

// The store namespace of an event: its object's, "default" for cluster-wide objects.
std::string event_namespace(const Event& e);
// metadata.name: "<object name>.<16 hex digits of the identity hash>".
std::string event_name(const Event& e);
std::string event_key(const Event& e);              // "/podnet/events/<ns>/<event_name>"
std::string events_ns_prefix(std::string_view ns);  // "/podnet/events/<ns>/"
// Two events are repeats of one another (same key).
bool same_event(const Event& a, const Event& b);

nlohmann::json to_json(const Event& e);
// Errors name the field ("involvedObject.kind: missing").
Result<Event> event_from_json(const nlohmann::json& j);

// `stored` seen again as `fresh`: count adds up, firstTimestamp stays, lastTimestamp moves on.
Event merge_repeat(const Event& stored, const Event& fresh);

// Repeats within one batch folded into their first occurrence (count summed, last moved), in
// order of first occurrence: one store write per distinct event.
std::vector<Event> coalesce(std::vector<Event> batch);

// An event as listed from the store: its revision orders events of the same second.
struct StoredEvent {
  Event event;
  std::string key;
  int64_t mod_revision = 0;
};
// Oldest first: by lastTimestamp, then by the revision of the last write.
void sort_by_last_seen(std::vector<StoredEvent>& events);
// The events about `obj`, oldest first (for describe).
std::vector<StoredEvent> events_about(const std::vector<StoredEvent>& events, const ObjectRef& obj);

// One key under events_prefix for pruning: `last` 0 when its value does not parse (pruned
// first: nothing can show it).
struct PruneCandidate {
  std::string key;
  int64_t last = 0;
  int64_t mod_revision = 0;
};
// The keys to delete so that at most `bound` remain: the oldest by (last, mod_revision).
std::vector<PruneCandidate> plan_event_prune(std::vector<PruneCandidate> all, size_t bound);

}  // namespace podnet::cluster
