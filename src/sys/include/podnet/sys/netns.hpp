#pragma once
// Network namespaces as owned fds, and two ways of running code inside one: run_in, on a
// short-lived thread that setns()'s and then exits (the caller's thread never moves), and
// run_here_in, on the calling thread, which enters and is brought back by an RAII guard (no
// thread start, which costs up to several ms on a loaded machine for work often far shorter).
#include <sys/types.h>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::sys {

class Netns {
 public:
  // path: /var/run/netns/NAME, /proc/PID/ns/net, ... Fails (ENOENT or EINVAL) when the path is not
  // a network namespace, e.g. a bind-mount point left behind after its namespace was unmounted.
  static Result<Netns> open(const std::string& path);
  // The calling thread's network namespace.
  static Result<Netns> current();

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // Namespace identity (nsfs inode): equal inodes mean the same namespace.
  ino_t inode() const { return ino_; }
  bool same_as(const Netns& o) const { return ino_ == o.ino_ && dev_ == o.dev_; }

 private:
  Netns(UniqueFd fd, std::string path, dev_t dev, ino_t ino)
      : fd_(std::move(fd)), path_(std::move(path)), dev_(dev), ino_(ino) {}
  UniqueFd fd_;
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

namespace detail {
// setns() the calling thread into ns. Only for run_in's dedicated thread and run_here_in.
Result<> enter_netns(const Netns& ns);

// An fd of the calling thread's own network namespace (no checks: it is one).
Result<UniqueFd> open_thread_netns();

// Brings the calling thread back to `home` when it goes out of scope, also during unwinding. If
// the kernel refuses, the process aborts with a message: a thread left in the wrong namespace
// must never run on (its next sockets and /proc/sys writes would act on the pod).
class ReturnToNetns {
 public:
  explicit ReturnToNetns(UniqueFd home) : home_(std::move(home)) {}
  ReturnToNetns(const ReturnToNetns&) = delete;
  ReturnToNetns& operator=(const ReturnToNetns&) = delete;
  ~ReturnToNetns();

 private:
  UniqueFd home_;
};

// f's result as a Result: Result<T> stays, void -> Result<>, T -> Result<T>.
template <typename R>
struct as_result {
  using type = Result<R>;
};
template <typename T>
struct as_result<std::expected<T, Error>> {
  using type = std::expected<T, Error>;
};
}  // namespace detail

// Runs f() on a fresh thread that has joined ns and returns its result. Exceptions thrown by f are
// rethrown here. The calling thread's namespace is never touched. Sockets created by f stay bound
// to ns after the thread ends (that is how Netlink::open_in works).
template <typename F>
auto run_in(const Netns& ns, F&& f) -> typename detail::as_result<std::invoke_result_t<F&>>::type {
  using Raw = std::invoke_result_t<F&>;
  using R = typename detail::as_result<Raw>::type;
  std::optional<R> out;
  std::exception_ptr thrown;
  try {
    std::thread t([&] {
      try {
        if (auto r = detail::enter_netns(ns); !r) {
          out.emplace(std::unexpected(r.error()));
        } else if constexpr (std::is_void_v<Raw>) {
          std::invoke(f);
          out.emplace();
        } else {
          out.emplace(std::invoke(f));
        }
      } catch (...) {
        thrown = std::current_exception();
      }
    });
    t.join();
  } catch (const std::system_error& e) {  // no thread could be created
    return std::unexpected(
        Error::from_errno(e.code().value(), "start netns thread for " + ns.path()));
  }
  if (thrown) std::rethrow_exception(thrown);
  return std::move(*out);
}

// Runs f() on the calling thread while it is in ns, then moves the thread back (see
// ReturnToNetns) before returning f's result; exceptions from f propagate after the return. A
// failure to enter leaves the thread where it was. Meant for brief work such as opening a socket
// (it stays bound to ns): f must not start threads (they would inherit ns) or block for long.
template <typename F>
auto run_here_in(const Netns& ns, F&& f) ->
    typename detail::as_result<std::invoke_result_t<F&>>::type {
  using Raw = std::invoke_result_t<F&>;
  auto home = detail::open_thread_netns();
  if (!home) return std::unexpected(home.error());
  if (auto r = detail::enter_netns(ns); !r) return std::unexpected(r.error());
  detail::ReturnToNetns back(std::move(*home));
  if constexpr (std::is_void_v<Raw>) {
    std::invoke(f);
    return {};
  } else {
    return std::invoke(f);
  }
}

}  // namespace podnet::sys
