// podnet-ipam's other inputs: files it reads back from disk (host-local's address records,
// its own index and boot records, which other writers may have left in any state) and
// resolv.conf. Every decoder must accept or refuse any bytes, and what it accepts must
// re-encode to something that decodes to the same record.
#include <cctype>

#include "fuzz_common.hpp"
#include "podnet/cni/env.hpp"
#include "podnet/ipam/dns.hpp"
#include "podnet/ipam/store_format.hpp"

using namespace podnet;
using namespace podnet::ipam;

namespace {

bool has_space(std::string_view s) {
  for (unsigned char c : s)
    if (std::isspace(c)) return true;
  return false;
}

void check_resolv(std::string_view in) {
  auto d = parse_resolv_conf(in);
  for (const auto* list : {&d.nameservers, &d.search, &d.options})
    for (const auto& w : *list) FUZZ_CHECK(!w.empty() && !has_space(w), w);
  FUZZ_CHECK(!has_space(d.domain), d.domain);
}

void check_owner(std::string_view in) {
  auto o = decode_owner(in);
  if (!o) return;
  FUZZ_CHECK(!o->id.empty());
  if (o->legacy) {
    FUZZ_CHECK(o->ifname.empty() && cni::valid_container_id(o->id), o->id);
    return;
  }
  FUZZ_CHECK(!o->ifname.empty());
  // What podnet-ipam itself writes (a valid id and interface name) reads back unchanged.
  if (cni::valid_container_id(o->id) && !cni::interface_name_problem(o->ifname)) {
    auto back = decode_owner(encode_owner(o->id, o->ifname));
    FUZZ_CHECK(back && *back == *o, o->id + "/" + o->ifname);
  }
}

void check_index(std::string_view in) {
  auto r = decode_index(in);
  if (!r) return;
  std::string enc = encode_index(*r);
  auto back = decode_index(enc);
  FUZZ_CHECK(back && *back == *r, enc);
  if (auto n = index_name(r->id, r->ifname)) {
    FUZZ_CHECK(n->find('/') == std::string::npos && !n->empty(), *n);
  }
}

void check_boot(std::string_view in) {
  auto id = decode_boot_record(in);
  if (!id) return;
  FUZZ_CHECK(!id->empty());
  auto back = decode_boot_record(encode_boot_record(*id));
  FUZZ_CHECK(back && *back == *id, *id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = podnet_fuzz::as_text(data, size);
  check_resolv(in);
  check_owner(in);
  check_index(in);
  check_boot(in);
  return 0;
}
