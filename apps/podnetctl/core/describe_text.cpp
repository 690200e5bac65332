#include "core/describe_text.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "podnet/lab/table.hpp"

namespace podnet::ctl {

void describe_table(std::string& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string l = "  ";
    for (size_t i = 0; i < r.size(); ++i) {
      l += r[i];
      if (i + 1 < r.size()) l.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  }
}

void DescribeText::line(std::string_view label, std::string_view value) {
  out += label;
  if (!value.empty()) {  // kubectl leaves an empty value's line without trailing blanks
    out.append(label.size() < column ? column - label.size() : 2, ' ');
    out += value;
  }
  out += '\n';
}

void DescribeText::labels(std::string_view label, const cluster::Labels& labels) {
  if (labels.empty()) {
    line(label, "<none>");
    return;
  }
  bool first = true;
  for (const auto& [k, v] : labels) {
    line(first ? label : "", fmt::format("{}={}", k, v));
    first = false;
  }
}

std::string event_age(const cluster::Event& e, int64_t now) {
  std::string last = lab::human_age(now - e.last);
  if (e.count <= 1) return last;
  return fmt::format("{} (x{} over {})", last, e.count, lab::human_age(now - e.first));
}

std::string event_from(const cluster::EventSource& s) {
  if (s.component.empty()) return "<unknown>";
  return s.host.empty() ? s.component : s.component + ", " + s.host;
}

void DescribeText::events(const std::vector<cluster::StoredEvent>& events, int64_t now) {
  if (events.empty()) {
    line("Events:", "<none>");
    return;
  }
  out += "Events:\n";
  // kubectl's describe tabwriter: two spaces between columns, rows indented by two.
  std::vector<std::vector<std::string>> rows = {{"Type", "Reason", "Age", "From", "Message"},
                                                {"----", "------", "----", "----", "-------"}};
  for (const auto& se : events) {
    const auto& e = se.event;
    rows.push_back({std::string(cluster::to_string(e.type)), e.reason, event_age(e, now),
                    event_from(e.source), e.message});
  }
  describe_table(out, rows);
}

}  // namespace podnet::ctl

namespace podnet::ctl {

std::string describe_time(int64_t unix_seconds) {
  if (unix_seconds == 0) return "<unknown>";
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace podnet::ctl
