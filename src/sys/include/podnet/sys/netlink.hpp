#pragma once
// rtnetlink: links, addresses, routes, neighbours and FDB entries, one request per operation.
//
// A Netlink is bound to the network namespace it was opened in, for its whole life (the kernel
// binds a netlink socket to its creator's namespace). Open one per namespace and operation
// sequence; it is not thread-safe. Errors keep the kernel errno in Error::sys_errno (EEXIST,
// ENODEV, ...) and add the kernel's extended-ack text when it gives one.
#include <linux/rtnetlink.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/sys/mac.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::sys {

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string mac;  // "aa:bb:cc:dd:ee:ff"; empty when the link has no hardware address
  uint32_t mtu = 0;
  bool up = false;       // IFF_UP: administratively up
  bool oper_up = false;  // operstate UP
  bool carrier = false;
  int master = 0;                   // bridge (or bond) ifindex, 0 if none
  std::string kind;                 // "veth", "bridge", "vxlan", ...; empty for lo/physical links
  int link = 0;                     // IFLA_LINK: a veth's peer ifindex (in the peer's netns)
  std::optional<int> link_netnsid;  // set when `link` is in another namespace
  uint32_t vxlan_id = 0;            // vxlan: its VNI
};

struct VethSpec {
  std::string host_name;        // created in the Netlink's namespace
  std::string peer_name;        // e.g. "eth0"
  int peer_netns_fd = -1;       // namespace the peer is created in; -1: same as host side
  uint32_t mtu = 0;             // both ends; 0: kernel default
  std::optional<Mac> peer_mac;  // none: kernel picks a random one
  std::optional<Mac> host_mac;
  int master = 0;  // enslave the host side to this bridge at creation; 0: none
  // Bring the host side up at creation. The peer cannot be: the kernel configures it before the
  // pair is linked (ENOTCONN), so bring it up from its namespace (set_up on the peer's index).
  bool host_up = true;
};

struct VxlanSpec {
  std::string name;
  uint32_t vni = 1;
  std::optional<net::IpAddress> local;  // source address of the encapsulated packets
  int dev = 0;                          // underlay ifindex; 0: any
  uint16_t port = 4789;
  bool learning = false;  // podnet programs the FDB; no flood-and-learn
  std::optional<Mac> mac;
  uint32_t mtu = 0;  // 0: kernel default (derived from dev)
  bool up = true;
};

struct AddrOptions {
  bool nodad = true;           // IPv6: usable at once (IFA_F_NODAD), no duplicate detection wait
  bool noprefixroute = false;  // no kernel prefix route for the subnet (IFA_F_NOPREFIXROUTE)
};

struct Route {
  net::Prefix dst;  // masked network, e.g. 10.1.0.0/16, 0.0.0.0/0
  std::optional<net::IpAddress> gw;
  int ifindex = 0;                   // output device; 0: none
  uint32_t table = 0;                // 0: main
  uint8_t protocol = RTPROT_BOOT;    // podnet's routes use podnet's own number
  std::optional<uint8_t> scope;      // none: link without gw, universe with gw (deletes: any)
  uint8_t type = RTN_UNICAST;        // RTN_BLACKHOLE etc. for routes without a device
  std::optional<uint32_t> mtu;       // RTAX_MTU
  std::optional<uint32_t> advmss;    // RTAX_ADVMSS
  std::optional<uint32_t> priority;  // metric
  bool onlink = false;               // gateway reachable on ifindex without a covering route

  friend bool operator==(const Route&, const Route&) = default;
};

// One RTM_GETROUTE question: where the kernel would send a packet (`ip route get`).
struct RouteQuery {
  net::IpAddress dst;
  std::optional<net::IpAddress> src;  // the packet's source address; none: the kernel picks
  int iif = 0;  // as if received on this link (the forwarding decision); 0: sent from here
  int oif = 0;  // restrict to this output link; 0: any
  // Answer with the FIB entry that matched (its prefix, gateway, device, protocol: the route
  // as listed) instead of the resolved per-destination result (RTM_F_FIB_MATCH).
  bool fib_match = false;
};

