#pragma once
// The lab's underlay, made with rtnetlink (never by forking `ip`): a switch netns holding bridge
// sw0, and hosts (nodes, ext, etcd) each in its own netns with eth0 on the switch. Nothing
// here touches the caller's namespace.
#include <optional>
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::lab {

struct HostSpec {
  std::string netns;                      // created here
  std::string port;                       // the switch-side veth name (<= 15 chars)
  net::Prefix address;                    // eth0's, e.g. 10.1.1.15/24
  std::optional<net::IpAddress> gateway;  // default route via
  std::optional<net::Prefix> lo_extra;    // an extra address on lo (ext: 203.0.113.1/32)
  bool ip_forward = false;                // nodes route pod traffic
};

// netns <lab>-sw with bridge sw0 up.
Result<> create_switch(std::string_view lab);
// The host's netns, a veth with one end on sw0 and `eth0` in the host, addresses and routes.
Result<> create_host(std::string_view lab, const HostSpec& host);

HostSpec node_host(std::string_view lab, const NodePlan& node);
HostSpec ext_host(std::string_view lab);
HostSpec etcd_host(std::string_view lab);

}  // namespace podnet::lab
