#include "podnet/nft/element_batch.hpp"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/mman.h>

#include <cassert>
#include <cstring>
#include <new>
#include <utility>

namespace podnet::nft {

namespace {

constexpr int kFlush = 0, kRemove = 1, kAdd = 2;
// The element list is one nested attribute (16-bit length): keep each message well below it.
constexpr size_t kMessageBudget = 48 * 1024;
constexpr size_t kFirstChunk = 4096, kLargestChunk = 1 << 20;
// Chunks from this size on are mapped directly: freeing them returns the pages at once instead
// of leaving holes in the heap (a full sync's batch is several MB).
constexpr size_t kMapFrom = 128 * 1024;
constexpr uint8_t kUdataComment = 0;  // NFTNL_UDATA_SET_ELEM_COMMENT, as nft writes comments
constexpr size_t kNlmsgHdr = NLMSG_ALIGN(sizeof(nlmsghdr));
constexpr size_t kHeader = kNlmsgHdr + NLMSG_ALIGN(sizeof(nfgenmsg));

constexpr size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}
constexpr size_t attr_size(size_t payload) {
  return 4 + align4(payload);
}

size_t comment_len(std::string_view c) {
  return std::min<size_t>(c.size(), 253);  // one length byte, with the NUL
}

// Exact encoded size of one element (NFTA_LIST_ELEM and all it holds).
size_t element_size(const ElementView& e) {
  size_t n = 4 + 4 + attr_size(e.key.size());
  if (!e.key_end.empty()) n += 4 + attr_size(e.key_end.size());
  if (e.verdict) {
    n += 4 + 4 + attr_size(4);
    if (!e.chain.empty()) n += attr_size(e.chain.size() + 1);
  }
  if (!e.data.empty()) n += 4 + attr_size(e.data.size());
  if (!e.comment.empty()) n += attr_size(2 + comment_len(e.comment) + 1);
  return n;
}

size_t header_size(std::string_view set, std::string_view table, bool list) {
  return kHeader + attr_size(set.size() + 1) + attr_size(table.size() + 1) + (list ? 4 : 0);
}

// Attribute writers: `p` moves past what they write; padding is zeroed.
void put_u16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}
void attr(uint8_t*& p, uint16_t type, const void* data, size_t len) {
  put_u16(p, static_cast<uint16_t>(4 + len));
  put_u16(p + 2, type);
  if (len) std::memcpy(p + 4, data, len);
  size_t padded = align4(len);
  if (padded != len) std::memset(p + 4 + len, 0, padded - len);
  p += 4 + padded;
}
void attr_strz(uint8_t*& p, uint16_t type, std::string_view s) {
  put_u16(p, static_cast<uint16_t>(4 + s.size() + 1));
  put_u16(p + 2, type);
  std::memcpy(p + 4, s.data(), s.size());
  size_t padded = align4(s.size() + 1);
  std::memset(p + 4 + s.size(), 0, padded - s.size());
  p += 4 + padded;
}
uint8_t* nest_start(uint8_t*& p, uint16_t type) {
  uint8_t* start = p;
  put_u16(p + 2, static_cast<uint16_t>(type | NLA_F_NESTED));
  p += 4;
  return start;
}
void nest_end(uint8_t* start, const uint8_t* p) {
  put_u16(start, static_cast<uint16_t>(p - start));
}
void value(uint8_t*& p, uint16_t type, std::span<const uint8_t> v) {
  uint8_t* n = nest_start(p, type);
  attr(p, NFTA_DATA_VALUE, v.data(), v.size());
  nest_end(n, p);
}

