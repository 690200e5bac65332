// Watching a sqlite store: the event log read from the last delivered revision, woken by
// inotify on the store's notify file (writers touch it after every commit that changed
// something, in any process). A 1 s re-check is only the safety net for a lost wake-up.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "keys.hpp"
#include "podnet/common/trusted_dir.hpp"
#include "podnet/common/unique_fd.hpp"
#include "sqlite_store.hpp"

namespace podnet::store::sqlite {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kSafetyNet{1000};
constexpr int kBatch = 1000;           // events per query
constexpr size_t kMaxEvents = 100000;  // per next(): more than the default history (10000)
constexpr uint32_t kMask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;

class SqliteWatcher final : public Watcher {
 public:
  SqliteWatcher(Conn conn, UniqueFd in, std::string notify, std::string prefix, Revision after)
      : conn_(std::move(conn)),
        inotify_(std::move(in)),
        notify_path_(std::move(notify)),
        lo_(std::move(prefix)),
        hi_(prefix_end(lo_)),
        last_(after) {}

  Result<> arm() {
    // The notify file may have been removed by hand; recreate it so writers find it again.
    (void)PODNET_TRY(open_owned_file(notify_path_, O_RDWR));
    if (::inotify_add_watch(inotify_.get(), notify_path_.c_str(), kMask) < 0)
      return fail_errno(fmt::format("inotify_add_watch {}", notify_path_));
    return {};
  }

  Result<WatchResult> next(milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      drain();
      auto r = PODNET_TRY(collect());
      if (!r.events.empty() || r.compacted) return r;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return r;
      auto wait = std::min<milliseconds>(
          std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1), kSafetyNet);
      if (auto due = PODNET_TRY(conn_.next_expiry()))  // wake up to reap an expiring lease
        wait = std::clamp<milliseconds>(milliseconds(*due - now_ms() + 1), milliseconds(0), wait);
      pollfd p{inotify_.get(), POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(wait.count()));
      if (n < 0 && errno != EINTR) return fail_errno("poll inotify");
    }
  }

  int fd() const override { return inotify_.get(); }
  Revision revision() const override { return last_; }

 private:
  void drain() {
    alignas(inotify_event) char buf[4096];
    bool rearm = false;
    for (;;) {
      ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) rearm = true;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    if (rearm) (void)arm();  // on failure the safety net still re-checks every second
  }

  Result<WatchResult> collect() {
    WatchResult out;
    if (compacted_) {
      out.compacted = true;
      out.compact_revision = compacted_at_;
      return out;
    }
    return conn_.read([&]() -> Result<WatchResult> {
      Revision compact = PODNET_TRY(conn_.compact_revision());
      if (last_ < compact) {
        compacted_ = true;
        compacted_at_ = out.compact_revision = compact;
        out.compacted = true;
        return out;
      }
      // Everything pending in one answer, read in batches. The wake-up (inotify) was drained
      // above, so events left for a later call would wait for the next write or the caller's
      // timeout: podnetd took 1000 of 3000 new Services per pass, then waited 1 s.
      Revision current = PODNET_TRY(conn_.revision());
      for (Revision from = last_;;) {
        auto rows = PODNET_TRY(conn_.events_after(from, lo_, hi_, kBatch));
        for (auto& [rev, ev] : rows) out.events.push_back(std::move(ev));
        if (static_cast<int>(rows.size()) < kBatch) {
          last_ = std::max(last_, current);  // everything up to `current` is seen
          break;
        }
        from = rows.back().first;
        if (out.events.size() >= kMaxEvents) {  // only with a history option far above it
          last_ = from;
          break;
        }
      }
      return out;
    });
  }

  Conn conn_;
  UniqueFd inotify_;
  std::string notify_path_;
  std::string lo_, hi_;
  Revision last_;
  bool compacted_ = false;
  Revision compacted_at_ = 0;
};

}  // namespace

Result<std::unique_ptr<Watcher>> make_watcher(const SqliteOptions& opts, std::string_view prefix,
                                              Revision after) {
  auto conn = PODNET_TRY(Conn::open(opts));
  UniqueFd in(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!in) return fail_errno("inotify_init1");
  auto w = std::make_unique<SqliteWatcher>(std::move(conn), std::move(in), notify_path(opts.path),
                                           std::string(prefix), after);
  PODNET_TRY_VOID(w->arm());
  return std::unique_ptr<Watcher>(std::move(w));
}

}  // namespace podnet::store::sqlite
