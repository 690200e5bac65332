#pragma once
// The Services of the store for podnetctl's service commands: the store of --store (or the
// lab's) with svcstore::ServiceStore over it, configured by the cluster config it holds.
#include <memory>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "podnet/svcstore/service_store.hpp"

namespace podnet::ctl {

struct ServiceAccess {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<svcstore::ServiceStore> services;
};
Result<ServiceAccess> open_services(const Context& ctx);

// kubectl's not-found line: `Error from server (NotFound): services "web" not found`.
std::string not_found_line(std::string_view resource_plural, std::string_view name);

}  // namespace podnet::ctl
