// The network configuration on stdin: parse_netconf, then the podnet plugin's parse_conf
// (with a fixed valid ADD environment), then — as ADD would with an IPAM result — the plan
// and the result built from the prevResult, which must encode and decode cleanly. The
// whole document and its prevResult also go through result_from_json directly.
#include <algorithm>
#include <cctype>

#include "fuzz_common.hpp"
#include "podnet/cni/netconf.hpp"
#include "podnet/cni/version.hpp"
#include "podnet/nft/masq_plan.hpp"
#include "podnet/plugin/conf.hpp"
#include "podnet/plugin/plan.hpp"

using namespace podnet;
using namespace podnet::cni;
using nlohmann::json;

namespace {

const Env& add_env() {
  static const Env env = [] {
    Env e;
    e.command = Command::add;
    e.container_id = "0a1b2c3d4e5f";
    e.netns = "/var/run/netns/fuzz";
    e.ifname = "eth0";
    e.args_raw = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0";
    e.args = *parse_cni_args(e.args_raw);
    e.path = "/opt/cni/bin";
    return e;
  }();
  return env;
}

bool tag_safe(std::string_view tag) {
  if (tag.size() > 127) return false;
  for (unsigned char c : tag)
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) return false;
  return true;
}

void check_conf(const NetConf& net) {
  auto c = plugin::parse_conf(net, add_env());
  if (!c) {
    auto code = c.error().code;
    FUZZ_CHECK(code == Code::invalid_config || code == Code::unsupported_field ||
                   code == Code::invalid_env,
               c.error().msg);
    return;
  }
  FUZZ_CHECK(!cni::interface_name_problem(c->bridge), c->bridge);
  FUZZ_CHECK(c->bridge.find('\0') == std::string::npos, "bridge name with a NUL byte passed");
  FUZZ_CHECK(c->mtu >= 68 && c->mtu <= 65535, std::to_string(c->mtu));
  FUZZ_CHECK(!c->ipam_type.empty() && c->ipam_type.find('/') == std::string::npos, c->ipam_type);
  // Names and paths handed to the kernel: a NUL would silently cut them short.
  FUZZ_CHECK(c->ipam_type.find('\0') == std::string::npos, "ipam.type with a NUL byte");
  FUZZ_CHECK(c->log_file.find('\0') == std::string::npos, "logFile with a NUL byte");
  if (c->mac) {
    FUZZ_CHECK(c->mac->size() == 17, *c->mac);
    FUZZ_CHECK((std::stoi(c->mac->substr(0, 2), nullptr, 16) & 1) == 0, *c->mac);
  }
  if (c->is_default_gateway && c->mode == plugin::Mode::bridge) FUZZ_CHECK(c->is_gateway);

  // nft comments carry the network name: always quotable and within nft's limit.
  auto tag = nft::attachment_tag(c->net.name, add_env().container_id, add_env().ifname);
  FUZZ_CHECK(tag_safe(tag), tag);

  // ADD with the prevResult standing in for the IPAM result.
  if (!net.prev_result) return;
  auto plan = plugin::make_plan(*c, *net.prev_result, add_env().container_id, add_env().ifname);
  if (!plan) return;
  FUZZ_CHECK(!plan->addresses.empty());
  for (const auto& pa : plan->addresses) {
    FUZZ_CHECK(pa.gateway != pa.address.address(), pa.address.str());
    FUZZ_CHECK(pa.gateway.family() == pa.address.family(), pa.address.str());
  }
  for (const auto& pr : plan->pod_routes) {
    FUZZ_CHECK(pr.dst == pr.dst.masked(), pr.dst.str());
    if (pr.gw) FUZZ_CHECK(pr.gw->family() == pr.dst.family(), pr.dst.str() + " via " + pr.gw->str());
  }
  for (const auto& m : plan->masq) {
    auto elems = nft::masq_elements({m}, tag);
    FUZZ_CHECK(elems.size() == 2, m.subnet.str());
    const size_t klen = m.pod.is_v4() ? 4 : 16;
    FUZZ_CHECK(elems[0].key.size() == klen && elems[0].key_end.empty(), m.subnet.str());
    FUZZ_CHECK(elems[1].key.size() == 2 * klen && elems[1].key_end.size() == 2 * klen,
               m.subnet.str());
    FUZZ_CHECK(elems[1].key <= elems[1].key_end, m.subnet.str());  // a non-empty interval
    for (const auto& e : elems) FUZZ_CHECK(e.comment == tag);
  }
  plugin::LinkFacts links{"0a:58:0a:16:00:01", "0a:58:0a:16:00:02", "0a:58:0a:16:00:03",
                          add_env().netns};
  auto result = plugin::make_result(*c, *plan, *net.prev_result, links, net.prev_result);
  json out = to_json(result, net.cni_version);
  std::string text;
  try {
    text = out.dump();
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("ADD result does not dump: ") + e.what());
  }
  auto back = result_from_json(json::parse(text));
  FUZZ_CHECK(back.has_value(), text + " → " + back.error().msg);
  for (const auto& ip : back->ips)
    if (ip.interface)
      FUZZ_CHECK(*ip.interface >= 0 && static_cast<size_t>(*ip.interface) < back->interfaces.size(),
                 text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = podnet_fuzz::as_text(data, size);
  (void)sniff_version(in);
  json j = json::parse(in, nullptr, false);
  if (!j.is_discarded()) {
    (void)result_from_json(j);
    if (j.is_object() && j.contains("prevResult")) (void)result_from_json(j["prevResult"]);
  }
  auto net = parse_netconf(in);
  if (!net) {
    auto code = net.error().code;
    FUZZ_CHECK(code == Code::decode_failure || code == Code::invalid_config ||
                   code == Code::incompatible_version,
               net.error().msg);
    return 0;
  }
  FUZZ_CHECK(is_supported(net->cni_version), net->cni_version);
  FUZZ_CHECK(!net->name.empty() && !net->type.empty());
  FUZZ_CHECK(net->ipam.is_null() || net->ipam.is_object());
  FUZZ_CHECK(net->runtime_config.is_null() || net->runtime_config.is_object());
  FUZZ_CHECK(net->args.is_null() || net->args.is_object());
  FUZZ_CHECK(net->raw.is_object());
  check_conf(*net);
  return 0;
}
