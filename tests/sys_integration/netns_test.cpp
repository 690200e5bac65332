#include <sys/stat.h>

#include <stdexcept>
#include <thread>

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

class NetnsOpen : public NetnsTest {};

TEST_F(NetnsOpen, OpensNamedAndProcNamespaces) {
  std::string a = make_ns();
  Netns ns = VALUE_OR_FAIL(open_ns(a));
  EXPECT_GE(ns.fd(), 0);
  EXPECT_EQ(ns.path(), ns_path(a));
  struct stat st {};
  ASSERT_EQ(::stat(ns_path(a).c_str(), &st), 0);
  EXPECT_EQ(ns.inode(), st.st_ino);

  Netns self = VALUE_OR_FAIL(Netns::open("/proc/self/ns/net"));
  Netns cur = VALUE_OR_FAIL(Netns::current());
  EXPECT_TRUE(self.same_as(cur));
  EXPECT_FALSE(self.same_as(ns));
}

TEST_F(NetnsOpen, RejectsNonNetnsPaths) {
  auto missing = Netns::open("/var/run/netns/pnsys-does-not-exist");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  EXPECT_NE(missing.error().message.find("pnsys-does-not-exist"), std::string::npos);

  auto regular = Netns::open("/proc/self/status");
  ASSERT_FALSE(regular);
  EXPECT_EQ(regular.error().sys_errno, EINVAL) << regular.error().message;

  auto uts = Netns::open("/proc/self/ns/uts");  // a namespace, but not a network one
  ASSERT_FALSE(uts);
  EXPECT_EQ(uts.error().sys_errno, EINVAL) << uts.error().message;

  // What a stale /var/run/netns entry looks like: a plain file whose mount is gone.
  std::string stale = "/tmp/pnsys-stale-" + std::to_string(::getpid());
  sh("touch " + stale);
  auto r = Netns::open(stale);
  sh("rm -f " + stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EINVAL);
}

class RunIn : public NetnsTest {};

TEST_F(RunIn, RunsInTargetAndNeverMovesCaller) {
  std::string a = make_ns();
  Netns ns = VALUE_OR_FAIL(open_ns(a));
  ino_t before = thread_netns_inode();
  auto inside = run_in(ns, [] { return thread_netns_inode(); });  // plain T -> Result<T>
  ASSERT_TRUE(inside);
  EXPECT_EQ(*inside, ns.inode());
  EXPECT_NE(*inside, before);
  EXPECT_EQ(thread_netns_inode(), before);
}

TEST_F(RunIn, PropagatesResultsErrorsAndExceptions) {
  Netns ns = VALUE_OR_FAIL(open_ns(make_ns()));
  Result<int> ok = run_in(ns, []() -> Result<int> { return 7; });
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);

  Result<int> bad = run_in(ns, []() -> Result<int> { return fail_errno("boom", EPERM); });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sys_errno, EPERM);
  EXPECT_EQ(bad.error().message, "boom: Operation not permitted");

  bool ran = false;
  Result<> v = run_in(ns, [&] { ran = true; });
  EXPECT_TRUE(v);
  EXPECT_TRUE(ran);

  EXPECT_THROW(run_in(ns, []() -> int { throw std::runtime_error("x"); }), std::runtime_error);
  EXPECT_NE(thread_netns_inode(), ns.inode());
}

TEST_F(RunIn, NetlinkStaysBoundToItsNamespace) {
  std::string a = make_ns();
  Netns ns = VALUE_OR_FAIL(open_ns(a));
  Netlink nl = VALUE_OR_FAIL(Netlink::open_in(ns));
  // lo is index 1 in every namespace; bringing it up through nl changes only this namespace's.
  LinkInfo lo = VALUE_OR_FAIL(nl.link_info("lo"));
  EXPECT_EQ(lo.index, 1);
  EXPECT_FALSE(lo.up);  // a fresh namespace's lo is down, the root's is up
  ASSERT_OK(nl.set_up(lo.index));
  EXPECT_NE(ip(a, "link show lo").find(",UP"), std::string::npos);
}

// run_here_in / Netlink::open_in: the calling thread joins the target briefly and always returns.
class RunHereIn : public NetnsTest {};

TEST_F(RunHereIn, RunsOnTheCallingThreadAndReturns) {
  Netns ns = VALUE_OR_FAIL(open_ns(make_ns()));
  ino_t before = thread_netns_inode();
  auto caller = std::this_thread::get_id();
  auto inside = run_here_in(ns, [&] {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    return thread_netns_inode();
  });
  ASSERT_TRUE(inside);
  EXPECT_EQ(*inside, ns.inode());
  EXPECT_NE(*inside, before);
  EXPECT_EQ(thread_netns_inode(), before);
}

TEST_F(RunHereIn, ReturnsAfterErrorsAndExceptions) {
  Netns ns = VALUE_OR_FAIL(open_ns(make_ns()));
  ino_t before = thread_netns_inode();
  Result<int> bad = run_here_in(ns, []() -> Result<int> { return fail_errno("boom", EPERM); });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sys_errno, EPERM);
  EXPECT_EQ(thread_netns_inode(), before);

  bool ran = false;
  Result<> v = run_here_in(ns, [&] { ran = true; });
  EXPECT_TRUE(v);
  EXPECT_TRUE(ran);
  EXPECT_EQ(thread_netns_inode(), before);

  EXPECT_THROW(run_here_in(ns, []() -> int { throw std::runtime_error("x"); }), std::runtime_error);
  EXPECT_EQ(thread_netns_inode(), before);
}

TEST_F(RunHereIn, FailedEnterLeavesTheThreadWhereItWas) {
  Netns ns = VALUE_OR_FAIL(open_ns(make_ns()));
  Netns moved = std::move(ns);  // ns now holds no fd: setns() fails with EBADF
  ino_t before = thread_netns_inode();
  bool ran = false;
  Result<> r = run_here_in(ns, [&] { ran = true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EBADF) << r.error().message;
  EXPECT_FALSE(ran);
  auto nl = Netlink::open_in(ns);
  ASSERT_FALSE(nl);
  EXPECT_EQ(nl.error().sys_errno, EBADF) << nl.error().message;
  EXPECT_EQ(thread_netns_inode(), before);
}

TEST_F(RunHereIn, NetlinkOpenedHereActsInTargetFromTheCallersNamespace) {
  // The caller sits in namespace a (on a run_in thread, so the root namespace is never touched)
  // and opens a socket in b: requests through it act on b, the caller is back in a at once.
  std::string a = make_ns(), b = make_ns();
  Netns nsa = VALUE_OR_FAIL(open_ns(a));
  Netns nsb = VALUE_OR_FAIL(open_ns(b));
  auto r = run_in(nsa, [&]() -> Result<> {
    auto nl = Netlink::open_in(nsb);
    if (!nl) return fail(nl.error());
    if (thread_netns_inode() != nsa.inode()) return fail("thread did not return to a");
    auto lo = nl->link_info("lo");
    if (!lo) return fail(lo.error());
    return nl->set_up(lo->index);
  });
  ASSERT_OK(r);
  EXPECT_NE(ip(b, "link show lo").find(",UP"), std::string::npos);
  EXPECT_EQ(ip(a, "link show lo").find(",UP"), std::string::npos);
}

}  // namespace
}  // namespace podnet::sys::test