void write_element(uint8_t*& p, const ElementView& e) {
  uint8_t* el = nest_start(p, NFTA_LIST_ELEM);
  value(p, NFTA_SET_ELEM_KEY, e.key);
  if (!e.key_end.empty()) value(p, NFTA_SET_ELEM_KEY_END, e.key_end);
  if (e.verdict) {
    uint8_t* data = nest_start(p, NFTA_SET_ELEM_DATA);
    uint8_t* verdict = nest_start(p, NFTA_DATA_VERDICT);
    uint32_t code = htonl(static_cast<uint32_t>(*e.verdict));
    attr(p, NFTA_VERDICT_CODE, &code, 4);
    if (!e.chain.empty()) attr_strz(p, NFTA_VERDICT_CHAIN, e.chain);
    nest_end(verdict, p);
    nest_end(data, p);
  }
  if (!e.data.empty()) value(p, NFTA_SET_ELEM_DATA, e.data);
  if (!e.comment.empty()) {
    // Userdata TLV as nft writes it, so `nft list` shows the comment.
    size_t len = comment_len(e.comment);
    uint8_t ud[2 + 254];
    ud[0] = kUdataComment;
    ud[1] = static_cast<uint8_t>(len + 1);
    std::memcpy(ud + 2, e.comment.data(), len);
    ud[2 + len] = 0;
    attr(p, NFTA_SET_ELEM_USERDATA, ud, 2 + len + 1);
  }
  nest_end(el, p);
}

struct Chunk {
  uint8_t* p = nullptr;
  size_t cap = 0, used = 0;
};

Chunk new_chunk(size_t cap) {
  Chunk c;
  c.cap = cap;
  if (cap >= kMapFrom) {
    void* m = ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    c.p = static_cast<uint8_t*>(m);
  } else {
    c.p = new uint8_t[cap];
  }
  return c;
}
void free_chunk(Chunk& c) {
  if (!c.p) return;
  if (c.cap >= kMapFrom)
    ::munmap(c.p, c.cap);
  else
    delete[] c.p;
  c.p = nullptr;
}

}  // namespace

struct EncodedBatch::Stream {
  int phase = kAdd;
  std::string set;
  std::vector<Chunk> chunks;
  size_t msg = SIZE_MAX;  // offset of the open message in chunks.back(); SIZE_MAX: none
  size_t list = 0;        // offset of its element list
  size_t messages = 0;
  ~Stream() {
    for (auto& c : chunks) free_chunk(c);
  }
  Chunk& room(size_t need) {
    if (chunks.empty() || chunks.back().cap - chunks.back().used < need) {
      size_t cap = chunks.empty() ? kFirstChunk : std::min(2 * chunks.back().cap, kLargestChunk);
      chunks.push_back(new_chunk(std::max(cap, need)));
      msg = SIZE_MAX;
    }
    return chunks.back();
  }
};

ElementView ElementView::of(const SetElement& e) {
  return ElementView{e.key, e.key_end, e.data, e.verdict, e.chain, e.comment};
}

EncodedBatch::EncodedBatch(uint16_t family, std::string_view table)
    : family_(family), table_(table) {}
EncodedBatch::EncodedBatch(EncodedBatch&& o) noexcept
    : family_(o.family_),
      table_(std::move(o.table_)),
      streams_(std::move(o.streams_)),
      last_(std::exchange(o.last_, nullptr)),
      elements_(std::exchange(o.elements_, 0)) {
  o.streams_.clear();
}
EncodedBatch& EncodedBatch::operator=(EncodedBatch&& o) noexcept {
  if (this != &o) {
    family_ = o.family_;
    table_ = std::move(o.table_);
    streams_ = std::move(o.streams_);
    o.streams_.clear();
    last_ = std::exchange(o.last_, nullptr);
    elements_ = std::exchange(o.elements_, 0);
  }
  return *this;
}
EncodedBatch::~EncodedBatch() = default;

EncodedBatch::Stream& EncodedBatch::stream(int phase, std::string_view set) {
  if (last_ && last_->phase == phase && last_->set == set) return *last_;
  for (auto& s : streams_)
    if (s->phase == phase && s->set == set) return *(last_ = s.get());
  auto s = std::make_unique<Stream>();
  s->phase = phase;
  s->set = set;
  streams_.push_back(std::move(s));
  return *(last_ = streams_.back().get());
}

