#include "podnet/lab/lab_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "podnet/common/files.hpp"
#include "podnet/lab/plan.hpp"

namespace podnet::lab {

Result<LabLock> LabLock::acquire() {
  const std::string dir(default_base_dir);
  PODNET_TRY_VOID(make_dirs(dir, 0755));
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + dir);
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) return fail_errno("lock " + dir);
  return LabLock(std::move(fd));
}

}  // namespace podnet::lab
