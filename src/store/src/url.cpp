// Store URL parsing: scheme, sqlite path or etcd endpoint list, query options.
#include "podnet/store/url.hpp"

#include <cctype>
#include <charconv>

namespace podnet::store {
namespace {

constexpr std::string_view kUsage = "expected sqlite:///path or etcd://host:port[,host:port]";

Result<std::string> percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= s.size())
      return fail(fmt::format("{}: truncated %-escape in \"{}\"", what, s));
    auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (r.ec != std::errc{} || r.ptr != s.data() + i + 3)
      return fail(fmt::format("{}: bad %-escape in \"{}\"", what, s));
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

template <typename T>
Result<T> parse_number(std::string_view s, T lo, T hi, std::string_view what) {
  T v{};
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size() || v < lo || v > hi)
    return fail(fmt::format("{} \"{}\": expected a number from {} to {}", what, s, lo, hi));
  return v;
}

Result<bool> parse_bool(std::string_view s, std::string_view what) {
  if (s == "1" || s == "true" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "no") return false;
  return fail(fmt::format("{} \"{}\": expected true or false", what, s));
}

struct Option {
  std::string name;
  std::string value;
};

Result<std::vector<Option>> parse_query(std::string_view q) {
  std::vector<Option> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return fail(fmt::format("query option \"{}\": expected name=value", item));
    Option o{std::string(item.substr(0, eq)), ""};
    o.value = PODNET_TRY(percent_decode(item.substr(eq + 1), fmt::format("option {}", o.name)));
    out.push_back(std::move(o));
  }
  return out;
}

