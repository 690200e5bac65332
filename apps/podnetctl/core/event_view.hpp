#pragma once
// What `get events` prints, shaped like kubectl's. Pure, no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/cluster/event.hpp"

namespace podnet::ctl {

// [NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE, rows in the given order (oldest first, as
// list_events returns them). OBJECT: "pod/web-x4k2p", "node/lxb001", "deployment/web".
std::string events_table(const std::vector<cluster::StoredEvent>& events, int64_t now,
                         bool namespaces);
// One row of that table without the header, for `get events -w`.
std::string event_watch_line(const cluster::StoredEvent& e, int64_t now, bool namespaces);

// The Event object of -o json|yaml: the stored shape with apiVersion v1, kind Event.
nlohmann::json event_object(const cluster::StoredEvent& e);

}  // namespace podnet::ctl
