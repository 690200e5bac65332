#pragma once
// The records podnet-ipam keeps on disk, as pure encode/decode functions.
//
// Address files are host-local's: dataDir/<net>/<ip> holding "id\r\nifname". podnet's own
// files (index, boot record) always contain '=' and never "\r\n": a container id cannot
// contain '=', so host-local's release walk, which removes every file whose trimmed content
// is "id\r\nifname" or "id", never mistakes them for address files.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/ipam/store.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::ipam {

std::string encode_owner(std::string_view id, std::string_view ifname);
// host-local's reading: surrounding whitespace trimmed; "id\r\nifname", or a bare id (legacy).
std::optional<Owner> decode_owner(std::string_view content);

// Index file name for id/ifname: "<id>:<ifname>". ':' occurs in neither a container id nor
// an interface name, so the name is unambiguous (unlike "<id>.<ifname>": ids and interface
// names both may contain '.'). Legacy owners use an empty ifname. nullopt when the pair
// cannot be a file name ('/', too long).
std::optional<std::string> index_name(std::string_view id, std::string_view ifname);

struct IndexRecord {
  std::string id;
  std::string ifname;  // empty for a legacy owner
  std::vector<net::IpAddress> ips;
  friend bool operator==(const IndexRecord&, const IndexRecord&) = default;
};
std::string encode_index(const IndexRecord& r);
std::optional<IndexRecord> decode_index(std::string_view content);

std::string encode_boot_record(std::string_view boot_id);
std::optional<std::string> decode_boot_record(std::string_view content);

}  // namespace podnet::ipam
