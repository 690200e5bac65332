#include "core/event_view.hpp"

#include <algorithm>
#include <cctype>

#include "core/describe_text.hpp"
#include "core/manifest.hpp"
#include "podnet/lab/table.hpp"

namespace podnet::ctl {
namespace {

lab::Row header(bool namespaces) {
  lab::Row h = {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
  if (namespaces) h.insert(h.begin(), "NAMESPACE");
  return h;
}

lab::Row row(const cluster::StoredEvent& se, int64_t now, bool namespaces) {
  const auto& e = se.event;
  std::string kind = e.involved.kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  lab::Row r = {event_age(e, now), std::string(cluster::to_string(e.type)), e.reason,
                kind + "/" + e.involved.name, e.message};
  if (namespaces) r.insert(r.begin(), cluster::event_namespace(e));
  return r;
}

}  // namespace

std::string events_table(const std::vector<cluster::StoredEvent>& events, int64_t now,
                         bool namespaces) {
  std::vector<lab::Row> rows;
  rows.reserve(events.size());
  for (const auto& e : events) rows.push_back(row(e, now, namespaces));
  return lab::format_table(header(namespaces), rows);
}

std::string event_watch_line(const cluster::StoredEvent& e, int64_t now, bool namespaces) {
  std::string t = lab::format_table(header(namespaces), {row(e, now, namespaces)});
  return t.substr(t.find('\n') + 1);
}

nlohmann::json event_object(const cluster::StoredEvent& e) {
  return with_type(cluster::to_json(e.event), "v1", "Event");
}

}  // namespace podnet::ctl