struct RouteAnswer {
  Route route;                            // fib_match: the matching route; else dst/32 resolved
  std::optional<net::IpAddress> prefsrc;  // the source the kernel picked (RTA_PREFSRC)
};

struct RouteFilter {
  std::optional<uint32_t> table;  // 0 means main here too
  std::optional<uint8_t> protocol;
  std::optional<int> ifindex;
};

struct Neigh {
  int ifindex = 0;
  net::IpAddress ip;
  std::optional<Mac> mac;  // none while incomplete
  uint16_t state = 0;      // NUD_*
};

struct FdbEntry {
  int ifindex = 0;
  Mac mac;
  std::optional<net::IpAddress> dst;  // vxlan remote VTEP
  uint16_t state = 0;                 // NUD_*
  uint8_t flags = 0;                  // NTF_*
  int master = 0;                     // NDA_MASTER: the bridge of a bridge FDB entry, else 0
};

// A bridge port as the bridge sees it (AF_BRIDGE link dump, IFLA_PROTINFO).
struct BridgePort {
  int ifindex = 0;
  int master = 0;     // the bridge
  uint8_t state = 0;  // BR_STATE_* (linux/if_bridge.h): 0 disabled ... 3 forwarding, 4 blocking
  bool hairpin = false;
  bool learning = false;
};

// A bridge's own settings (IFLA_INFO_DATA of the bridge link).
struct BridgeSettings {
  uint32_t stp_state = 0;
  bool nf_call_iptables = false;  // bridged IPv4 frames pass the ip hooks (with br_netfilter)
};

class Netlink {
 public:
  // A socket (close-on-exec) in the calling thread's namespace.
  static Result<Netlink> open();
  // A socket in ns, created by the calling thread while it briefly joins ns (run_here_in); the
  // thread is back in its own namespace when this returns, also on failure.
  static Result<Netlink> open_in(const Netns& ns);

  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  // ---- links
  // sys_errno == ENODEV when there is no such link, EINVAL for a name the kernel cannot hold
  // (names are checked up front everywhere, since libnl would silently truncate them).
  Result<int> link_index(std::string_view name);
  Result<LinkInfo> link_info(std::string_view name);
  Result<LinkInfo> link_info(int ifindex);
  Result<std::vector<LinkInfo>> list_links();

  // One request: both ends, the peer directly in its namespace, optional master, host side up.
  // Returns the host side; its `link` is the peer's ifindex in the peer namespace. EEXIST if
  // either name is taken (in its namespace); a failed create leaves nothing behind.
  Result<LinkInfo> create_veth(const VethSpec& spec);
  // Creates the bridge if missing, with STP off so new ports forward at once (VLAN filtering stays
  // at its default, off) and the MAC fixed when given, so it does not follow the lowest port MAC
  // as ports come and go; brings it up. A non-bridge link of that name is an error (EEXIST).
  // A bridge it creates has nf_call_iptables/ip6tables on: with br_netfilter (built in or
  // loaded), frames it switches between its ports pass the ip/ip6 hooks whatever the namespace's
  // net.bridge.bridge-nf-call-* sysctls say, so conntrack sees both directions of a NATed flow.
  Result<int> ensure_bridge(std::string_view name, uint32_t mtu, std::optional<Mac> mac = {});
  Result<LinkInfo> create_vxlan(const VxlanSpec& spec);

