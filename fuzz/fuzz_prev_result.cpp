// prevResult / IPAM results: JSON → result_from_json → to_json(v) → result_from_json for
// every supported version. The decode must keep the document's values (no silent
// truncation), and each encoding must decode back to the same result, less the fields that
// version cannot carry.
#include "fuzz_common.hpp"
#include "podnet/cni/result.hpp"
#include "podnet/cni/version.hpp"

using namespace podnet::cni;
using nlohmann::json;

namespace {

// What survives an encoding in `version`: 1.1.0 fields are dropped before 1.1.0.
Result projected(Result r, std::string_view version) {
  if (version_at_least(version, "1.1.0")) return r;
  for (auto& i : r.interfaces) {
    i.mtu.reset();
    i.socket_path.clear();
    i.pci_id.clear();
  }
  for (auto& rt : r.routes) {
    rt.mtu.reset();
    rt.advmss.reset();
    rt.priority.reset();
    rt.table.reset();
    rt.scope.reset();
  }
  return r;
}

// An integer field the decoder kept must equal the document's number.
void check_int(const json& o, const char* key, const std::optional<int>& got) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) {
    FUZZ_CHECK(!got, key);
    return;
  }
  FUZZ_CHECK(got.has_value(), key);
  if (it->is_number_unsigned())
    FUZZ_CHECK(*got >= 0 && static_cast<uint64_t>(*got) == it->get<uint64_t>(),
               std::string(key) + " decoded as " + std::to_string(*got) + " from " +
                   podnet_fuzz::show(*it));
  else
    FUZZ_CHECK(static_cast<int64_t>(*got) == it->get<int64_t>(),
               std::string(key) + " decoded as " + std::to_string(*got) + " from " +
                   podnet_fuzz::show(*it));
}

void check_fidelity(const json& j, const Result& r) {
  if (auto it = j.find("interfaces"); it != j.end() && it->is_array()) {
    FUZZ_CHECK(it->size() == r.interfaces.size());
    for (size_t i = 0; i < it->size(); ++i) check_int((*it)[i], "mtu", r.interfaces[i].mtu);
  }
  if (auto it = j.find("ips"); it != j.end() && it->is_array()) {
    FUZZ_CHECK(it->size() == r.ips.size());
    for (size_t i = 0; i < it->size(); ++i) check_int((*it)[i], "interface", r.ips[i].interface);
  }
  if (auto it = j.find("routes"); it != j.end() && it->is_array()) {
    FUZZ_CHECK(it->size() == r.routes.size());
    for (size_t i = 0; i < it->size(); ++i) {
      const json& o = (*it)[i];
      const Route& rt = r.routes[i];
      check_int(o, "mtu", rt.mtu);
      check_int(o, "advmss", rt.advmss);
      check_int(o, "priority", rt.priority);
      check_int(o, "table", rt.table);
      check_int(o, "scope", rt.scope);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json j = json::parse(podnet_fuzz::as_text(data, size), nullptr, false);
  if (j.is_discarded()) return 0;
  auto r = result_from_json(j);
  if (!r) {
    FUZZ_CHECK(r.error().code == Code::decode_failure, r.error().msg);
    return 0;
  }
  check_fidelity(j, *r);
  for (auto v : supported_versions()) {
    const json enc = to_json(*r, v);
    std::string text;
    try {
      text = enc.dump();
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, std::string("to_json output does not dump: ") + e.what());
    }
    const json reparsed = json::parse(text, nullptr, false);
    FUZZ_CHECK(reparsed == enc, text);
    auto back = result_from_json(reparsed);
    FUZZ_CHECK(back.has_value(), std::string(v) + ": " + text + " → " + back.error().msg);
    FUZZ_CHECK(*back == projected(*r, v), std::string(v) + ": " + text);
    FUZZ_CHECK(to_json(*back, v) == enc, std::string(v) + ": " + text);
  }
  return 0;
}
