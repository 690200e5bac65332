#include "podnet/ipam/disk_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "disk_io.hpp"
#include "disk_layout.hpp"
#include "podnet/common/log.hpp"

namespace podnet::ipam {

using net::IpAddress;
using namespace layout;

namespace {
void add_unique(std::vector<IpAddress>& v, const IpAddress& ip) {
  if (std::find(v.begin(), v.end(), ip) == v.end()) v.push_back(ip);
}
}  // namespace

DiskStore::DiskStore(std::string dir, UniqueFd lock, UniqueFd dir_fd, UniqueFd idx_fd)
    : dir_(std::move(dir)),
      lock_(std::move(lock)),
      dir_fd_(std::move(dir_fd)),
      idx_fd_(std::move(idx_fd)) {}

Result<bool> DiskStore::create_record(const std::string& name, std::string_view content) {
  if (tmp_fd_ && tmp_content_ != content) tmp_fd_.reset();
  if (!tmp_fd_ && tmpfile_ok_) {
    UniqueFd fd(::openat(dir_fd_.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    if (fd) {
      PODNET_TRY_VOID(write_all(fd.get(), content));
      tmp_fd_ = std::move(fd);
      tmp_content_ = std::string(content);
    } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
      tmpfile_ok_ = false;  // filesystem without O_TMPFILE
    } else {
      return fail_errno(fmt::format("create temporary file in {}", dir_));
    }
  }
  if (tmp_fd_) {
    // linkat fails with EEXIST when taken: an exclusive create whose content is already there.
    std::string proc = fmt::format("/proc/self/fd/{}", tmp_fd_.get());
    if (::linkat(AT_FDCWD, proc.c_str(), dir_fd_.get(), name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      tmp_fd_.reset();
      return true;
    }
    if (errno == EEXIST) return false;
    if (errno != ENOENT) return fail_errno(fmt::format("link {}/{}", dir_, name));
    tmpfile_ok_ = false;  // no /proc: fall back
    tmp_fd_.reset();
  }
  // host-local's way: exclusive create, then write. Killed in between, an empty file stays
  // that only GC or boot reclaim frees.
  UniqueFd fd(::openat(dir_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == EEXIST) return false;
    return fail_errno(fmt::format("create {}/{}", dir_, name));
  }
  if (auto r = write_all(fd.get(), content); !r) {
    ::unlinkat(dir_fd_.get(), name.c_str(), 0);
    return fail(r.error().context(fmt::format("{}/{}", dir_, name)));
  }
  return true;
}

DiskStore::Pending& DiskStore::pending_for(std::string_view id, std::string_view ifname,
                                           const std::string& key) {
  auto& p = pending_[key];
  p.record.id = std::string(id);
  p.record.ifname = std::string(ifname);
  return p;
}

Result<bool> DiskStore::reserve(std::string_view id, std::string_view ifname, const IpAddress& ip,
                                size_t rangeset) {
  auto key = index_name(id, ifname);
  if (!key)
    return fail(fmt::format("container id '{}' with interface '{}' cannot be indexed", id, ifname));
  auto created = create_record(ip.str(), encode_owner(id, ifname));
  if (!created) {
    consistent_ = false;
    return created;
  }
  if (!*created) return false;
  dirty_ = true;
  pending_for(id, ifname, *key).added.push_back(ip);
  // Only the round-robin position: a failure costs fairness, not correctness.
  if (auto r = io::write_at(dir_fd_.get(), fmt::format("{}{}", kLastReservedPrefix, rangeset),
                            ip.str(), 0644);
      !r)
    log::warn("{}: recording the last reserved address: {}", dir_, r.error().message);
  return true;
}

Result<std::optional<IpAddress>> DiskStore::last_reserved(size_t rangeset) {
  auto text =
      PODNET_TRY(io::read_at(dir_fd_.get(), fmt::format("{}{}", kLastReservedPrefix, rangeset)));
  if (!text) return std::optional<IpAddress>{};
  return IpAddress::parse(trim(*text));  // torn or foreign content: start from the beginning
}

Result<std::optional<IndexRecord>> DiskStore::read_index(const std::string& key) {
  auto text = PODNET_TRY(io::read_at(idx_fd_.get(), key));
  if (!text) return std::optional<IndexRecord>{};
  auto rec = decode_index(*text);
  if (!rec) log::warn("{}/{}/{}: unreadable index file ignored", dir_, kIndexDir, key);
  return rec;
}

Result<std::vector<IpAddress>> DiskStore::index_ips(const std::string& key) {
  std::vector<IpAddress> ips;
  if (auto rec = PODNET_TRY(read_index(key))) ips = rec->ips;
  if (auto it = pending_.find(key); it != pending_.end()) {
    for (const auto& ip : it->second.added) add_unique(ips, ip);
    std::erase_if(ips, [&](const IpAddress& ip) {
      return std::find(it->second.removed.begin(), it->second.removed.end(), ip) !=
             it->second.removed.end();
    });
  }
  return ips;
}

Result<std::optional<Owner>> DiskStore::owner_of(const IpAddress& ip) {
  auto text = PODNET_TRY(io::read_at(dir_fd_.get(), ip.str()));
  if (!text) return std::optional<Owner>{};
  return decode_owner(*text);
}

Result<std::vector<IpAddress>> DiskStore::get_by_id(std::string_view id, std::string_view ifname) {
  std::vector<IpAddress> out;
  // host-local matches "id\r\nifname" and legacy bare-id records alike.
  for (std::string_view ifn : {ifname, std::string_view{}}) {
    auto key = index_name(id, ifn);
    if (!key) continue;
    for (const auto& ip : PODNET_TRY(index_ips(*key))) {
      auto owner = PODNET_TRY(owner_of(ip));
      if (owner && owner->is(id, ifname)) add_unique(out, ip);
    }
  }
  return out;
}

Result<> DiskStore::release_by_id(std::string_view id, std::string_view ifname) {
  // As host-local: the attachment's records, or else legacy records of the id.
  for (std::string_view ifn : {ifname, std::string_view{}}) {
    auto key = index_name(id, ifn);
    if (!key) continue;
    bool found = false;
    for (const auto& ip : PODNET_TRY(index_ips(*key))) {
      auto owner = PODNET_TRY(owner_of(ip));
      if (!owner || !owner->is(id, ifname) || (ifn.empty() && !owner->legacy)) continue;
      auto gone = io::unlink_at(dir_fd_.get(), ip.str());
      if (!gone) {
        consistent_ = false;
        return fail(gone.error());
      }
      dirty_ = true;
      found = true;
    }
    // Address files first, index last: see the header.
    (void)PODNET_TRY(io::unlink_at(idx_fd_.get(), *key));
    pending_.erase(*key);
    if (found) break;
  }
  return {};
}

Result<std::vector<Allocation>> DiskStore::list() {
  std::vector<Allocation> out;
  for (const auto& e : PODNET_TRY(io::list_dir(dir_fd_.get()))) {
    auto ip = record_ip(e);
    if (!ip) continue;
    auto text = PODNET_TRY(io::read_at(dir_fd_.get(), e.name));
    if (!text) continue;  // released meanwhile (cannot happen under the lock)
    out.push_back({*ip, decode_owner(*text)});
  }
  return out;
}

Result<> DiskStore::release(const IpAddress& ip) {
  auto owner = PODNET_TRY(owner_of(ip));
  auto gone = io::unlink_at(dir_fd_.get(), ip.str());
  if (!gone) {
    consistent_ = false;
    return fail(gone.error());
  }
  if (!*gone) return {};
  dirty_ = true;
  if (owner) {
    if (auto key = index_name(owner->id, key_ifname(*owner)))
      pending_for(owner->id, key_ifname(*owner), *key).removed.push_back(ip);
  }
  return {};
}

Result<std::optional<std::vector<DiskStore::Entry>>> DiskStore::inspect(std::string_view id,
                                                                        std::string_view ifname) {
  for (std::string_view ifn : {ifname, std::string_view{}}) {
    auto key = index_name(id, ifn);
    if (!key) continue;
    auto rec = PODNET_TRY(read_index(*key));
    if (!rec || rec->ips.empty()) continue;
    std::vector<Entry> out;
    for (const auto& ip : rec->ips) {
      auto text = PODNET_TRY(io::read_at(dir_fd_.get(), ip.str()));
      Entry e{ip, Held::ok, std::nullopt};
      if (!text) {
        e.state = Held::file_missing;
      } else {
        e.actual = decode_owner(*text);
        if (!e.actual || !e.actual->is(id, ifname)) e.state = Held::other_owner;
      }
      out.push_back(std::move(e));
    }
    return std::optional<std::vector<Entry>>(std::move(out));
  }
  return std::optional<std::vector<Entry>>{};
}

Result<> DiskStore::finish() {
  for (auto& [key, p] : pending_) {
    std::vector<IpAddress> ips;
    auto rec = read_index(key);
    if (!rec) {
      consistent_ = false;
      return fail(rec.error());
    }
    // Entries carried over from the old index are verified; new ones we created ourselves.
    if (*rec) {
      for (const auto& ip : (*rec)->ips) {
        if (std::find(p.removed.begin(), p.removed.end(), ip) != p.removed.end()) continue;
        auto owner = owner_of(ip);
        if (owner && *owner && (*owner)->is(p.record.id, p.record.ifname)) add_unique(ips, ip);
      }
    }
    for (const auto& ip : p.added)
      if (std::find(p.removed.begin(), p.removed.end(), ip) == p.removed.end()) add_unique(ips, ip);
    std::sort(ips.begin(), ips.end());
    Result<> w;
    if (ips.empty()) {
      auto r = io::unlink_at(idx_fd_.get(), key);
      if (!r) w = fail(r.error());
    } else {
      IndexRecord out = p.record;
      out.ips = std::move(ips);
      w = io::write_at(idx_fd_.get(), key, encode_index(out), 0600);
    }
    if (!w) {
      consistent_ = false;
      return w;
    }
  }
  pending_.clear();
  if (!dirty_ || !consistent_) return {};
  const timespec times[2] = {{0, UTIME_OMIT}, kMark};
  if (::futimens(dir_fd_.get(), times) != 0) {
    // Not fatal: without the mark the next command rebuilds the index (slower, still right).
    log::warn("{}: setting the consistency mark: {}", dir_, std::strerror(errno));
    return {};
  }
  dirty_ = false;
  return {};
}

}  // namespace podnet::ipam