Result<SqliteOptions> parse_sqlite(std::string_view rest, const std::vector<Option>& opts) {
  // rest is what follows "sqlite://": an empty authority then an absolute path.
  if (rest.empty() || rest[0] != '/')
    return fail(fmt::format("sqlite path \"{}\": expected sqlite:///absolute/path (three slashes)",
                            rest));
  SqliteOptions o;
  o.path = PODNET_TRY(percent_decode(rest, "sqlite path"));
  if (o.path.size() < 2 || o.path.back() == '/')
    return fail(fmt::format("sqlite path \"{}\": names no file", o.path));
  for (const auto& [name, value] : opts) {
    if (name == "history") {
      o.history = PODNET_TRY(parse_number<std::int64_t>(value, 1, 1'000'000'000, "option history"));
    } else if (name == "sync") {
      if (value != "full" && value != "normal")
        return fail(fmt::format("option sync \"{}\": expected full or normal", value));
      o.sync_full = value == "full";
    } else if (name == "busy_timeout_ms") {
      o.busy_timeout = std::chrono::milliseconds(
          PODNET_TRY(parse_number<int>(value, 0, 3'600'000, "option busy_timeout_ms")));
    } else {
      return fail(fmt::format("unknown sqlite option \"{}\" (known: history, sync, busy_timeout_ms)",
                              name));
    }
  }
  return o;
}

Result<EtcdEndpoint> parse_endpoint(std::string_view s) {
  if (s.empty()) return fail("etcd endpoint \"\": empty (stray comma?)");
  EtcdEndpoint ep;
  std::string_view port;
  if (s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos)
      return fail(fmt::format("etcd endpoint \"{}\": unclosed [", s));
    ep.host = std::string(s.substr(1, close - 1));
    std::string_view after = s.substr(close + 1);
    if (after.empty() || after[0] != ':')
      return fail(fmt::format("etcd endpoint \"{}\": expected [host]:port", s));
    port = after.substr(1);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos)
      return fail(fmt::format("etcd endpoint \"{}\": expected host:port", s));
    ep.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
    if (ep.host.find(':') != std::string::npos)
      return fail(fmt::format("etcd endpoint \"{}\": write IPv6 addresses as [addr]:port", s));
  }
  if (ep.host.empty()) return fail(fmt::format("etcd endpoint \"{}\": empty host", s));
  for (char c : ep.host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_'))
      return fail(fmt::format("etcd endpoint \"{}\": bad character '{}' in host", s, c));
  auto p = parse_number<int>(port, 1, 65535, fmt::format("etcd endpoint \"{}\": port", s));
  if (!p) return fail(p.error());
  ep.port = *p;
  return ep;
}

Result<EtcdOptions> parse_etcd(std::string_view rest, const std::vector<Option>& opts) {
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/")
      return fail(fmt::format("etcd URL path \"{}\": etcd URLs take no path", rest.substr(slash)));
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) return fail("etcd URL has no endpoints: expected etcd://host:port[,host:port]");
  EtcdOptions o;
  while (true) {
    auto comma = rest.find(',');
    o.endpoints.push_back(PODNET_TRY(parse_endpoint(rest.substr(0, comma))));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  for (const auto& [name, value] : opts) {
    if (name == "cacert") {
      o.cacert = value;
    } else if (name == "cert") {
      o.cert = value;
    } else if (name == "key") {
      o.key = value;
    } else if (name == "tls") {
      o.tls = PODNET_TRY(parse_bool(value, "option tls"));
    } else if (name == "timeout_ms") {
      o.timeout = std::chrono::milliseconds(
          PODNET_TRY(parse_number<int>(value, 1, 3'600'000, "option timeout_ms")));
    } else if (name == "insecure") {
      o.insecure = PODNET_TRY(parse_bool(value, "option insecure"));
    } else if (name == "user") {
      if (value.empty() || value.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
        return fail("option user: expected a non-empty name without control characters");
      o.user = value;
    } else if (name == "password-file" || name == "password_file") {
      o.password_file = value;
    } else if (name == "max_answer_mb") {
      o.max_answer_bytes =
          size_t(PODNET_TRY(parse_number<int>(value, 1, 4096, "option max_answer_mb"))) << 20;
    } else {
      return fail(fmt::format("unknown etcd option \"{}\" (known: cacert, cert, key, tls, "
                              "timeout_ms, insecure, user, password-file, max_answer_mb)",
                              name));
    }
  }
  for (auto* f : {&o.cacert, &o.cert, &o.key})
    if (!f->empty() && (*f)[0] != '/')
      return fail(fmt::format("TLS file \"{}\": expected an absolute path", *f));
  if (!o.password_file.empty() && o.password_file[0] != '/')
    return fail(fmt::format("password file \"{}\": expected an absolute path", o.password_file));
  if (o.cert.empty() != o.key.empty())
    return fail("options cert and key: give both (client certificate and its key) or neither");
  if (o.user.empty() != o.password_file.empty())
    return fail("options user and password-file: give both or neither");
  if (!o.cacert.empty() || !o.cert.empty()) o.tls = true;
  if (!o.tls && !o.insecure)
    for (const auto& ep : o.endpoints)
      if (!is_loopback_host(ep.host))
        return fail(fmt::format(
            "etcd endpoint {}:{} is not loopback and the URL asks for no TLS: plain HTTP would "
            "carry the cluster's data{} in clear (give cacert=/cert=/key= or tls=1, or "
            "insecure=1 to accept that)",
            ep.host, ep.port, o.user.empty() ? "" : " and the etcd password"));
  return o;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  // 127.0.0.0/8 written as a dotted quad (a name that merely starts with "127." is not).
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return dots == 3;
}

Result<StoreConfig> parse_store_url(std::string_view url) {
  auto wrap = [&](Error e) { return fail(e.context(fmt::format("store URL \"{}\"", url))); };
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return wrap(Error::msg(fmt::format("no scheme: {}", kUsage)));
  std::string_view scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto opts = parse_query(query);
  if (!opts) return wrap(opts.error());
  if (scheme == "sqlite") {
    auto r = parse_sqlite(rest, *opts);
    if (!r) return wrap(r.error());
    return StoreConfig{std::move(*r)};
  }
  if (scheme == "etcd") {
    auto r = parse_etcd(rest, *opts);
    if (!r) return wrap(r.error());
    return StoreConfig{std::move(*r)};
  }
  return wrap(Error::msg(fmt::format("unknown scheme \"{}\": {}", scheme, kUsage)));
}

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  auto cfg = PODNET_TRY(parse_store_url(url));
  if (auto* s = std::get_if<SqliteOptions>(&cfg)) return open_sqlite(*s);
  return open_etcd(std::get<EtcdOptions>(cfg));
}

}  // namespace podnet::store
