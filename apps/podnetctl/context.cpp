// Context: -n checked; open_store: the store of --store, else of the running lab.
#include <fcntl.h>
#include <sched.h>

#include <iostream>

#include "commands.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/lab/lab_store.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/store/store.hpp"

namespace podnet::ctl {

Result<std::string> Context::namespace_arg() const {
  PODNET_TRY_VOID(cluster::validate_dns_label(ns, "--namespace"));
  return ns;
}

Result<std::unique_ptr<store::Store>> Context::open_store() const {
  if (!store_url.empty()) return store::open_store(store_url);
  auto s = PODNET_TRY(lab::require_state(lab));
  if (auto ns = lab::store_client_netns(s); !ns.empty()) {
    // An etcd lab's store listens on the lab's underlay only. A CLI run is one short job on
    // the lab's store, so the process does it from the lab's outside host, as
    // `ip netns exec <lab>-ext podnetctl ...` would; the store's own threads start from here.
    const std::string path = lab::netns_path(ns);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("open " + path + " to reach the lab's etcd");
    if (::setns(fd.get(), CLONE_NEWNET) != 0) return fail_errno("enter " + path);
  }
  auto st = store::open_store(s.store_url);
  if (!st) return fail(st.error().context("open store " + s.store_url));
  return st;
}

Result<std::string> listing_namespace(const Context& ctx) {
  if (ctx.all_namespaces && !ctx.names.empty())  // as kubectl: names are per namespace
    return fail("a resource cannot be retrieved by name across all namespaces (drop -A)");
  if (ctx.all_namespaces) return std::string();
  return ctx.namespace_arg();
}

void say_none_found(const std::string& ns) {
  if (ns.empty())
    std::cerr << "No resources found\n";
  else
    std::cerr << "No resources found in " << ns << " namespace.\n";
}

}  // namespace podnet::ctl
