#pragma once
// Talking to the lab's store from wherever the caller runs. A sqlite store is a file, reachable
// from any namespace; etcd listens on the lab's underlay (10.1.1.2), reachable only from inside
// the lab: the work then runs on a thread inside <lab>-ext (sys::run_in), never moving the caller.
#include <memory>

#include "podnet/common/error.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state.hpp"
#include "podnet/store/store.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::lab {

// The netns a client of this lab's store must run in; empty when any will do.
std::string store_client_netns(const LabState& s);

// Opens the store and runs f(store&) where the store is reachable; f returns a Result<T>.
template <typename F>
auto with_lab_store(const LabState& s, F&& f) -> decltype(f(std::declval<store::Store&>())) {
  auto body = [&]() -> decltype(f(std::declval<store::Store&>())) {
    auto st = store::open_store(s.store_url);
    if (!st) return std::unexpected(st.error().context("open store " + s.store_url));
    return f(**st);  // the store (and any thread it made) ends inside this netns
  };
  const std::string ns_name = store_client_netns(s);
  if (ns_name.empty()) return body();
  auto ns = sys::Netns::open(netns_path(ns_name));
  if (!ns) return std::unexpected(ns.error());
  return sys::run_in(*ns, body);
}

}  // namespace podnet::lab
