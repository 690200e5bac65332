// Watching etcd: a thread keeps one streaming POST /v3/watch open (curl multi, so it can be
// woken to stop), splits the stream into JSON messages and queues the events; the consumer
// waits on an eventfd. When the stream breaks (member down, network) the thread reconnects,
// trying the endpoints in turn with backoff, from the last revision it saw + 1. etcd's
// compaction answer (canceled with compact_revision) ends the watch with `compacted`.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <thread>

#include "etcd_json.hpp"
#include "etcd_store.hpp"
#include "json_stream.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::store::etcd {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
constexpr size_t kBatch = 1000;

class EtcdWatcher final : public Watcher {
 public:
  EtcdWatcher(std::shared_ptr<Http> http, std::string prefix, Revision after)
      : http_(std::move(http)), prefix_(std::move(prefix)), seen_(after), delivered_(after),
        efd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), multi_(curl_multi_init()) {}

  ~EtcdWatcher() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (multi_) curl_multi_wakeup(multi_);
    if (thread_.joinable()) thread_.join();
    if (multi_) curl_multi_cleanup(multi_);
  }

  // Starts the stream thread; succeeds once etcd has accepted the watch (or answered that
  // the revision is compacted).
  Result<> start() {
    if (!efd_ || !multi_) return fail("etcd watch: eventfd or curl_multi_init failed");
    thread_ = std::thread([this] { run(); });
    std::unique_lock lk(mu_);
    bool ok = cv_.wait_for(lk, http_->options().timeout, [&] { return ready_ || fatal_; });
    if (fatal_) return fail(*fatal_);
    if (!ok)
      return fail(fmt::format("etcd watch {}: no endpoint accepted the watch within {} ms ({})",
                              prefix_, http_->options().timeout.count(), last_error_));
    return {};
  }

  Result<WatchResult> next(milliseconds timeout) override {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lk(mu_);
        WatchResult r;
        if (!queue_.empty()) {
          size_t n = std::min(queue_.size(), kBatch);
          r.events.assign(std::make_move_iterator(queue_.begin()),
                          std::make_move_iterator(queue_.begin() + static_cast<long>(n)));
          queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
          delivered_ = std::max(delivered_, r.events.back().kv.mod_revision);
          if (queue_.empty()) delivered_ = std::max(delivered_, seen_);
          if (queue_.empty()) clear_efd();
          return r;
        }
        clear_efd();
        delivered_ = std::max(delivered_, seen_);
        if (compacted_) {
          r.compacted = true;
          r.compact_revision = compact_revision_;
          return r;
        }
        if (fatal_) return fail(*fatal_);
      }
      auto now = Clock::now();
      if (now >= deadline) return WatchResult{};
      auto wait = std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1);
      pollfd p{efd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<long>(wait.count(), 60'000))) < 0 && errno != EINTR)
        return fail_errno("etcd watch: poll");
    }
  }

  int fd() const override { return efd_.get(); }
  Revision revision() const override {
    std::lock_guard lk(mu_);
    return delivered_;
  }

 private:
  void clear_efd() {
    uint64_t v;
    (void)!::read(efd_.get(), &v, sizeof v);
  }
  void signal() {  // with mu_ held
    uint64_t one = 1;
    (void)!::write(efd_.get(), &one, sizeof one);
    cv_.notify_all();
  }

  void run() {
    const size_t n = http_->options().endpoints.size();
    size_t ep = http_->preferred();
    milliseconds backoff{50};
    for (;;) {
      bool got_answer = stream(ep);
      std::unique_lock lk(mu_);
      if (stop_ || compacted_ || fatal_) return;
      if (got_answer) backoff = milliseconds(50);
      log::debug("etcd watch {}: stream to {} ended ({}); reconnecting from revision {}", prefix_,
                 http_->endpoint_name(ep), last_error_, seen_ + 1);
      ep = (ep + 1) % n;  // a broken stream: try the next member (the same one if alone)
      cv_.wait_for(lk, backoff, [&] { return stop_; });
      if (stop_) return;
      backoff = std::min(backoff * 2, milliseconds(1000));
    }
  }

  struct StreamCtx {
    EtcdWatcher* self;
    CURL* h;
    JsonSplitter split;
    size_t max_bytes;
    long status = 0;
    std::string error_body;
    char errbuf[CURL_ERROR_SIZE] = "";
    bool got_answer = false;
    bool abort = false;
  };

  // libcurl's write callback: nothing may escape it, so every failure ends the stream with a
  // reason, and the reconnect loop takes it from there.
  static size_t on_data(char* data, size_t size, size_t nmemb, void* p) noexcept {
    auto* ctx = static_cast<StreamCtx*>(p);
    size_t len = size * nmemb;
    try {
      if (ctx->status == 0) curl_easy_getinfo(ctx->h, CURLINFO_RESPONSE_CODE, &ctx->status);
      if (ctx->status != 200) {
        ctx->error_body.append(data, std::min<size_t>(len, 512 - std::min<size_t>(512, ctx->error_body.size())));
        return len;
      }
      bool fits = ctx->split.feed(std::string_view(data, len), [&](const std::string& msg) {
        if (!ctx->abort) ctx->abort = !ctx->self->handle(msg, *ctx);
      });
      if (!fits) {
        ctx->self->stream_error(fmt::format("watch message larger than {} bytes", ctx->max_bytes));
        ctx->abort = true;
      }
    } catch (const std::exception& e) {
      ctx->self->stream_error(fmt::format("watch message: {}", e.what()));
      ctx->abort = true;
    }
    return ctx->abort ? 0 : len;  // 0 ends the transfer
  }

  void stream_error(std::string why) {
    std::lock_guard lk(mu_);
    last_error_ = std::move(why);
  }

  // One message from the stream; false ends the stream (the reason in last_error_).
  bool handle(const std::string& text, StreamCtx& ctx) {
    auto msg = parse_json_bounded(text, json_default_max_depth, ctx.max_bytes, "etcd watch message");
    std::lock_guard lk(mu_);
    if (!msg || !msg->is_object()) {
      last_error_ = msg ? "watch message is not a JSON object" : msg.error().message;
      return false;
    }
    auto r = apply(*msg, ctx);
    if (!r) {
      last_error_ = r.error().message;
      if (r.error().is(ErrorKind::unauthenticated)) reauth_ = true;
      return false;
    }
    return *r;
  }

  // With mu_ held: takes in one parsed message; every field is type-checked.
  Result<bool> apply(const json& msg, StreamCtx& ctx) {
    if (auto err = msg.find("error"); err != msg.end()) {
      std::string shown = err->dump();
      ErrorKind kind = ErrorKind::other;
      if (err->is_object()) {
        auto code = i64(*err, "http_code");
        auto grpc = i64(*err, "grpc_code");
        auto text = str(*err, "message");
        kind = classify(code ? *code : 0, grpc ? int(*grpc) : 0, text ? *text : "").kind;
      }
      return fail(kind, shown.substr(0, 300));
    }
    const json* res_p = PODNET_TRY(object(msg, "result"));
    static const json kEmpty = json::object();
    const json& res = res_p ? *res_p : kEmpty;
    ctx.got_answer = true;
    if (Revision c = PODNET_TRY(i64(res, "compact_revision")); c > 0) {
      compacted_ = true;
      compact_revision_ = c;
      ready_ = true;
      signal();
      return false;
    }
    bool created = PODNET_TRY(flag(res, "created"));
    if (PODNET_TRY(flag(res, "canceled"))) {
      std::string reason = PODNET_TRY(str(res, "cancel_reason"));
      // etcd cancels a watch whose token it no longer knows (it restarted): the reason is a
      // rendered gRPC status, "rpc error: code = Unauthenticated desc = ...". Authenticate
      // again and reconnect instead of ending the watch.
      if (reason.starts_with("rpc error: code = Unauthenticated "))
        return fail(ErrorKind::unauthenticated, "watch canceled by etcd: " + reason);
      fatal_ = Error::msg(fmt::format("etcd watch {}: canceled by etcd: {}", prefix_,
                                      reason.empty() ? "no reason given" : reason));
      signal();
      return false;
    }
    const json* header = PODNET_TRY(object(res, "header"));
    Revision header_rev = header ? PODNET_TRY(i64(*header, "revision")) : 0;
    const json* events = PODNET_TRY(array(res, "events"));
    // Decode every event before queueing any: a bad one drops the whole message, and the
    // reconnect resumes from the last revision queued.
    std::vector<Event> batch;
    if (events) {
      batch.reserve(events->size());
      for (const auto& e : *events) {
        Event ev;
        std::string type = PODNET_TRY(str(e, "type"));
        if (!type.empty() && type != "PUT" && type != "DELETE")
          return fail(ErrorKind::invalid_answer, fmt::format("watch event of type \"{}\"", type));
        ev.type = type == "DELETE" ? Event::Type::del : Event::Type::put;
        const json* kv = PODNET_TRY(object(e, "kv"));
        if (!kv) return fail(ErrorKind::invalid_answer, "watch event without kv");
        ev.kv = PODNET_TRY(to_kv(*kv));
        if (const json* prev = PODNET_TRY(object(e, "prev_kv"))) ev.prev = PODNET_TRY(to_kv(*prev));
        batch.push_back(std::move(ev));
      }
    }
    if (created) {
      http_->set_preferred(current_ep_);
      if (!ready_) {
        ready_ = true;
        cv_.notify_all();
      }
    }
    if (batch.empty()) {
      // A progress notification: everything up to the header revision has been sent. The
      // creation answer carries the current revision too, but history may still follow it.
      if (!created) seen_ = std::max(seen_, header_rev);
      return true;
    }
    for (auto& ev : batch) {
      // Already queued before a reconnect. (Several events may share a revision: a lease
      // revocation deletes all its keys in one.)
      if (ev.kv.mod_revision < stream_from_) continue;
      seen_ = std::max(seen_, ev.kv.mod_revision);
      queue_.push_back(std::move(ev));
    }
    signal();
    return true;
  }

  // One streaming request; returns whether etcd answered at all.
  bool stream(size_t ep) {
    CURL* h = curl_easy_init();
    if (!h) return false;
    Revision from;
    {
      std::lock_guard lk(mu_);
      from = stream_from_ = seen_ + 1;
      current_ep_ = ep;
    }
    json create = prefix_range(prefix_);
    create["start_revision"] = std::to_string(from);
    create["prev_kv"] = true;
    create["progress_notify"] = true;
    const std::string body = json{{"create_request", create}}.dump();
    const std::string target = http_->url(ep, "/v3/watch");
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    bool reauth = false;
    {
      std::lock_guard lk(mu_);
      reauth = std::exchange(reauth_, false);
    }
    auto tok = reauth ? http_->refresh_token(token_) : http_->token();
    if (!tok) {
      curl_slist_free_all(headers);
      curl_easy_cleanup(h);
      std::lock_guard lk(mu_);
      last_error_ = tok.error().message;
      return false;
    }
    token_ = *tok;
    if (!token_.empty()) headers = curl_slist_append(headers, ("Authorization: " + token_).c_str());
    StreamCtx ctx{this, h, JsonSplitter(http_->options().max_answer_bytes),
                  http_->options().max_answer_bytes};
    http_->setup(h);
    curl_easy_setopt(h, CURLOPT_URL, target.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ctx);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ctx.errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<long>(http_->options().timeout.count(), 1500)));
    curl_multi_add_handle(multi_, h);
    CURLcode result = CURLE_OK;
    for (;;) {
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_, &left))
        if (m->msg == CURLMSG_DONE) result = m->data.result;
      if (running == 0) break;
      {
        std::lock_guard lk(mu_);
        if (stop_) break;
      }
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    curl_multi_remove_handle(multi_, h);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    std::lock_guard lk(mu_);
    if (ctx.status == 401) {  // the token expired: authenticate again on the next stream
      last_error_ = fmt::format("HTTP 401: {}", ctx.error_body);
      reauth_ = true;
    } else if (ctx.status != 0 && ctx.status != 200) {
      last_error_ = fmt::format("HTTP {}: {}", ctx.status, ctx.error_body);
      if (ctx.status >= 400 && ctx.status < 500) {  // our request is wrong: retrying won't help
        fatal_ = Error::msg(fmt::format("etcd watch {}: {}", prefix_, last_error_));
        signal();
      }
    } else if (result != CURLE_OK && result != CURLE_WRITE_ERROR) {
      last_error_ = fmt::format("{}: {}", http_->endpoint_name(ep),
                                ctx.errbuf[0] ? ctx.errbuf : curl_easy_strerror(result));
    } else if (result == CURLE_OK) {
      last_error_ = fmt::format("{}: stream closed by etcd", http_->endpoint_name(ep));
    }
    return ctx.got_answer;
  }

  std::shared_ptr<Http> http_;
  std::string prefix_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> queue_;
  Revision seen_;        // stream position: every event up to here is queued (or irrelevant)
  Revision delivered_;   // what next() has handed out
  bool ready_ = false, compacted_ = false, stop_ = false;
  Revision compact_revision_ = 0;
  std::optional<Error> fatal_;
  std::string last_error_ = "not connected yet";
  size_t current_ep_ = 0;
  Revision stream_from_ = 0;  // start_revision of the current stream
  bool reauth_ = false;       // etcd refused the token: get a new one before reconnecting
  std::string token_;         // the stream thread's copy of the auth token
  UniqueFd efd_;
  CURLM* multi_;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Watcher>> make_watcher(std::shared_ptr<Http> http, std::string_view prefix,
                                              Revision after) {
  curl_init_once();
  auto w = std::make_unique<EtcdWatcher>(std::move(http), std::string(prefix), after);
  PODNET_TRY_VOID(w->start());
  return std::unique_ptr<Watcher>(std::move(w));
}

}  // namespace podnet::store::etcd
