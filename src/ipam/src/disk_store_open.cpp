// Opening a network directory and bringing it to a consistent state: lock, reclaim the
// allocations of earlier boots, rebuild the index when someone else wrote (see the header).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "disk_io.hpp"
#include "disk_layout.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/trusted_dir.hpp"
#include "podnet/ipam/disk_store.hpp"
#include "store_lock.hpp"

namespace podnet::ipam {

using namespace layout;

namespace {

int64_t to_ns(const timespec& t) {
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

// When this boot started on the realtime clock (the scale of file ctimes).
int64_t boot_time_ns() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return to_ns(real) - to_ns(boot);
}

}  // namespace

Result<std::optional<DiskStore>> DiskStore::open(const Options& o) {
  std::string dir = o.location.dir();
  // Root creates and rewrites files here: the directory and the way to it must be out of
  // other users' reach (no planted symlinks or files), see trusted_dir.hpp.
  auto opened = open_trusted_dir(dir, o.create, 0755);
  if (!opened) {
    if (opened.error().sys_errno == ENOENT && !o.create) return std::optional<DiskStore>{};
    return fail(opened.error());
  }
  UniqueFd dfd = std::move(*opened);
  auto lock = PODNET_TRY(lock_within(dfd.get(), dir + "/lock", o.location.lock_timeout));
  struct stat st {};
  if (::fstat(dfd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", dir));
  const bool podnet_only = is_mark(st.st_mtim);

  UniqueFd ifd(::openat(dfd.get(), kIndexDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!ifd) {
    if (errno != ENOENT) return fail_errno(fmt::format("open {}/{}", dir, kIndexDir));
    (void)PODNET_TRY(io::mkdir_at(dfd.get(), ".podnet", 0700));
    (void)PODNET_TRY(io::mkdir_at(dfd.get(), kIndexDir, 0700));
    ifd.reset(::openat(dfd.get(), kIndexDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!ifd) return fail_errno(fmt::format("open {}/{}", dir, kIndexDir));
  }
  DiskStore s(std::move(dir), std::move(lock), std::move(dfd), std::move(ifd));
  s.dirty_ = !podnet_only;
  PODNET_TRY_VOID(s.check_boot(o.boot_id_path, podnet_only));
  if (s.dirty_ && !s.report_.reindexed) PODNET_TRY_VOID(s.reindex());
  return std::optional<DiskStore>(std::move(s));
}

Result<> DiskStore::check_boot(const std::string& boot_id_path, bool podnet_only) {
  auto current_text = read_file(boot_id_path);
  if (!current_text) {
    log::warn("boot id unknown, not reclaiming: {}", current_text.error().message);
    return {};
  }
  std::string current = trim(*current_text);
  auto rec_text = PODNET_TRY(io::read_at(dir_fd_.get(), kBootRecord));
  auto recorded = rec_text ? decode_boot_record(*rec_text) : std::nullopt;
  report_.boot = decide_boot(recorded, current, podnet_only);
  if (report_.boot == BootAction::keep) return {};
  if (report_.boot != BootAction::adopt) PODNET_TRY_VOID(reclaim(report_.boot));
  // Durable, once per boot: see the header.
  PODNET_TRY_VOID(write_file_atomic_at(dir_fd_.get(), kBootRecord, encode_boot_record(current),
                                       /*durable=*/true, 0600, dir_ + "/" + kBootRecord));
  if (::fsync(dir_fd_.get()) != 0) return fail_errno(fmt::format("fsync {}", dir_));
  return {};
}

Result<> DiskStore::reclaim(BootAction action) {
  consistent_ = false;  // until reindex() completes
  const int64_t boot_ns = boot_time_ns();
  for (const auto& e : PODNET_TRY(io::list_dir(dir_fd_.get()))) {
    if (!record_ip(e)) continue;
    struct stat st {};
    if (::fstatat(dir_fd_.get(), e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!reclaim_record(action, to_ns(st.st_ctim), boot_ns)) continue;
    if (PODNET_TRY(io::unlink_at(dir_fd_.get(), e.name))) ++report_.reclaimed;
  }
  dirty_ = true;
  log::info("{}: new boot, reclaimed {} address(es) of earlier boots", dir_, report_.reclaimed);
  return reindex();
}

Result<> DiskStore::reindex() {
  // Half done, the index may miss files: the mark must not be set (finish() checks this).
  consistent_ = false;
  std::map<std::string, IndexRecord> want;
  for (const auto& e : PODNET_TRY(io::list_dir(dir_fd_.get()))) {
    auto ip = record_ip(e);
    if (!ip) continue;
    auto content = PODNET_TRY(io::read_at(dir_fd_.get(), e.name));
    auto owner = content ? decode_owner(*content) : std::nullopt;
    if (!owner) continue;  // unreadable: only GC or boot reclaim can free it
    auto key = index_name(owner->id, key_ifname(*owner));
    if (!key) {
      log::warn("{}/{}: owner '{}' cannot be indexed; only GC frees it", dir_, e.name, owner->id);
      continue;
    }
    auto& rec = want[*key];
    rec.id = owner->id;
    rec.ifname = key_ifname(*owner);
    rec.ips.push_back(*ip);
  }
  for (auto& [key, rec] : want) std::sort(rec.ips.begin(), rec.ips.end());
  for (const auto& e : PODNET_TRY(io::list_dir(idx_fd_.get()))) {
    auto it = want.find(e.name);
    if (it == want.end()) {
      (void)PODNET_TRY(io::unlink_at(idx_fd_.get(), e.name));
      continue;
    }
    auto have = PODNET_TRY(io::read_at(idx_fd_.get(), e.name));
    auto rec = have ? decode_index(*have) : std::nullopt;
    if (!rec || *rec != it->second)
      PODNET_TRY_VOID(io::write_at(idx_fd_.get(), e.name, encode_index(it->second), 0600));
    want.erase(it);
  }
  for (const auto& [key, rec] : want)
    PODNET_TRY_VOID(io::write_at(idx_fd_.get(), key, encode_index(rec), 0600));
  pending_.clear();
  report_.reindexed = true;
  dirty_ = true;
  consistent_ = true;  // rebuilt from the address files, whatever failed before
  return {};
}

}  // namespace podnet::ipam
