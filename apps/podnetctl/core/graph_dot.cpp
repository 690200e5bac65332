#include "graph_dot.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "podnet/cluster/endpoints.hpp"

namespace podnet::ctl {

std::string dot_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// (border, fill) per node in name order: a node's box, its pods' borders and its links share
// the colour, so a pod's node is seen at a glance.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> palette = {{
    {"#1f77b4", "#e3edf7"},
    {"#2ca02c", "#e3f3e3"},
    {"#d62728", "#f9e3e3"},
    {"#9467bd", "#eee6f5"},
    {"#ff7f0e", "#fdeedf"},
    {"#8c564b", "#f0e8e5"},
    {"#e377c2", "#fbe8f4"},
    {"#17becf", "#e0f5f8"},
    {"#7f7f7f", "#eeeeee"},
    {"#bcbd22", "#f4f4dc"},
}};

std::string q(std::string_view text) {
  return "\"" + dot_escape(text) + "\"";
}

std::string qualified(std::string_view ns, std::string_view name) {
  return ns == cluster::default_namespace ? std::string(name) : fmt::format("{}/{}", ns, name);
}

std::string node_id(std::string_view name) {
  return fmt::format("node/{}", name);
}
std::string bridge_id(std::string_view node) {
  return fmt::format("bridge/{}", node);
}
std::string pod_id(const cluster::Pod& p) {
  return fmt::format("pod/{}/{}", p.ns, p.name);
}
std::string service_id(const cluster::Service& s) {
  return fmt::format("svc/{}/{}", s.ns, s.name);
}

std::string link_label(const std::optional<cluster::ClusterConfig>& config) {
  if (!config) return "";
  const auto& b = config->backend;
  if (b.type == cluster::BackendType::host_gw) return "host-gw";
  if (b.directRouting) return "direct (vxlan fallback)";
  return fmt::format("vxlan VNI {}", b.vni);
}

std::string pod_label(const cluster::Pod& p) {
  std::string label = qualified(p.ns, p.name);
  label += "\n" + (p.podIP ? p.podIP->str() : std::string("no IP"));
  if (p.phase != cluster::PodPhase::Running || !p.ready)
    label += "\n" + (p.reason.empty() ? std::string(cluster::to_string(p.phase)) : p.reason);
  return label;
}

// "svc web", "ClusterIP 10.96.0.10", "external 203.0.113.10" per external IP, then one line per port: "80/TCP → 8080  NodePort 30080"
// (a NodePort Service is told by its node ports).
std::string service_label(const cluster::Service& s) {
  std::string label = "svc " + qualified(s.ns, s.name);
  label += "\nClusterIP " + (s.clusterIP ? s.clusterIP->str() : std::string("<pending>"));
  for (const auto& ip : s.externalIPs) label += "\nexternal " + ip.str();
  for (const auto& p : s.ports) {
    label += fmt::format("\n{}{}/{} → {}", p.name.empty() ? "" : p.name + " ", p.port,
                         cluster::to_string(p.protocol), p.targetPort.str());
    if (p.nodePort != 0) label += fmt::format("  NodePort {}", p.nodePort);
  }
  return label;
}

struct Sorted {
  std::vector<cluster::Node> nodes;
  std::vector<cluster::Pod> pods;
  std::vector<cluster::Service> services;
};

Sorted sorted(const ClusterPicture& pic) {
  Sorted s{pic.nodes, pic.pods, pic.services};
  std::ranges::sort(s.nodes, {}, &cluster::Node::name);
  std::ranges::sort(s.pods, {}, [](const auto& p) { return std::tie(p.ns, p.name); });
  std::ranges::sort(s.services, {}, [](const auto& v) { return std::tie(v.ns, v.name); });
  return s;
}

}  // namespace

