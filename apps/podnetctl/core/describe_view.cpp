#include "core/describe_view.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/describe_text.hpp"
#include "podnet/lab/table.hpp"

namespace podnet::ctl {
namespace {

std::string phase_or_reason(const cluster::Pod& p) {
  return std::string(cluster::to_string(p.phase));
}

std::string true_false(bool b) {
  return b ? "True" : "False";
}

std::string container_state(const cluster::Pod& p) {
  if (p.phase == cluster::PodPhase::Running && p.ready) return "Running";
  if (p.containerID.empty()) return "Waiting";
  return p.ready ? "Running" : "Waiting";
}

}  // namespace

std::string describe_pod(const cluster::Pod& p, const std::optional<cluster::Node>& node,
                         const std::vector<cluster::StoredEvent>& events, int64_t now) {
  // The longest label, "Service Account:", plus two spaces.
  DescribeText d{.column = 18, .out = {}};
  d.line("Name:", p.name);
  d.line("Namespace:", p.ns);
  d.line("Priority:", "0");
  d.line("Service Account:", "default");
  std::string node_text = "<none>";
  if (!p.node.empty())
    node_text = node ? fmt::format("{}/{}", p.node, node->internalIP.str()) : p.node;
  d.line("Node:", node_text);
  d.line("Start Time:", describe_time(p.created));
  d.labels("Labels:", p.labels);
  d.line("Annotations:", "<none>");
  d.line("Status:", phase_or_reason(p));
  if (!p.reason.empty() && p.phase != cluster::PodPhase::Running) d.line("Reason:", p.reason);
  d.line("IP:", p.podIP ? p.podIP->str() : "");
  if (p.podIP) {
    d.out += "IPs:\n";
    d.out += "  IP:  " + p.podIP->str() + "\n";
  } else {
    d.line("IPs:", "<none>");
  }
  if (!p.owner.empty()) d.out += "Controlled By:  Deployment/" + p.owner + "\n";
  d.out += "Containers:\n  app:\n";
  // Container lines: four spaces in, values at the longest label "Restart Count:" plus two.
  DescribeText c{.column = 20, .out = {}};
  c.line("    Container ID:", p.containerID.empty() ? "" : "podnet://" + p.containerID);
  c.line("    Image:", "podnet-lab/http (built in)");
  if (p.port) {
    c.line("    Port:", fmt::format("{}/TCP", p.port));
    c.line("    Host Port:", "0/TCP");
  } else {
    c.line("    Port:", "<none>");
  }
  const std::string state = container_state(p);
  c.line("    State:", state);
  if (state == "Waiting" && !p.reason.empty()) c.line("      Reason:", p.reason);
  c.line("    Ready:", true_false(p.ready));
  c.line("    Restart Count:", fmt::format("{}", p.restartCount));
  c.line("    Environment:", "<none>");
  d.out += c.out;
  d.out += "Conditions:\n";
  const bool scheduled = !p.node.empty();
  const bool sandbox = p.podIP.has_value();
  describe_table(d.out, {{"Type", "Status"},
                         {"PodReadyToStartContainers", true_false(sandbox)},
                         {"Initialized", "True"},
                         {"Ready", true_false(p.ready)},
                         {"ContainersReady", true_false(p.ready)},
                         {"PodScheduled", true_false(scheduled)}});
  d.events(events, now);
  return std::move(d.out);
}

std::string describe_node(const cluster::Node& n, const std::vector<cluster::Pod>& pods,
                          std::optional<cluster::BackendType> backend,
                          const std::vector<cluster::StoredEvent>& events, int64_t now) {
  // The longest label, "CreationTimestamp:", plus two spaces.
  DescribeText d{.column = 20, .out = {}};
  d.line("Name:", n.name);
  d.line("Roles:", "<none>");
  d.labels("Labels:", {{"kubernetes.io/hostname", n.name}});
  cluster::Labels annotations;
  if (backend) annotations["podnet.io/backend"] = std::string(cluster::to_string(*backend));
  if (!n.vtepMAC.empty()) annotations["podnet.io/vtep-mac"] = n.vtepMAC;
  if (annotations.empty()) {
    d.line("Annotations:", "<none>");
  } else {
    bool first = true;
    for (const auto& [k, v] : annotations) {
      d.line(first ? "Annotations:" : "", k + ": " + v);
      first = false;
    }
  }
  d.line("Unschedulable:", "false");
  d.out += "Lease:\n";
  d.out += "  HolderIdentity:  " + n.name + "\n";
  d.out += "  RenewTime:       " + describe_time(n.heartbeat) + "\n";
  d.out += "Addresses:\n";
  describe_table(d.out, {{"InternalIP:", n.internalIP.str()}, {"Hostname:", n.name}});
  d.line("PodCIDR:", n.podCIDR.masked().str());
  d.line("PodCIDRs:", n.podCIDR.masked().str());
  std::vector<cluster::Pod> here;
  for (const auto& p : pods)
    if (p.node == n.name) here.push_back(p);
  std::sort(here.begin(), here.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  d.line("Non-terminated Pods:", fmt::format("({} in total)", here.size()));
  if (!here.empty()) {
    std::vector<std::vector<std::string>> rows = {{"Namespace", "Name", "IP", "Age"},
                                                  {"---------", "----", "--", "---"}};
    for (const auto& p : here)
      rows.push_back({p.ns, p.name, p.podIP ? p.podIP->str() : "<none>",
                      p.created ? lab::human_age(now - p.created) : "<unknown>"});
    describe_table(d.out, rows);
  }
  d.events(events, now);
  return std::move(d.out);
}

std::string describe_deployment(const cluster::Deployment& dep,
                                const std::vector<cluster::Pod>& pods,
                                const std::vector<cluster::StoredEvent>& events, int64_t now) {
  int64_t total = 0, available = 0;
  for (const auto& p : pods)
    if (p.ns == dep.ns && p.owner == dep.name) {
      ++total;
      available += p.ready;
    }
  // The longest label, "RollingUpdateStrategy:", plus two spaces.
  DescribeText d{.column = 24, .out = {}};
  d.line("Name:", dep.name);
  d.line("Namespace:", dep.ns);
  d.line("CreationTimestamp:", describe_time(dep.created));
  d.labels("Labels:", dep.labels);
  d.line("Annotations:", "<none>");
  std::string selector;
  for (const auto& [k, v] : dep.selector) selector += (selector.empty() ? "" : ",") + k + "=" + v;
  d.line("Selector:", selector.empty() ? "<none>" : selector);
  d.line("Replicas:", fmt::format("{} desired | {} updated | {} total | {} available | {} "
                                  "unavailable",
                                  dep.replicas, std::min(total, dep.replicas), total, available,
                                  std::max<int64_t>(0, dep.replicas - available)));
  d.line("StrategyType:", "Recreate");
  d.line("MinReadySeconds:", "0");
  d.out += "Pod Template:\n";
  std::string labels;
  for (const auto& [k, v] : dep.selector) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  d.out += "  Labels:  " + (labels.empty() ? std::string("<none>") : labels) + "\n";
  d.out += "  Containers:\n   app:\n";
  d.out += "    Image:        podnet-lab/http (built in)\n";
  d.out += fmt::format("    Port:         {}/TCP\n", dep.port);
  d.out += "    Environment:  <none>\n";
  d.out += "Conditions:\n";
  describe_table(d.out, {{"Type", "Status", "Reason"},
                         {"----", "------", "------"},
                         {"Available", true_false(available >= dep.replicas),
                          available >= dep.replicas ? "MinimumReplicasAvailable"
                                                    : "MinimumReplicasUnavailable"}});
  d.events(events, now);
  return std::move(d.out);
}

}  // namespace podnet::ctl