namespace {
// A new message of `set` at the end of chunk c; returns the offset of its element list (or of
// its end when it has none).
size_t open_message(Chunk& c, uint16_t type, uint16_t flags, uint16_t family,
                    std::string_view table, std::string_view set, bool list) {
  uint8_t* start = c.p + c.used;
  auto* h = reinterpret_cast<nlmsghdr*>(start);
  h->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | type);
  h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  h->nlmsg_seq = 0;
  h->nlmsg_pid = 0;
  auto* g = reinterpret_cast<nfgenmsg*>(start + kNlmsgHdr);
  g->nfgen_family = static_cast<uint8_t>(family);
  g->version = NFNETLINK_V0;
  g->res_id = 0;
  uint8_t* p = start + kHeader;
  attr_strz(p, NFTA_SET_ELEM_LIST_SET, set);
  attr_strz(p, NFTA_SET_ELEM_LIST_TABLE, table);
  size_t list_off = static_cast<size_t>(p - c.p);
  if (list) {
    uint8_t* l = nest_start(p, NFTA_SET_ELEM_LIST_ELEMENTS);
    nest_end(l, p);
  }
  h->nlmsg_len = static_cast<uint32_t>(p - start);
  c.used = static_cast<size_t>(p - c.p);
  return list_off;
}
}  // namespace

void EncodedBatch::flush(std::string_view set) {
  Stream& s = stream(kFlush, set);
  if (s.messages) return;  // once is enough
  Chunk& c = s.room(header_size(set, table_, false));
  open_message(c, NFT_MSG_DELSETELEM, 0, family_, table_, set, false);
  s.msg = SIZE_MAX;
  ++s.messages;
}

void EncodedBatch::add(std::string_view set, const ElementView& e) {
  put(kAdd, set, e);
}
void EncodedBatch::remove(std::string_view set, const ElementView& e) {
  put(kRemove, set, e);
}

void EncodedBatch::put(int phase, std::string_view set, const ElementView& e) {
  Stream& s = stream(phase, set);
  const size_t n = element_size(e);
  bool fits = false;
  if (s.msg != SIZE_MAX) {
    const Chunk& c = s.chunks.back();
    fits = c.cap - c.used >= n && c.used - s.msg + n <= kMessageBudget;
  }
  if (!fits) {
    Chunk& c = s.room(header_size(set, table_, true) + n);
    s.msg = c.used;
    s.list = open_message(c, phase == kAdd ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
                          phase == kAdd ? NLM_F_CREATE : 0, family_, table_, set, true);
    ++s.messages;
  }
  Chunk& c = s.chunks.back();
  uint8_t* p = c.p + c.used;
  write_element(p, e);
  assert(static_cast<size_t>(p - (c.p + c.used)) == n);
  c.used += n;
  // Lengths kept current: the batch can be read or sent at any time.
  reinterpret_cast<nlmsghdr*>(c.p + s.msg)->nlmsg_len = static_cast<uint32_t>(c.used - s.msg);
  put_u16(c.p + s.list, static_cast<uint16_t>(c.used - s.list));
  ++elements_;
}

template <class F>
void EncodedBatch::each_message(F&& f) const {
  for (int phase : {kFlush, kRemove, kAdd})
    for (const auto& s : streams_) {
      if (s->phase != phase) continue;
      for (const Chunk& c : s->chunks)
        for (size_t off = 0; off < c.used;) {
          auto* h = reinterpret_cast<nlmsghdr*>(c.p + off);
          f(h, *s);
          off += NLMSG_ALIGN(h->nlmsg_len);
        }
    }
}

size_t EncodedBatch::messages() const {
  size_t n = 0;
  for (const auto& s : streams_) n += s->messages;
  return n;
}

size_t EncodedBatch::bytes() const {
  size_t n = 0;
  for (const auto& s : streams_)
    for (const Chunk& c : s->chunks) n += c.used;
  return n;
}

