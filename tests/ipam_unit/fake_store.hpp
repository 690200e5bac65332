#pragma once
// In-memory Store for allocator tests, with host-local's semantics and error injection.
#include <map>
#include <optional>
#include <string>

#include "podnet/ipam/store.hpp"

namespace podnet::ipam::testing {

class FakeStore final : public Store {
 public:
  std::map<net::IpAddress, Owner> held;
  std::map<size_t, net::IpAddress> last;
  bool fail_reserve = false;
  int reserve_calls = 0;

  Result<bool> reserve(std::string_view id, std::string_view ifname, const net::IpAddress& ip,
                       size_t rangeset) override {
    ++reserve_calls;
    if (fail_reserve) return fail_errno("create", EIO);
    if (held.count(ip)) return false;
    held[ip] = Owner{std::string(id), std::string(ifname), false};
    last[rangeset] = ip;
    return true;
  }
  Result<std::optional<net::IpAddress>> last_reserved(size_t rangeset) override {
    auto it = last.find(rangeset);
    if (it == last.end()) return std::optional<net::IpAddress>{};
    return std::optional<net::IpAddress>(it->second);
  }
  Result<std::vector<net::IpAddress>> get_by_id(std::string_view id,
                                                std::string_view ifname) override {
    std::vector<net::IpAddress> out;
    for (const auto& [ip, o] : held)
      if (o.is(id, ifname)) out.push_back(ip);
    return out;
  }
  Result<> release_by_id(std::string_view id, std::string_view ifname) override {
    std::erase_if(held, [&](const auto& kv) { return kv.second.is(id, ifname); });
    return {};
  }
  Result<std::vector<Allocation>> list() override {
    std::vector<Allocation> out;
    for (const auto& [ip, o] : held) out.push_back({ip, o});
    return out;
  }
  Result<> release(const net::IpAddress& ip) override {
    held.erase(ip);
    return {};
  }
  // Test helper: take an address on behalf of someone else.
  void take(const char* ip, const char* id = "other", const char* ifname = "eth0") {
    held[*net::IpAddress::parse(ip)] = Owner{id, ifname, false};
  }
};

}  // namespace podnet::ipam::testing
