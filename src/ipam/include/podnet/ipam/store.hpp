#pragma once
// What the allocator needs from storage, after host-local's backend.Store. The caller holds
// the store's lock for a whole command; these calls never lock.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::ipam {

// Who holds an address, as recorded in its file ("id\r\nifname"). Files written by very old
// host-local versions hold only the id (legacy: no ifname).
struct Owner {
  std::string id;
  std::string ifname;
  bool legacy = false;
  bool is(std::string_view i, std::string_view ifn) const {
    return id == i && (legacy || ifname == ifn);
  }
  friend bool operator==(const Owner&, const Owner&) = default;
};

struct Allocation {
  net::IpAddress ip;
  std::optional<Owner> owner;  // nullopt: unreadable record (e.g. host-local killed mid-write)
};

class Store {
 public:
  virtual ~Store() = default;
  // Reserves ip for id/ifname; false when someone holds it already. Remembers it as the last
  // reserved address of range set `rangeset`.
  virtual Result<bool> reserve(std::string_view id, std::string_view ifname,
                               const net::IpAddress& ip, size_t rangeset) = 0;
  virtual Result<std::optional<net::IpAddress>> last_reserved(size_t rangeset) = 0;
  // The addresses held by id/ifname (legacy records match on id alone).
  virtual Result<std::vector<net::IpAddress>> get_by_id(std::string_view id,
                                                        std::string_view ifname) = 0;
  virtual Result<> release_by_id(std::string_view id, std::string_view ifname) = 0;
  virtual Result<std::vector<Allocation>> list() = 0;
  virtual Result<> release(const net::IpAddress& ip) = 0;
};

}  // namespace podnet::ipam
