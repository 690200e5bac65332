#include "podnet/ipam/store_format.hpp"

#include <climits>

#include <fmt/format.h>

#include "podnet/cni/env.hpp"

namespace podnet::ipam {

namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

constexpr std::string_view kIndexMagic = "podnet-ipam-index=1";
constexpr std::string_view kBootKey = "boot_id=";

}  // namespace

std::string encode_owner(std::string_view id, std::string_view ifname) {
  return fmt::format("{}\r\n{}", trim(id), ifname);
}

std::optional<Owner> decode_owner(std::string_view content) {
  auto t = trim(content);
  if (t.empty()) return std::nullopt;
  auto sep = t.find("\r\n");
  if (sep == std::string_view::npos) {
    if (!cni::valid_container_id(t)) return std::nullopt;
    return Owner{std::string(t), {}, true};
  }
  Owner o{std::string(t.substr(0, sep)), std::string(t.substr(sep + 2)), false};
  if (o.id.empty() || o.ifname.empty()) return std::nullopt;
  return o;
}

std::optional<std::string> index_name(std::string_view id, std::string_view ifname) {
  if (id.empty() || id.find('/') != std::string_view::npos ||
      ifname.find('/') != std::string_view::npos)
    return std::nullopt;
  std::string n = fmt::format("{}:{}", id, ifname);
  // Room for write_file_atomic-style suffixes is not needed (index files are written in
  // place), but stay clear of NAME_MAX.
  if (n.size() > NAME_MAX) return std::nullopt;
  return n;
}

std::string encode_index(const IndexRecord& r) {
  std::string s = fmt::format("{}\nid={}\nifname={}\n", kIndexMagic, r.id, r.ifname);
  for (const auto& ip : r.ips) s += fmt::format("ip={}\n", ip.str());
  return s;
}

std::optional<IndexRecord> decode_index(std::string_view content) {
  IndexRecord r;
  bool magic = false, have_id = false;
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
    if (line == kIndexMagic) {
      magic = true;
    } else if (line.starts_with("id=")) {
      r.id = line.substr(3);
      have_id = true;
    } else if (line.starts_with("ifname=")) {
      r.ifname = line.substr(7);
    } else if (line.starts_with("ip=")) {
      auto ip = net::IpAddress::parse(line.substr(3));
      if (!ip) return std::nullopt;
      r.ips.push_back(*ip);
    } else if (!line.empty()) {
      return std::nullopt;
    }
  }
  if (!magic || !have_id) return std::nullopt;
  return r;
}

std::string encode_boot_record(std::string_view boot_id) {
  return fmt::format("{}{}\n", kBootKey, boot_id);
}

std::optional<std::string> decode_boot_record(std::string_view content) {
  auto t = trim(content);
  if (!t.starts_with(kBootKey)) return std::nullopt;
  auto id = trim(t.substr(kBootKey.size()));
  if (id.empty()) return std::nullopt;
  return std::string(id);
}

}  // namespace podnet::ipam
