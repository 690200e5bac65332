#pragma once
// podnetd's /status: the agent's own state as one JSON object (health, readiness and its
// reason, the last reconcile, the store, the service proxy), for `podnetctl inspect node`.
// /metrics carries the same figures for Prometheus; this adds what a metric cannot (the
// readiness reason, the last reconcile's error text) in a shape a CLI reads without parsing
// the exposition format. Pure, no I/O.
#include <nlohmann/json.hpp>

#include "podnet/agent/metrics.hpp"
#include "podnet/agent/readiness.hpp"

namespace podnet::agent {

// now: unix seconds, so readers can tell how old the timestamps are without trusting their
// own clock against the node's.
nlohmann::json render_status(const MetricsSnapshot& m, const Readiness& r, double now);

}  // namespace podnet::agent
