#pragma once
// Names and small helpers of the on-disk layout shared by the disk store's files (private).
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "disk_io.hpp"
#include "podnet/ipam/store.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::ipam::layout {

inline constexpr const char* kIndexDir = ".podnet/by-id";
inline constexpr const char* kBootRecord = ".podnet/boot_id";
inline constexpr const char* kLastReservedPrefix = "last_reserved_ip.";

// The consistency mark: an mtime no kernel clock produces for a real change.
inline constexpr timespec kMark{1, 0};
inline bool is_mark(const timespec& t) {
  return t.tv_sec == kMark.tv_sec && t.tv_nsec == kMark.tv_nsec;
}

inline std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// An address file's name: the canonical text of an address.
inline std::optional<net::IpAddress> record_ip(const io::DirEntry& e) {
  if (!e.regular) return std::nullopt;
  auto ip = net::IpAddress::parse(e.name);
  if (!ip || ip->str() != e.name) return std::nullopt;
  return ip;
}

// The ifname part of an owner's index key (empty for legacy records).
inline std::string key_ifname(const Owner& o) {
  return o.legacy ? std::string() : o.ifname;
}

}  // namespace podnet::ipam::layout
