#pragma once
// Deleting a link without waiting for the kernel (see podnet/plugin/retire.hpp for why).

namespace podnet::plugin {

// Starts a child process that deletes link `ifindex` of the caller's network namespace, and
// returns at once: nobody waits for the child, and it holds none of our file descriptors (the
// runtime's pipes reach EOF when we exit). Must be called from a thread in the namespace the
// link is in. False when the child could not be started (the caller then deletes in place).
bool delete_link_detached(int ifindex);

}  // namespace podnet::plugin
