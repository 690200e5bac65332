#pragma once
// Reading and writing lab.json (/run/podnet-lab/<lab>/lab.json).
#include <optional>
#include <string_view>

#include "podnet/common/error.hpp"
#include "podnet/lab/state.hpp"

namespace podnet::lab {

// nullopt when the lab has no lab.json (not up); an error when it is unreadable or invalid.
Result<std::optional<LabState>> load_state(std::string_view lab,
                                           std::string_view base_dir = default_base_dir);
// The running lab's state; error `no lab "<lab>" is up (no <path>)` when there is none.
Result<LabState> require_state(std::string_view lab, std::string_view base_dir = default_base_dir);
// Atomic replace, so a crash leaves the old or the new file, never half of one.
Result<> save_state(const LabState& s, std::string_view base_dir = default_base_dir);

}  // namespace podnet::lab
