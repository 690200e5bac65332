#pragma once
// How `podnetctl trace` shows a predicted path: a table, one hop per line, and the verdict; or
// JSON (shape in docs/contracts.md "podnetctl trace"). Pure.
#include <string>

#include <nlohmann/json.hpp>

#include "podnet/trace/path.hpp"

namespace podnet::trace {

// One end of a trace as the user named it, resolved.
struct Endpoint {
  std::string kind;  // pod, node, ip, service, ext
  std::string name;  // pod/node/service name, the address for ip, "ext"
  std::string netns;
  std::optional<net::IpAddress> ip;
  std::string node;           // pods
  std::string label() const;  // "pod/web-x (192.168.1.2 on lxb001)", "svc/web (10.96.0.10)"
};

struct TraceHeader {
  Endpoint from, to;
  Proto proto = Proto::icmp;
  uint16_t port = 0;
};

// "trace pod/web-x (...) -> svc/web (...) tcp/80", then the hop table, then
// "predicted: delivered to ... at hop 9" or "predicted: dropped at hop 3 (node/lxb001): ...".
std::string predicted_text(const TraceHeader& h, const Path& p);
nlohmann::json endpoint_json(const Endpoint& e);
nlohmann::json predicted_json(const Path& p);

}  // namespace podnet::trace
