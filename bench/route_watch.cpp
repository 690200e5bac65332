#include "route_watch.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace podnet::bench {

namespace {

int open_in(const std::string& netns_path) {
  int sock = -1;
  std::string err;
  // setns moves only this thread, which ends right after: the caller never changes netns.
  std::thread t([&] {
    int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
      err = "enter " + netns_path;
      if (ns >= 0) ::close(ns);
      return;
    }
    ::close(ns);
    sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    int buf = 4 << 20;
    ::setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_IPV4_ROUTE;
    if (sock < 0 || ::bind(sock, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      err = "rtnetlink socket in " + netns_path;
  });
  t.join();
  if (!err.empty()) {
    if (sock >= 0) ::close(sock);
    throw std::runtime_error(err);
  }
  return sock;
}

}  // namespace

RouteWatch::RouteWatch(const std::vector<std::string>& netns_paths) {
  if (::pipe2(stop_, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  try {
    for (const auto& p : netns_paths) fds_.push_back(open_in(p));
  } catch (...) {
    for (int fd : fds_) ::close(fd);
    ::close(stop_[0]), ::close(stop_[1]);
    throw;
  }
  thread_ = std::thread([this] { loop(); });
}

RouteWatch::~RouteWatch() {
  (void)!::write(stop_[1], "x", 1);
  thread_.join();
  for (int fd : fds_) ::close(fd);
  ::close(stop_[0]), ::close(stop_[1]);
}

std::optional<RouteWatch::Clock::time_point> RouteWatch::added(size_t i,
                                                               const std::string& dst) const {
  std::lock_guard lock(mu_);
  auto it = present_.find({i, dst});
  if (it == present_.end()) return std::nullopt;
  return it->second;
}

void RouteWatch::loop() {
  std::vector<pollfd> pfds;
  for (int fd : fds_) pfds.push_back({fd, POLLIN, 0});
  pfds.push_back({stop_[0], POLLIN, 0});
  alignas(nlmsghdr) char buf[1 << 16];
  for (;;) {
    if (::poll(pfds.data(), pfds.size(), -1) < 0) continue;
    if (pfds.back().revents) return;
    for (size_t i = 0; i < fds_.size(); ++i) {
      if (!pfds[i].revents) continue;
      for (;;) {
        ssize_t n = ::recv(fds_[i], buf, sizeof buf, 0);
        if (n <= 0) break;
        auto now = Clock::now();
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
          if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE) continue;
          auto* rt = static_cast<rtmsg*>(NLMSG_DATA(h));
          if (rt->rtm_family != AF_INET || rt->rtm_table != RT_TABLE_MAIN) continue;
          int len = RTM_PAYLOAD(h);
          for (auto* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
            if (a->rta_type != RTA_DST) continue;
            char ip[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, RTA_DATA(a), ip, sizeof ip);
            std::string dst = std::string(ip) + "/" + std::to_string(rt->rtm_dst_len);
            std::lock_guard lock(mu_);
            if (h->nlmsg_type == RTM_NEWROUTE)  // a later replace keeps the first time
              present_.try_emplace({i, dst}, now);
            else
              present_.erase({i, dst});
          }
        }
      }
    }
  }
}

}  // namespace podnet::bench
