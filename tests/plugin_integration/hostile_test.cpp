// Issue 9 attacks on the plugins as root: planted links in a directory others can write, a
// FIFO as CNI_NETNS, deeply nested JSON, an IPAM plugin that exits without reading its stdin,
// GC without the list of valid attachments. Each must end in a CNI error JSON, never a crash,
// a hang or a write through someone else's link.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "plugin_env.hpp"

using nlohmann::json;
using podnet::testing::PluginEnv;
using podnet::testing::ProcResult;

namespace {

#define REQUIRE_ROOT() \
  if (!podnet::testing::have_root()) GTEST_SKIP() << "needs root: creates network namespaces"

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write(const std::string& p, const std::string& text, int mode = 0644) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
}

// The CNI error answer of a failed run: exit 1 and a JSON object with `code`.
int error_code(const ProcResult& r) {
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.exit_code, 141) << "killed by SIGPIPE";
  auto j = json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("code")) {
    ADD_FAILURE() << "no error JSON: " << r.out << r.err;
    return -1;
  }
  return j["code"].get<int>();
}

std::string message(const ProcResult& r) {
  auto j = json::parse(r.out, nullptr, false);
  return j.is_object() ? j.value("msg", "") : "";
}

std::string nested(size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

}  // namespace

// An unprivileged user pre-creates the network's directory under a world-writable parent and
// plants links to a root-only file: ADD refuses (code 5 naming the directory), the file stays.
TEST(PodnetPluginHostile, PlantedLinksInOthersDirectoryAreRefused) {
  REQUIRE_ROOT();
  PluginEnv env("hsl");
  auto& p1 = env.add_pod("p1");
  std::string victim = env.dir() + "/victim";
  write(victim, "precious\n", 0600);
  std::string shared = env.dir() + "/shared";  // like /tmp
  ASSERT_EQ(::mkdir(shared.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  std::string data = shared + "/cni";
  std::string net = data + "/podnet-test";
  // What the attacker (uid 65534) prepares.
  ASSERT_EQ(::mkdir(data.c_str(), 0777), 0);
  ASSERT_EQ(::mkdir(net.c_str(), 0777), 0);
  ASSERT_EQ(::mkdir((net + "/.podnet").c_str(), 0777), 0);
  ASSERT_EQ(::symlink(victim.c_str(), (net + "/lock").c_str()), 0);
  for (int pid = 1; pid < 400; ++pid)
    ::symlink(victim.c_str(), (net + "/.podnet/boot_id.tmp." + std::to_string(pid)).c_str());
  ASSERT_EQ(::symlink(victim.c_str(), (net + "/.podnet/boot_id").c_str()), 0);
  for (const auto& p : {data, net, net + "/.podnet"})
    ASSERT_EQ(::lchown(p.c_str(), 65534, 65534), 0);

  for (const char* ipam : {"podnet", "ipam"}) {
    auto conf =
        env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipam", {{"dataDir", data}}}});
    auto r = env.run(std::string(ipam) == "podnet" ? "podnet" : "podnet-ipam", "ADD", "c1",
                     p1.path(), conf);
    EXPECT_EQ(error_code(r), 5) << ipam;
    EXPECT_NE(message(r).find(data + ": owned by uid 65534"), std::string::npos) << message(r);
  }
  // Root's own directory, but writable by everyone: refused too.
  ASSERT_EQ(::lchown(data.c_str(), 0, 0), 0);
  ASSERT_EQ(::lchown(net.c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(data.c_str(), 0777), 0);  // mkdir's mode went through the umask
  auto conf =
      env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipam", {{"dataDir", data}}}});
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  EXPECT_EQ(error_code(r), 5);
  EXPECT_NE(message(r).find("writable by group or others"), std::string::npos) << message(r);
  EXPECT_EQ(slurp(victim), "precious\n");
  struct stat st {};
  ASSERT_EQ(::stat(victim.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(env.host_veths().empty());
}

// logFile through a planted link, or in a directory others can write: refused, not followed.
TEST(PodnetPluginHostile, LogFileLinkIsRefused) {
  REQUIRE_ROOT();
  PluginEnv env("hlf");
  auto& p1 = env.add_pod("p1");
  std::string victim = env.dir() + "/victim";
  write(victim, "precious\n", 0600);
  std::string log = env.dir() + "/podnet.log";
  ASSERT_EQ(::symlink(victim.c_str(), log.c_str()), 0);
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24",
                              {{"logLevel", "debug"}, {"logFile", log}});
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  EXPECT_EQ(error_code(r), 5);
  EXPECT_NE(message(r).find("logFile"), std::string::npos) << message(r);
  EXPECT_EQ(slurp(victim), "precious\n");
}

// A FIFO as CNI_NETNS: an error naming it, promptly (a plain open would block forever; the
// wrapper's `timeout` only turns a regression into a failure instead of a hung suite).
TEST(PodnetPluginHostile, FifoNetnsFailsPromptly) {
  REQUIRE_ROOT();
  PluginEnv env("hff");
  std::string fifo = env.dir() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string wrapper = env.cni_path() + "/podnet-timeout";
  write(wrapper, "#!/bin/sh\nexec timeout 60 " + env.cni_path() + "/podnet\n", 0755);
  auto r = env.run("podnet-timeout", "ADD", "c1", fifo, env.podnet_conf());
  ASSERT_NE(r.exit_code, 124) << "ADD hung on the FIFO";
  EXPECT_EQ(error_code(r), 4);
  EXPECT_NE(message(r).find(fifo), std::string::npos) << message(r);
  EXPECT_TRUE(env.allocated_ips().empty());
}

// 100k and 300k levels of nesting in ipam, args and runtimeConfig, for both plugins: code 6,
// no crash.
TEST(PodnetPluginHostile, DeepNestingIsADecodeError) {
  REQUIRE_ROOT();
  PluginEnv env("hdn");
  auto& p1 = env.add_pod("p1");
  std::string base = env.podnet_conf().dump();
  base.pop_back();  // the closing brace
  for (size_t levels : {100000u, 300000u})
    for (const char* key : {"ipam", "args", "runtimeConfig"})
      for (const char* plugin : {"podnet", "podnet-ipam"}) {
        std::string text = base + ",\"" + key + "x\":{\"deep\":" + nested(levels) + "}}";
        // run() takes JSON; the document is built as text (nlohmann could not hold it).
        auto r = podnet::testing::run_in_netns(env.node().path(), env.cni_path() + "/" + plugin,
                                               {{"CNI_COMMAND", "ADD"},
                                                {"CNI_CONTAINERID", "c1"},
                                                {"CNI_NETNS", p1.path()},
                                                {"CNI_IFNAME", "eth0"},
                                                {"CNI_PATH", env.cni_path()}},
                                               text);
        EXPECT_EQ(error_code(r), 6) << plugin << " " << key << " " << levels;
        EXPECT_NE(message(r).find("nesting deeper than 64 levels"), std::string::npos)
            << message(r);
      }
  EXPECT_TRUE(env.host_veths().empty());
}

// An IPAM plugin that exits without reading a config far larger than a pipe: podnet answers
// with an error JSON (no SIGPIPE death) and leaves nothing behind.
TEST(PodnetPluginHostile, IpamExitingWithoutReadingStdin) {
  REQUIRE_ROOT();
  PluginEnv env("hip");
  auto& p1 = env.add_pod("p1");
  write(env.cni_path() + "/early-ipam", "#!/bin/sh\nexit 3\n", 0755);
  auto conf = env.podnet_conf("1.1.0", "early-ipam");
  conf["padding"] = std::string(8 << 20, 'x');
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  EXPECT_GT(error_code(r), 0);
  EXPECT_NE(message(r).find("exit status 3"), std::string::npos) << message(r);
  EXPECT_TRUE(env.host_veths().empty());
}

// GC without cni.dev/valid-attachments (or the older key) refuses with code 7; the
// masquerade entries and the addresses stay.
TEST(PodnetPluginHostile, GcWithoutAttachmentListKeepsEverything) {
  REQUIRE_ROOT();
  PluginEnv env("hgc");
  auto& p1 = env.add_pod("p1");
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipMasq", true}});
  auto a = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  std::string before;
  env.node().sh("nft list set inet podnet-cni masq-v4", &before);
  ASSERT_NE(before.find("10.77.0.2"), std::string::npos) << before;
  auto r = env.run("podnet", "GC", "", "", conf);
  EXPECT_EQ(error_code(r), 7);
  EXPECT_NE(message(r).find("cni.dev/valid-attachments"), std::string::npos) << message(r);
  std::string after;
  env.node().sh("nft list set inet podnet-cni masq-v4", &after);
  EXPECT_NE(after.find("10.77.0.2"), std::string::npos) << after;
  EXPECT_EQ(env.allocated_ips().size(), 1u);
  auto d = env.run("podnet", "DEL", "c1", p1.path(), conf);
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
}
