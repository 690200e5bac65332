// Fuzzer findings in podnet::cni (fuzz/fuzz_env.cpp, fuzz/fuzz_netconf.cpp).
#include <gtest/gtest.h>

#include <map>
#include <string_view>

#include "podnet/cni/env.hpp"
#include "podnet/cni/netconf.hpp"
#include "podnet/cni/result.hpp"
#include "podnet/cni/skel.hpp"

using namespace podnet::cni;
using nlohmann::json;

namespace {
Getenv env_of(std::map<std::string, std::string> m) {
  return [m](const char* k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}
PluginFuncs echo_ifname() {
  PluginFuncs f;
  f.add = [](const CmdArgs& a) -> CmdResult {
    return json{{"cniVersion", a.cni_version},
                {"interfaces", json::array({{{"name", a.env.ifname}}})}};
  };
  return f;
}
}  // namespace

// fuzz_env-crash-a6ffae95: the error names the invalid container id, which was not UTF-8;
// json::dump() threw type_error 316 out of dispatch() instead of printing code 4.
TEST(FuzzRegressSkel, ErrorQuotingNonUtf8EnvironmentIsPrinted) {
  std::string id = "\"ipam\":{\"type\":\"podnet-ipam" + std::string(45, '\xff') + "\"}}";
  Outcome o;
  ASSERT_NO_THROW(o = dispatch(echo_ifname(),
                               env_of({{"CNI_COMMAND", "ADD"}, {"CNI_CONTAINERID", id}}), ""));
  EXPECT_EQ(o.exit_code, 1);
  ASSERT_FALSE(o.stdout_text.empty());
  EXPECT_EQ(o.stdout_text.back(), '\n');
  auto j = json::parse(o.stdout_text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << o.stdout_text;
  EXPECT_EQ(j["code"], 4);
  EXPECT_EQ(j["cniVersion"], "1.1.0");
  EXPECT_NE(j["msg"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

// Same cause on the success path: a non-UTF-8 CNI_IFNAME used to reach the result. It is
// refused now (code 4, issue 9), and the error JSON, which quotes it, still prints.
TEST(FuzzRegressSkel, ResultQuotingNonUtf8IfnameIsRefusedAndPrinted) {
  Outcome o;
  ASSERT_NO_THROW(o = dispatch(echo_ifname(),
                               env_of({{"CNI_COMMAND", "ADD"},
                                       {"CNI_CONTAINERID", "c1"},
                                       {"CNI_NETNS", "/x"},
                                       {"CNI_IFNAME", "eth\xff"},
                                       {"CNI_PATH", "/bin"}}),
                               R"({"cniVersion":"1.0.0","name":"n","type":"t"})"));
  EXPECT_NE(o.exit_code, 0);
  auto j = json::parse(o.stdout_text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << o.stdout_text;
  EXPECT_EQ(j["code"], 4);
}

// fuzz_netconf-crash-6e0c6b34 (bridge "podnet0\u0000"): interface_name_problem let a NUL
// through; the kernel would have cut the name at it.
TEST(FuzzRegressEnv, InterfaceNameWithNulIsRejected) {
  using namespace std::string_view_literals;
  EXPECT_TRUE(interface_name_problem("podnet0\0"sv));
  EXPECT_TRUE(interface_name_problem("a\0b"sv));
  EXPECT_FALSE(interface_name_problem("podnet0"sv));
}

// Found with fuzz_prev_result's fidelity check ({"routes":[{"dst":"10.0.0.0/8",
// "mtu":4294968796}]}): result integers were read with get<int>(), which truncates, so the
// route got mtu 1500; get_int() wrapped unsigned values above INT64_MAX to negative ones.
TEST(FuzzRegressResult, IntegerOutOfRangeIsRejectedNotTruncated) {
  auto r = result_from_json(json::parse(R"({"routes":[{"dst":"10.0.0.0/8","mtu":4294968796}]})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::decode_failure);
  EXPECT_NE(r.error().msg.find("mtu"), std::string::npos) << r.error().msg;
  EXPECT_FALSE(result_from_json(json::parse(R"({"interfaces":[{"name":"a","mtu":-2147483649}]})")));
  EXPECT_FALSE(result_from_json(
      json::parse(R"({"ips":[{"address":"10.0.0.1/24","interface":18446744073709551615}]})")));
  auto ok = result_from_json(
      json::parse(R"({"routes":[{"dst":"10.0.0.0/8","mtu":2147483647,"priority":-2147483648}]})"));
  ASSERT_TRUE(ok) << ok.error().msg;
  EXPECT_EQ(ok->routes[0].mtu, 2147483647);
  EXPECT_EQ(ok->routes[0].priority, -2147483648LL);

  auto big = get_int(json::parse(R"({"vlan":18446744073709551615})"), "vlan", "");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Code::invalid_config);
  auto max = get_int(json::parse(R"({"vlan":9223372036854775807})"), "vlan", "");
  ASSERT_TRUE(max);
  EXPECT_EQ(**max, INT64_MAX);
}