size_t EncodedBatch::number(uint32_t first_seq) {
  size_t n = 0;
  each_message(
      [&](nlmsghdr* h, const Stream&) { h->nlmsg_seq = first_seq + static_cast<uint32_t>(n++); });
  return n;
}

std::vector<std::span<const uint8_t>> EncodedBatch::pieces() const {
  std::vector<std::span<const uint8_t>> out;
  for (int phase : {kFlush, kRemove, kAdd})
    for (const auto& s : streams_)
      if (s->phase == phase)
        for (const Chunk& c : s->chunks)
          if (c.used) out.emplace_back(c.p, c.used);
  return out;
}

std::string_view EncodedBatch::set_of(size_t message) const {
  std::string_view out = "?";
  size_t i = 0;
  each_message([&](nlmsghdr*, const Stream& s) {
    if (i++ == message) out = s.set;
  });
  return out;
}

namespace {
// Attributes in [p, end): f(type without flags, payload, length).
template <class F>
void each_attr(const uint8_t* p, const uint8_t* end, F&& f) {
  while (end - p >= 4) {
    uint16_t len, type;
    std::memcpy(&len, p, 2);
    std::memcpy(&type, p + 2, 2);
    if (len < 4 || len > end - p) return;
    f(static_cast<uint16_t>(type & NLA_TYPE_MASK), p + 4, static_cast<size_t>(len - 4));
    p += align4(len);
  }
}
std::vector<uint8_t> data_value(const uint8_t* p, size_t n) {
  std::vector<uint8_t> out;
  each_attr(p, p + n, [&](uint16_t t, const uint8_t* v, size_t l) {
    if (t == NFTA_DATA_VALUE) out.assign(v, v + l);
  });
  return out;
}
std::string strz(const uint8_t* v, size_t l) {
  std::string s(reinterpret_cast<const char*>(v), l);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}
}  // namespace

ElementBatch EncodedBatch::decode() const {
  ElementBatch out;
  each_message([&](nlmsghdr* h, const Stream& s) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(h) + kHeader;
    const uint8_t* end = reinterpret_cast<const uint8_t*>(h) + h->nlmsg_len;
    const bool add = (h->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM;
    bool listed = false;
    each_attr(p, end, [&](uint16_t t, const uint8_t* v, size_t l) {
      if (t != NFTA_SET_ELEM_LIST_ELEMENTS) return;
      listed = true;
      each_attr(v, v + l, [&](uint16_t, const uint8_t* ev, size_t el) {
        SetElement e;
        e.set = s.set;
        each_attr(ev, ev + el, [&](uint16_t a, const uint8_t* av, size_t al) {
          if (a == NFTA_SET_ELEM_KEY) e.key = data_value(av, al);
          if (a == NFTA_SET_ELEM_KEY_END) e.key_end = data_value(av, al);
          if (a == NFTA_SET_ELEM_DATA)
            each_attr(av, av + al, [&](uint16_t d, const uint8_t* dv, size_t dl) {
              if (d == NFTA_DATA_VALUE) e.data.assign(dv, dv + dl);
              if (d == NFTA_DATA_VERDICT)
                each_attr(dv, dv + dl, [&](uint16_t x, const uint8_t* xv, size_t xl) {
                  if (x == NFTA_VERDICT_CODE && xl == 4) {
                    uint32_t code;
                    std::memcpy(&code, xv, 4);
                    e.verdict = static_cast<int32_t>(ntohl(code));
                  }
                  if (x == NFTA_VERDICT_CHAIN) e.chain = strz(xv, xl);
                });
            });
          if (a == NFTA_SET_ELEM_USERDATA && al >= 2 && av[0] == kUdataComment)
            e.comment = strz(av + 2, std::min<size_t>(av[1], al - 2));
        });
        (add ? out.add : out.remove).push_back(std::move(e));
      });
    });
    if (!add && !listed) out.flush.push_back(s.set);
  });
  return out;
}

}  // namespace podnet::nft