std::string cluster_dot(const ClusterPicture& picture) {
  const Sorted all = sorted(picture);
  std::string out;
  auto line = [&out](std::string_view text) {
    out += text;
    out += '\n';
  };

  line("digraph podnet {");
  line(fmt::format(
      "  graph [rankdir=TB, newrank=true, nodesep=0.3, ranksep=0.8, fontname=\"Helvetica\", "
      "fontsize=16, labelloc=t, label={}];",
      q("podnet: " + picture.title)));
  line(
      "  node [fontname=\"Helvetica\", fontsize=11, shape=box, style=\"rounded,filled\", "
      "fillcolor=white];");
  line("  edge [fontname=\"Helvetica\", fontsize=9];");

  // Nodes, each a cluster with its host and its pods.
  std::map<std::string, size_t> colour_of;
  std::set<std::string> node_names;
  for (size_t i = 0; i < all.nodes.size(); ++i) {
    colour_of[all.nodes[i].name] = i % palette.size();
    node_names.insert(all.nodes[i].name);
  }
  for (size_t i = 0; i < all.nodes.size(); ++i) {
    const auto& n = all.nodes[i];
    const auto [border, fill] = palette[colour_of[n.name]];
    line(fmt::format("  subgraph cluster_node_{} {{", i));
    line(
        fmt::format("    label={}; style=\"rounded,filled\"; color=\"{}\"; fillcolor=\"{}\"; "
                    "penwidth=2; fontsize=13;",
                    q(fmt::format("node {}  ·  pods {}", n.name, n.podCIDR.str())), border, fill));
    std::string host = fmt::format("{}\n{}", n.name, n.internalIP.str());
    if (!n.vtepMAC.empty()) host += "\nVTEP " + n.vtepMAC;
    line(
        fmt::format("    {} [label={}, shape=box3d, style=filled, fillcolor=\"{}\", color=\"{}\"];",
                    q(node_id(n.name)), q(host), fill, border));
    // Pods hang off the node (routed veths) or off its bridge.
    std::string pods_from = node_id(n.name);
    if (!picture.pod_bridge.empty()) {
      pods_from = bridge_id(n.name);
      const net::Prefix gw(n.podCIDR.network().next(), n.podCIDR.length());
      line(fmt::format(
          "    {} [label={}, shape=component, style=filled, fillcolor=white, "
          "color=\"{}\"];",
          q(pods_from), q(fmt::format("{}\n{}", picture.pod_bridge, gw.str())), border));
      line(fmt::format("    {} -> {} [arrowhead=none, color=\"{}\"];", q(node_id(n.name)),
                       q(pods_from), border));
    }
    for (const auto& p : all.pods) {
      if (p.node != n.name) continue;
      line(fmt::format("    {} [label={}, color=\"{}\"{}];", q(pod_id(p)), q(pod_label(p)), border,
                       p.ready ? "" : ", style=\"rounded,filled,dashed\""));
      line(fmt::format("    {} -> {} [arrowhead=none, color=\"{}\"];", q(pods_from), q(pod_id(p)),
                       border));
    }
    line("  }");
  }
  // Pods not (yet) on a known node float outside, dashed.
  for (const auto& p : all.pods)
    if (!node_names.contains(p.node))
      line(fmt::format("  {} [label={}, style=\"rounded,dashed\"];", q(pod_id(p)),
                       q(pod_label(p) + (p.node.empty() ? "\nnot scheduled" : "\non " + p.node))));

  // Node to node: how pod traffic crosses (every pair; constraint=false keeps the nodes from
  // being chained left to right).
  const std::string link = link_label(picture.config);
  const bool overlay = picture.config &&
                       picture.config->backend.type == cluster::BackendType::vxlan &&
                       !picture.config->backend.directRouting;
  // Labels of edges within one rank are xlabels: Graphviz 2.43's dot frees a labelled flat
  // edge with constraint=false twice in gvFreeLayout (seen as a crash 1 run in 2).
  for (size_t i = 0; i < all.nodes.size(); ++i)
    for (size_t j = i + 1; j < all.nodes.size(); ++j)
      line(fmt::format("  {} -> {} [dir=none, constraint=false, color=\"#555555\", style={}{}];",
                       q(node_id(all.nodes[i].name)), q(node_id(all.nodes[j].name)),
                       overlay ? "dashed" : "solid",
                       link.empty() ? "" : ", xlabel=" + q(link) + ", fontcolor=\"#555555\""));

  // Services and their endpoints.
  std::set<std::string> explicit_eps;
  for (const auto& s : all.services) {
    line(
        fmt::format("  {} [label={}, shape=ellipse, style=filled, fillcolor=\"#fff4c2\", "
                    "color=\"#b58900\"];",
                    q(service_id(s)), q(service_label(s))));
    // One arrow per backend, labelled with every target port it serves (":80,:8080").
    std::map<std::string, std::pair<std::vector<std::string>, bool>> targets;  // id -> ports, ready
    for (const auto& pe : cluster::compute_endpoints(s, all.pods))
      for (const auto& e : pe.endpoints) {
        std::string id;
        if (!e.pod.empty()) {
          id = fmt::format("pod/{}/{}", s.ns, e.pod);
        } else {
          id = "ip/" + e.ip.str();
          if (explicit_eps.insert(id).second)
            line(fmt::format("  {} [label={}, shape=note];", q(id), q(e.ip.str())));
        }
        auto& [ports, ready] = targets[id];
        const auto port = fmt::format(":{}", e.port);
        if (std::ranges::find(ports, port) == ports.end()) ports.push_back(port);
        ready = ready || e.ready;
      }
    for (const auto& [id, t] : targets) {
      std::string ports;
      for (const auto& p : t.first) ports += (ports.empty() ? "" : ",") + p;
      line(fmt::format("  {} -> {} [label={}, color=\"#b58900\", fontcolor=\"#8a6800\"{}];",
                       q(service_id(s)), q(id), q(ports), t.second ? "" : ", style=dashed"));
    }
  }

  // The outside host: on the underlay with every node, and a client of the NodePorts.
  if (picture.outside) {
    const auto& o = *picture.outside;
    std::string label = fmt::format("{} (outside)\n{}", o.name, o.underlay);
    if (!o.loopback.empty()) label += "\n" + o.loopback;
    line(fmt::format("  \"ext\" [label={}, shape=house, style=filled, fillcolor=\"#eeeeee\"];",
                     q(label)));
    for (const auto& n : all.nodes)
      line(fmt::format("  \"ext\" -> {} [dir=none, color=\"#aaaaaa\", style=dotted];",
                       q(node_id(n.name))));
    for (const auto& s : all.services) {
      std::string ports;
      for (const auto& p : s.ports)
        if (p.nodePort != 0)
          ports += fmt::format("{}NodePort {}", ports.empty() ? "" : ", ", p.nodePort);
      if (!ports.empty())
        line(fmt::format("  \"ext\" -> {} [xlabel={}, color=\"#b58900\"];", q(service_id(s)),
                         q(ports)));
    }
  } else if (!all.services.empty()) {
    // Without the outside host's edges the nodes would share the top row with the Services.
    line("  \"top\" [style=invis, shape=point];");
    for (const auto& n : all.nodes)
      line(fmt::format("  \"top\" -> {} [style=invis];", q(node_id(n.name))));
  }
  // The top row: the outside host and the Services, above the nodes they lead into.
  std::string top = picture.outside ? " \"ext\";" : (all.services.empty() ? "" : " \"top\";");
  for (const auto& s : all.services) top += " " + q(service_id(s)) + ";";
  if (!top.empty()) line("  { rank=min;" + top + " }");
  line("}");
  return out;
}

}  // namespace podnet::ctl