  Result<> set_master(int ifindex, int master_ifindex);  // 0: release from its master
  Result<> set_up(int ifindex, bool up = true);
  Result<> set_mtu(int ifindex, uint32_t mtu);
  // The largest GSO packet the stack builds for this link and the largest GRO packet it
  // aggregates, IPv4 and IPv6 alike: above 65536 this is BIG TCP (kernel >= 6.3 for IPv4; older
  // kernels ignore the IPv4 attributes). Bounded by the link's tso_max_size.
  Result<> set_gso_max_size(int ifindex, uint32_t bytes);
  // IPv6 link-local address generation (addr_gen_mode eui64 or none). Off: the link gets no
  // fe80:: address, so it sends no DAD, MLD or router solicitations. Set before the link gets a
  // carrier to have no link-local at all.
  Result<> set_ipv6_link_local(int ifindex, bool on);
  Result<> set_mac(int ifindex, const Mac& mac);
  Result<> rename(int ifindex, std::string_view new_name);  // older kernels: link must be down
  Result<> set_hairpin(int ifindex, bool on);               // the link must be a bridge port
  // false when there was no such link (not an error: deletes are idempotent).
  Result<bool> delete_link(std::string_view name);
  Result<bool> delete_link(int ifindex);

  // ---- addresses (prefix keeps the host part: 10.1.2.5/24)
  // sys_errno == EEXIST when the address is already there.
  Result<> add_address(int ifindex, const net::Prefix& addr, AddrOptions opts = {});
  Result<bool> del_address(int ifindex, const net::Prefix& addr);  // false: was not there
  Result<std::vector<net::Prefix>> list_addresses(int ifindex,
                                                  std::optional<net::Family> family = {});

  // ---- routes
  Result<> add_route(const Route& r);      // EEXIST if an equal route exists
  Result<> replace_route(const Route& r);  // create or replace
  // Matches on dst, table, protocol, and on gw/ifindex/priority/scope when set (never on
  // metrics). false: no such route.
  Result<bool> del_route(const Route& r);
  // All tables unless filtered; kernel cache clones excluded; a multipath route is reported with
  // its first nexthop.
  Result<std::vector<Route>> list_routes(net::Family family, const RouteFilter& filter = {});

  // The kernel's route decision for one packet. Errors carry the kernel's answer as sys_errno:
  // ENETUNREACH (no route), EHOSTUNREACH (unreachable route, or forwarding off for iif),
  // EINVAL (blackhole), EACCES (prohibit), EXDEV (reverse path filter), ENODEV (no such iif).
  Result<RouteAnswer> route_get(const RouteQuery& q);

  // ---- neighbours and bridge/vxlan FDB
  Result<> replace_neigh(int ifindex, const net::IpAddress& ip, const Mac& mac,
                         bool permanent = true);
  Result<bool> del_neigh(int ifindex, const net::IpAddress& ip);
  Result<std::vector<Neigh>> list_neigh(int ifindex, net::Family family);
  // A permanent entry on the device itself (NTF_SELF): for vxlan, "mac is behind VTEP dst".
  Result<> replace_fdb(int ifindex, const Mac& mac, const net::IpAddress& dst);
  Result<bool> del_fdb(int ifindex, const Mac& mac, std::optional<net::IpAddress> dst = {});
  Result<std::vector<FdbEntry>> list_fdb(int ifindex);

  // The bridge's forwarding database: entries whose master is this bridge (learned, static and
  // the local ones of the bridge and its ports), not the ports' own (NTF_SELF) lists.
  Result<std::vector<FdbEntry>> list_bridge_fdb(int bridge_ifindex);

  // ---- bridges (nl_bridge.cpp)
  // Every bridge port of the namespace: its bridge, STP state, hairpin and learning flags.
  Result<std::vector<BridgePort>> list_bridge_ports();
  // ENODEV without that link, EINVAL when it is not a bridge.
  Result<BridgeSettings> bridge_settings(int bridge_ifindex);

  // ---- settings
  // net.ipv4.ip_forward (v4) or net.ipv6.conf.all.forwarding (v6) of the socket's namespace, by
  // RTM_GETNETCONF: no /proc/sys lookup, which slows down with many links.
  Result<int> forwarding(net::Family family);

  struct State;  // libnl socket and last-error capture; defined in the implementation

 private:
  explicit Netlink(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace podnet::sys
