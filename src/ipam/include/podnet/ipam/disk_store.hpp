#pragma once
// The on-disk Store: host-local's layout, so a node migrates by changing `type`, plus an
// index by container that makes DEL/GET O(1).
//
// Layout of dataDir/<network>/ (host-local's, unchanged):
//   <ip>                  "containerID\r\nifname"; its existence IS the reservation
//   last_reserved_ip.<n>  round-robin position of range set n
//   lock                  flock()ed for each whole command (host-local takes the same lock)
// podnet-ipam's additions (never parsed as address files by host-local, see store_format.hpp):
//   .podnet/by-id/<id>:<ifname>  index: the addresses of one attachment
//   .podnet/boot_id              the boot the allocations were made in
//
// Consistency mark. When podnet-ipam leaves the directory with every address file indexed,
// it sets the directory's mtime to a fixed mark (1970-01-01T00:00:01Z). Any create or
// unlink of an address file by anyone else (host-local, an admin), or by a podnet-ipam
// killed before it finished, makes the kernel set mtime to "now", erasing the mark. Each
// command checks the mark under the lock: present -> the index is complete, DEL/GET look
// up one file and never walk; absent -> rebuild the index from the address files once (a
// walk, like every host-local call) and set the mark again. Clock granularity cannot hide a
// change (a real mtime never equals the mark). This handles, with one mechanism:
//   - migration host-local -> podnet-ipam: no mark -> indexed on the first call;
//   - host-local used again on the directory (rollback): its ADDs erase the mark; its DELs
//     remove address files whose index then is stale, and stale entries are also ignored on
//     read because every index entry is verified against the address file's owner;
//   - podnet-ipam -> host-local: host-local finds podnet's address files (same format) and
//     its walk never matches podnet's files, so it allocates around and releases them fine.
//
// Crash safety (kill -9 at any point; the lock dies with the process):
//   ADD: address file first (the reservation, created atomically with its content via
//     O_TMPFILE + linkat, so it is never empty), index second, mark last. Killed before the
//     index: the file exists, the mark is gone -> the next command indexes it, so the
//     runtime's DEL-after-failed-ADD (or GC) frees it. Never given twice: the address file
//     is the reservation.
//   DEL: address files first, index last, mark last. Killed in between: the stale index
//     points at freed addresses (the mark is gone too) -> rebuilt by the next command. The
//     opposite order (index first) could leave an unindexed file with the mark intact, i.e.
//     a leak that only GC would find.
//   An address file whose owner cannot be read is freed by GC (and by boot reclaim).
//
// fsync: none on the hot path. kill -9 loses no page cache; a machine crash kills every
// pod, and the first command of the next boot reclaims everything recorded under the old
// boot id anyway. The one durable write is the boot record (file + directories, once per
// boot): were it lost while allocations written after it survived, the next boot would
// adopt stale allocations instead of reclaiming them.
//
// Boot id: recorded per network; on the first command in another boot every allocation is
// from an earlier boot and is reclaimed (all of them when the mark shows podnet-ipam alone
// wrote since; else only files last changed before this boot started, so host-local
// allocations made after the reboot survive). No record (host-local's directory, or a new
// one): adopt the current boot, reclaim nothing.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/common/files.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/ipam/boot.hpp"
#include "podnet/ipam/config.hpp"
#include "podnet/ipam/store.hpp"
#include "podnet/ipam/store_format.hpp"

namespace podnet::ipam {

class DiskStore final : public Store {
 public:
  struct Options {
    StoreLocation location;
    bool create = true;  // ADD creates the directory; other commands treat none as empty
    std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
  };
  struct OpenReport {
    BootAction boot = BootAction::keep;
    size_t reclaimed = 0;    // address files freed as left over from an earlier boot
    bool reindexed = false;  // the mark was missing: index rebuilt from the address files
  };

  // Locks the network and brings it to a consistent state (boot reclaim, index rebuild).
  // nullopt when the directory does not exist and !create.
  static Result<std::optional<DiskStore>> open(const Options& opts);

  DiskStore(DiskStore&&) noexcept = default;
  DiskStore& operator=(DiskStore&&) noexcept = default;
  ~DiskStore() override = default;  // does not finish(): an unfinished session stays unmarked

  Result<bool> reserve(std::string_view id, std::string_view ifname, const net::IpAddress& ip,
                       size_t rangeset) override;
  Result<std::optional<net::IpAddress>> last_reserved(size_t rangeset) override;
  Result<std::vector<net::IpAddress>> get_by_id(std::string_view id,
                                                std::string_view ifname) override;
  Result<> release_by_id(std::string_view id, std::string_view ifname) override;
  Result<std::vector<Allocation>> list() override;
  Result<> release(const net::IpAddress& ip) override;

  // CHECK: the index of id/ifname against the address files. nullopt: no index.
  enum class Held { ok, file_missing, other_owner };
  struct Entry {
    net::IpAddress ip;
    Held state = Held::ok;
    std::optional<Owner> actual;  // the file's owner when other_owner
  };
  Result<std::optional<std::vector<Entry>>> inspect(std::string_view id, std::string_view ifname);

  // Rebuilds every index file from the address files (a walk).
  Result<> reindex();
  // Writes pending index changes, then sets the consistency mark. Call at the end of every
  // command, also after a failed one whose changes were rolled back.
  Result<> finish();

  const OpenReport& report() const { return report_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Pending {
    IndexRecord record;  // id/ifname of the key
    std::vector<net::IpAddress> added, removed;
  };

  DiskStore(std::string dir, UniqueFd lock, UniqueFd dir_fd, UniqueFd idx_fd);
  Result<> check_boot(const std::string& boot_id_path, bool podnet_only);
  Result<> reclaim(BootAction action);
  Result<bool> create_record(const std::string& name, std::string_view content);
  Result<std::optional<IndexRecord>> read_index(const std::string& key);
  // Index addresses of key including this session's pending changes.
  Result<std::vector<net::IpAddress>> index_ips(const std::string& key);
  Result<std::optional<Owner>> owner_of(const net::IpAddress& ip);
  Pending& pending_for(std::string_view id, std::string_view ifname, const std::string& key);

  std::string dir_;
  UniqueFd lock_;  // flock()ed (store_lock.hpp); closing it drops the lock
  UniqueFd dir_fd_;  // dataDir/<network>
  UniqueFd idx_fd_;  // .podnet/by-id
  UniqueFd tmp_fd_;  // an unlinked O_TMPFILE holding tmp_content_, reused across candidates
  std::string tmp_content_;
  bool tmpfile_ok_ = true;
  bool dirty_ = false;      // the mark is not set (was missing, or we changed the directory)
  bool consistent_ = true;  // false after a half-done change: leave the mark unset
  std::map<std::string, Pending> pending_;
  OpenReport report_;
};

}  // namespace podnet::ipam
