#include "store_health.hpp"

#include "podnet/common/log.hpp"

namespace podnet::agent {

void StoreHealth::ok() {
  last_ok_ = Clock::now();
  up_ = true;
}

void StoreHealth::failed(const Error& e, std::string_view what) {
  up_ = false;
  ++errors_;
  log::warn("{}: {}", what, e.message);
}

void StoreHealth::metrics(MetricsSnapshot& m) const {
  m.store_up = up_;
  m.store_errors = errors_;
}

}  // namespace podnet::agent
