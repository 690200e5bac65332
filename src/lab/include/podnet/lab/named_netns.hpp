#pragma once
// Named network namespaces (/var/run/netns/NAME, the iproute2 convention) made without forking
// `ip`: a helper thread unshare()s a new netns and bind-mounts its /proc/thread-self/ns/net onto
// the name, then exits; the mount keeps the namespace alive.
#include <string>
#include <string_view>
#include <vector>

#include "podnet/common/error.hpp"

namespace podnet::lab {

// Creates /var/run/netns/<name> with lo up. EEXIST when the name is taken.
Result<> create_named_netns(std::string_view name);
// Unmounts and removes the name; false when there was none. The namespace itself goes away
// once no process lives in it and no fd holds it.
Result<bool> delete_named_netns(std::string_view name);
bool named_netns_exists(std::string_view name);
// Names under /var/run/netns (empty when the directory does not exist).
std::vector<std::string> list_named_netns();

}  // namespace podnet::lab
