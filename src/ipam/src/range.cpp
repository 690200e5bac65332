#include "podnet/ipam/range.hpp"

namespace podnet::ipam {

bool Range::contains(const net::IpAddress& ip) const {
  return ip.family() == start.family() && start <= ip && ip <= end;
}

bool Range::reserved_address(const net::IpAddress& ip) const {
  if (ip == gateway || ip == subnet.network()) return true;
  return ip.is_v4() && ip == subnet.last();
}

uint64_t Range::allocatable_count() const {
  uint64_t span = net::IpAddress::distance(start, end);
  if (span == UINT64_MAX) return UINT64_MAX;
  uint64_t n = span + 1;
  net::IpAddress skip[3] = {gateway, subnet.network(), subnet.last()};
  const int nskip = subnet.is_v4() ? 3 : 2;
  for (int i = 0; i < nskip; ++i) {
    bool dup = false;
    for (int j = 0; j < i; ++j) dup = dup || skip[j] == skip[i];
    if (!dup && contains(skip[i])) --n;
  }
  return n;
}

bool Range::overlaps(const Range& o) const {
  if (start.family() != o.start.family()) return false;
  return !(end < o.start || o.end < start);
}

const Range* RangeSet::range_for(const net::IpAddress& ip) const {
  for (const auto& r : ranges)
    if (r.contains(ip)) return &r;
  return nullptr;
}

bool RangeSet::overlaps(const RangeSet& o) const {
  for (const auto& a : ranges)
    for (const auto& b : o.ranges)
      if (a.overlaps(b)) return true;
  return false;
}

uint64_t RangeSet::allocatable_count() const {
  uint64_t n = 0;
  for (const auto& r : ranges) {
    uint64_t c = r.allocatable_count();
    if (c > UINT64_MAX - n) return UINT64_MAX;
    n += c;
  }
  return n;
}

std::string RangeSet::str() const {
  std::string s;
  for (const auto& r : ranges) {
    if (!s.empty()) s += ", ";
    s += r.subnet.str();
  }
  return s;
}

RangeIter::RangeIter(const RangeSet& set, const std::optional<net::IpAddress>& last_reserved)
    : set_(set) {
  if (!last_reserved) return;
  for (size_t i = 0; i < set_.ranges.size(); ++i) {
    if (set_.ranges[i].contains(*last_reserved)) {
      idx_ = i;
      cur_ = *last_reserved;  // the first next() yields the address after it
      return;
    }
  }
}

std::optional<RangeIter::Candidate> RangeIter::next() {
  for (;;) {
    if (!cur_) {
      cur_ = set_.ranges[idx_].start;
      first_ = cur_;
    } else {
      if (*cur_ == set_.ranges[idx_].end) {
        idx_ = (idx_ + 1) % set_.ranges.size();
        cur_ = set_.ranges[idx_].start;
      } else {
        cur_ = cur_->next();
      }
      if (!first_)
        first_ = cur_;
      else if (*cur_ == *first_)
        return std::nullopt;  // went all the way round
    }
    const Range& r = set_.ranges[idx_];
    if (r.reserved_address(*cur_)) continue;
    return Candidate{*cur_, &r};
  }
}

}  // namespace podnet::ipam
