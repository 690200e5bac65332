#pragma once
// The text of kubectl's describe: "Label:" then the value at a fixed column (kubectl's
// tabwriter pads to the longest label of the object's kind plus two spaces), and the Events
// table every describe ends with. Pure.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/event.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::ctl {

struct DescribeText {
  size_t column;  // where values start
  std::string out;

  void line(std::string_view label, std::string_view value);
  // "Labels:  a=b" then one "k=v" per further line at the value column; "<none>" when empty.
  void labels(std::string_view label, const cluster::Labels& labels);
  // Events:\n  Type Reason Age From Message (two-space padded, oldest first), or "Events: <none>".
  void events(const std::vector<cluster::StoredEvent>& events, int64_t now);
};

// A describe sub-table: rows indented by two, columns two spaces apart, no trailing spaces.
void describe_table(std::string& out, const std::vector<std::vector<std::string>>& rows);

// kubectl's event Age / LAST SEEN: "12s", or "3m (x5 over 10m)" for a repeated event.
std::string event_age(const cluster::Event& e, int64_t now);
// kubectl's From: "kubelet, lxb001" (component, host), "<unknown>" without a component.
std::string event_from(const cluster::EventSource& s);

}  // namespace podnet::ctl

namespace podnet::ctl {
// kubectl's describe times (RFC 1123 with a numeric zone, UTC): "Wed, 02 Dec 2026 19:05:17 +0000";
// "<unknown>" for 0.
std::string describe_time(int64_t unix_seconds);
}  // namespace podnet::ctl
