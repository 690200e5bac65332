#pragma once
// Store URLs and the options they carry; open_store() = parse_store_url() + open_*.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "podnet/store/store.hpp"

namespace podnet::store {

struct SqliteOptions {
  std::string path;                                   // absolute path of the database file
  std::int64_t history = 10000;                       // events kept for watchers (auto-compaction)
  bool sync_full = false;                             // PRAGMA synchronous=FULL (else NORMAL)
  std::chrono::milliseconds busy_timeout{5000};       // wait for other processes' writes
};

struct EtcdEndpoint {
  std::string host;  // name, IPv4, or IPv6 without brackets
  int port = 2379;
  bool operator==(const EtcdEndpoint&) const = default;
};

struct EtcdOptions {
  std::vector<EtcdEndpoint> endpoints;
  bool tls = false;           // https; implied by any of the files below
  std::string cacert;         // CA bundle checking the server (empty: system CAs)
  std::string cert;           // client certificate (PEM) ...
  std::string key;            // ... and its key
  std::chrono::milliseconds timeout{5000};  // per call, across endpoint failover
  // Plain HTTP to a host that is not loopback sends keys, values and passwords in clear:
  // refused unless the URL says insecure=1.
  bool insecure = false;
  std::string user;           // etcd username (auth enabled): with password_file
  std::string password_file;  // absolute path; its first line is the password
  size_t max_answer_bytes = size_t{64} << 20;  // a larger answer is an error, not memory
};

// Whether an etcd endpoint host is loopback (localhost, 127.0.0.0/8, ::1).
bool is_loopback_host(std::string_view host);

using StoreConfig = std::variant<SqliteOptions, EtcdOptions>;

// Parses a store URL; errors name the offending part.
Result<StoreConfig> parse_store_url(std::string_view url);

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& opts);
Result<std::unique_ptr<Store>> open_etcd(const EtcdOptions& opts);

}  // namespace podnet::store
