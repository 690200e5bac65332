#include "workload_inspect.hpp"

#include <linux/neighbour.h>

#include <algorithm>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "podnet/lab/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

std::string route_line(const sys::Route& r, const std::map<int, std::string>& names) {
  std::string s = r.dst.length() == 0 ? "default" : r.dst.str();
  if (r.gw) s += " via " + r.gw->str();
  if (r.ifindex) {
    auto it = names.find(r.ifindex);
    s += " dev " + (it == names.end() ? fmt::format("if{}", r.ifindex) : it->second);
  }
  if (r.type == RTN_BLACKHOLE) s = "blackhole " + s;
  if (r.protocol != RTPROT_BOOT && r.protocol != RTPROT_KERNEL)
    s += fmt::format(" proto {}", r.protocol);
  if (r.scope && *r.scope == RT_SCOPE_LINK) s += " scope link";
  if (r.onlink) s += " onlink";
  if (r.mtu) s += fmt::format(" mtu {}", *r.mtu);
  return s;
}

struct NsView {
  std::map<int, std::string> names;
  std::vector<sys::LinkInfo> links;
  std::vector<sys::Route> routes;  // IPv4, main table
};

Result<NsView> read_ns(sys::Netlink& nl) {
  NsView v;
  v.links = PODNET_TRY(nl.list_links());
  for (const auto& l : v.links) v.names[l.index] = l.name;
  v.routes = PODNET_TRY(nl.list_routes(net::Family::v4, sys::RouteFilter{.table = RT_TABLE_MAIN}));
  return v;
}

const char* port_state_word(uint8_t s) {
  static constexpr const char* words[] = {"disabled", "listening", "learning", "forwarding",
                                          "blocking"};
  return s < std::size(words) ? words[s] : "unknown";
}

// How the host veth joins the node: a port of its bridge (STP state, hairpin, the FDB entry
// for the pod's MAC), routed, or cut off from the bridge that serves the pod's subnet.
Result<std::string> host_veth_wiring(sys::Netlink& nl, const NsView& nv, const sys::LinkInfo& host,
                                     const sys::LinkInfo& eth0,
                                     const std::optional<net::IpAddress>& pod_ip) {
  auto master = std::find_if(nv.links.begin(), nv.links.end(),
                             [&](const auto& l) { return host.master && l.index == host.master; });
  if (master == nv.links.end()) {
    for (const auto& l : nv.links)
      if (l.kind == "bridge" && pod_ip)
        for (const auto& a : PODNET_TRY(nl.list_addresses(l.index, net::Family::v4)))
          if (a.masked().contains(*pod_ip))
            return fmt::format(", NOT a port of bridge {} (no master), which serves {}", l.name,
                               a.masked().str());
    return std::string(" (routed, no bridge)");
  }
  if (master->kind != "bridge") return fmt::format(", master {}", master->name);
  std::string state = "?";
  bool hairpin = false;
  for (const auto& p : PODNET_TRY(nl.list_bridge_ports()))
    if (p.ifindex == host.index) {
      state = port_state_word(p.state);
      hairpin = p.hairpin;
    }
  std::string fdb = fmt::format("no fdb entry for {} (frames to it are flooded)", eth0.mac);
  for (const auto& e : PODNET_TRY(nl.list_bridge_fdb(master->index)))
    if (e.mac.str() == eth0.mac) {
      auto port = nv.names.find(e.ifindex);
      fdb = fmt::format("fdb {} dev {} master {}{}", eth0.mac,
                        port == nv.names.end() ? fmt::format("if{}", e.ifindex) : port->second,
                        master->name,
                        e.state & NUD_PERMANENT ? " permanent"
                        : e.state & NUD_NOARP   ? " static"
                        : e.state & NUD_STALE   ? " stale"
                                                : "");
    }
  return fmt::format(", port of bridge {} ({}, hairpin {}); {}", master->name, state,
                     hairpin ? "on" : "off", fdb);
}

}  // namespace

Result<std::string> inspect_pod(const Context& ctx, std::string_view name) {
  const auto ns = PODNET_TRY(ctx.namespace_arg());
  auto s = PODNET_TRY(ctx.open_store());
  auto pod = PODNET_TRY(get_pod(*s, ns, name));
  std::string out =
      fmt::format("pod {}/{}  node {}  phase {}{}  ip {}\n", pod.ns, pod.name,
                  pod.node.empty() ? "<none>" : pod.node, cluster::to_string(pod.phase),
                  pod.ready ? " (ready)" : "", pod.podIP ? pod.podIP->str() : "<none>");
  const std::string pod_ns_name = lab::netns_pod(ctx.lab, pod.ns, pod.name);
  auto pod_ns = sys::Netns::open(lab::netns_path(pod_ns_name));
  if (!pod_ns)
    return fail(fmt::format("pod \"{}\" has no network namespace {} (not started on its node yet?)",
                            name, lab::netns_path(pod_ns_name)));
  out += fmt::format("  netns      {}  (inode {})\n", pod_ns->path(), pod_ns->inode());
  if (!pod.containerID.empty()) out += fmt::format("  sandbox    {}\n", pod.containerID);

  auto pod_nl = PODNET_TRY(sys::Netlink::open_in(*pod_ns));
  auto pv = PODNET_TRY(read_ns(pod_nl));
  auto eth0_r = pod_nl.link_info("eth0");
  if (!eth0_r) return fail(eth0_r.error().context(fmt::format("eth0 in {}", pod_ns_name)));
  const auto& eth0 = *eth0_r;
  std::string addrs;
  for (const auto& a : PODNET_TRY(pod_nl.list_addresses(eth0.index, net::Family::v4)))
    addrs += (addrs.empty() ? "" : ", ") + a.str();
  out += fmt::format("  eth0@if{}   {}  mtu {}  mac {}  {}\n", eth0.link,
                     addrs.empty() ? "<no address>" : addrs, eth0.mtu, eth0.mac,
                     eth0.oper_up ? "UP" : "DOWN");

  std::optional<NsView> nv;
  const std::string node_ns_name = lab::netns_node(ctx.lab, pod.node);
  if (auto node_ns = sys::Netns::open(lab::netns_path(node_ns_name));
      node_ns && !pod.node.empty()) {
    auto node_nl = PODNET_TRY(sys::Netlink::open_in(*node_ns));
    nv = PODNET_TRY(read_ns(node_nl));
    // eth0's peer index (IFLA_LINK) is the host veth's index in the node netns.
    auto host = std::find_if(nv->links.begin(), nv->links.end(),
                             [&](const auto& l) { return l.index == eth0.link; });
    if (host != nv->links.end()) {
      out += fmt::format("  host veth  {} (ifindex {}, mtu {}{}) in netns {}{}\n", host->name,
                         host->index, host->mtu, host->up ? "" : ", DOWN", node_ns_name,
                         PODNET_TRY(host_veth_wiring(node_nl, *nv, *host, eth0, pod.podIP)));
    } else {
      out +=
          fmt::format("  host veth  ifindex {} not found in netns {}\n", eth0.link, node_ns_name);
    }
  } else {
    out += fmt::format("  node netns {} not found\n", node_ns_name);
  }
  out += "  pod routes:\n";
  for (const auto& r : pv.routes) out += "    " + route_line(r, pv.names) + "\n";
  if (nv) {
    out += fmt::format("  node routes ({}):\n", node_ns_name);
    for (const auto& r : nv->routes) out += "    " + route_line(r, nv->names) + "\n";
  }
  return out;
}

}  // namespace podnet::ctl
