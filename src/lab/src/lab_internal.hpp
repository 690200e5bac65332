#pragma once
// Shared by lab_up.cpp and lab_down.cpp.
#include <ostream>
#include <string_view>

#include "podnet/common/error.hpp"

namespace podnet::lab::detail {

// lab down with the lab lock already held. false: there was nothing of the lab at all.
Result<bool> down_locked(std::string_view lab, std::ostream& out);

}  // namespace podnet::lab::detail
