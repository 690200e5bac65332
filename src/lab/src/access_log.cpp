#include "podnet/lab/access_log.hpp"

namespace podnet::lab {

namespace {

// A cursor that never writes past its end.
struct Out {
  char* p;
  char* end;
  void put(char c) {
    if (p < end) *p++ = c;
  }
  void str(std::string_view s) {
    for (char c : s) put(c);
  }
  void num(uint64_t v, int width = 1) {
    char d[20];
    int n = 0;
    do {
      d[n++] = char('0' + v % 10);
      v /= 10;
    } while (v);
    for (int i = n; i < width; ++i) put('0');
    while (n) put(d[--n]);
  }
};

// Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
void civil(int64_t days, int64_t& y, unsigned& m, unsigned& d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = unsigned(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = int64_t(yoe) + era * 400 + (m <= 2);
}

}  // namespace

size_t format_access_line(char* out, size_t cap, int64_t unix_seconds, uint32_t peer_ipv4,
                          uint16_t peer_port, std::string_view request_line, int status) {
  Out o{out, out + cap};
  int64_t days = unix_seconds / 86400, secs = unix_seconds % 86400;
  if (secs < 0) secs += 86400, --days;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil(days, y, m, d);
  o.num(uint64_t(y < 0 ? 0 : y), 4);
  o.put('-');
  o.num(m, 2);
  o.put('-');
  o.num(d, 2);
  o.put('T');
  o.num(uint64_t(secs / 3600), 2);
  o.put(':');
  o.num(uint64_t(secs / 60 % 60), 2);
  o.put(':');
  o.num(uint64_t(secs % 60), 2);
  o.str("Z ");
  for (int shift = 24; shift >= 0; shift -= 8) {
    o.num((peer_ipv4 >> shift) & 0xff);
    o.put(shift ? '.' : ':');
  }
  o.num(peer_port);
  o.str(" \"");
  size_t n = 0;
  for (char c : request_line) {
    if (n++ == 200) break;
    o.put(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
  }
  o.str("\" ");
  o.num(uint64_t(status < 0 ? 0 : status));
  o.put('\n');
  return size_t(o.p - out);
}

}  // namespace podnet::lab
