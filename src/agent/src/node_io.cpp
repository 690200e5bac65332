#include "node_io.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "podnet/agent/local_state.hpp"
#include "podnet/common/files.hpp"
#include "podnet/nft/nft_context.hpp"

namespace podnet::agent {

bool underlay_pending(const Error& e) {
  return e.sys_errno == ENODEV || e.sys_errno == EADDRNOTAVAIL;
}

Result<Underlay> read_underlay(sys::Netlink& nl, const std::string& iface,
                               const std::optional<net::IpAddress>& want) {
  auto link = nl.link_info(iface);
  if (!link) return fail(link.error().context(fmt::format("underlay interface {}", iface)));
  Underlay u;
  u.ifindex = link->index;
  u.mtu = link->mtu;
  net::Family fam = want ? want->family() : net::Family::v4;
  u.addrs = PODNET_TRY(nl.list_addresses(link->index, fam));
  if (want) {
    bool found = false;
    for (const auto& a : u.addrs) found = found || a.address() == *want;
    if (!found) return fail(fmt::format("--ip: {} is not an address of {}", want->str(), iface));
    u.ip = *want;
  } else {
    if (u.addrs.empty())
      return fail(
          Error{EADDRNOTAVAIL, fmt::format("underlay interface {} has no IPv4 address", iface)});
    u.ip = u.addrs.front().address();
  }
  return u;
}

std::optional<net::Prefix> load_subnet_state(const std::string& state_dir) {
  auto t = read_file(state_dir + "/" + std::string(kSubnetFile));
  if (!t) return std::nullopt;
  return parse_subnet_state(*t);
}

Result<> save_subnet_state(const std::string& state_dir, const net::Prefix& subnet) {
  PODNET_TRY_VOID(make_dirs(state_dir, 0755));
  return write_file_atomic(state_dir + "/" + std::string(kSubnetFile), subnet.str() + "\n", true);
}

Result<sys::Mac> load_or_create_vtep_mac(const std::string& state_dir, const std::string& node) {
  std::string path = state_dir + "/" + std::string(kVtepMacFile);
  if (auto t = read_file(path))
    if (auto m = parse_mac_state(*t)) return *m;
  sys::Mac m = default_vtep_mac(node);
  PODNET_TRY_VOID(make_dirs(state_dir, 0755));
  PODNET_TRY_VOID(write_file_atomic(path, m.str() + "\n", true));
  return m;
}

Result<bool> write_if_changed(const std::string& path, const std::string& text) {
  if (auto cur = read_file(path); cur && *cur == text) return false;
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) PODNET_TRY_VOID(make_dirs(path.substr(0, slash)));
  PODNET_TRY_VOID(write_file_atomic(path, text, true));
  return true;
}

Result<> run_nft(const std::string& text) {
  auto ctx = PODNET_TRY(nft::NftContext::create());
  auto r = ctx.run(text);
  if (!r) return fail(r.error().context("nftables"));
  return {};
}

}  // namespace podnet::agent
