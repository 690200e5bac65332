#pragma once
// podnetctl trace's names: the lab's namespaces and the store's nodes, pods and Services, and
// how FROM/TO (pod, node, IP, svc/NAME, ext) and --port/--proto resolve against them.
#include <string>
#include <vector>

#include "podnet/cluster/objects.hpp"
#include "podnet/lab/state.hpp"
#include "podnet/store/store.hpp"
#include "podnet/svcstore/service_store.hpp"
#include "podnet/trace/kernel_facts.hpp"
#include "podnet/trace/report.hpp"

namespace podnet::ctl {

struct TraceArgs {
  std::string from, to;
  std::string proto;      // empty: tcp with a port, else icmp
  int port = -1;          // -1: none given
  bool no_probe = false;  // the prediction only
};

struct TraceWorld {
  std::string lab;
  lab::LabState state;
  std::vector<cluster::Node> nodes;
  std::vector<cluster::Pod> pods;  // every namespace, those with an address
  std::vector<cluster::Service> services;
  trace::Cluster cluster;
  trace::ReaderOptions reader;
};

Result<TraceWorld> read_world(const std::string& lab, const lab::LabState& state, store::Store& st,
                              svcstore::ServiceStore& services);

// Errors name the argument ("TO: no pod \"x\" in namespace default, no node, no service").
Result<trace::Endpoint> resolve_endpoint(const TraceWorld& w, std::string_view field,
                                         const std::string& text, const std::string& ns,
                                         bool is_from);
Result<trace::Proto> parse_trace_proto(const TraceArgs& a);
// The destination port: --port, else svc/NAME's only (or first) port of that protocol.
Result<uint16_t> pick_port(const TraceWorld& w, const TraceArgs& a, const trace::Endpoint& to,
                           trace::Proto proto);

}  // namespace podnet::ctl
