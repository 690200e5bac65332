#include "service_access.hpp"

#include <fmt/format.h>

namespace podnet::ctl {

Result<ServiceAccess> open_services(const Context& ctx) {
  ServiceAccess a;
  a.store = PODNET_TRY(ctx.open_store());
  auto config = PODNET_TRY(svcstore::read_config(*a.store));
  a.services = std::make_unique<svcstore::ServiceStore>(*a.store, std::move(config));
  return a;
}

std::string not_found_line(std::string_view resource_plural, std::string_view name) {
  return fmt::format("Error from server (NotFound): {} \"{}\" not found\n", resource_plural, name);
}

}  // namespace podnet::ctl
