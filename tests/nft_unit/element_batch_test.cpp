#include <gtest/gtest.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <memory>

#include "podnet/nft/element_batch.hpp"

namespace podnet::nft {
namespace {

struct SetFree {
  void operator()(nftnl_set* s) const { nftnl_set_free(s); }
};
using SetPtr = std::unique_ptr<nftnl_set, SetFree>;

SetElement elem(std::string set, std::vector<uint8_t> key) {
  SetElement e;
  e.set = std::move(set);
  e.key = std::move(key);
  return e;
}

TEST(EncodedBatch, DecodesToWhatWasAddedInSendOrder) {
  EncodedBatch b(NFPROTO_IPV4, "podnet-svc");
  EXPECT_TRUE(b.empty());
  SetElement verdict = elem("service-ips", {10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0});
  verdict.verdict = NFT_GOTO;
  verdict.chain = "pick-2";
  SetElement mapped = elem("svc-endpoints", {10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0, 1, 0, 0, 0});
  mapped.data = {192, 168, 0, 2, 0x1f, 0x90, 0, 0};
  SetElement interval = elem("ranges", {10, 0, 0, 0});
  interval.key_end = {10, 0, 0, 255};
  interval.comment = "net/abc/eth0";
  SetElement drop = elem("service-ips", {10, 96, 0, 11, 17, 0, 0, 0, 0, 53, 0, 0});
  drop.verdict = NF_DROP;
  // Added in any order: sent as flushes, then removals, then additions.
  b.add(verdict);
  b.remove(mapped);
  b.flush("cluster-ips");
  b.add(interval);
  b.add(drop);
  b.flush("cluster-ips");  // once is enough
  EXPECT_EQ(b.elements(), 4u);
  ElementBatch d = b.decode();
  EXPECT_EQ(d.flush, std::vector<std::string>{"cluster-ips"});
  EXPECT_EQ(d.remove, std::vector<SetElement>{mapped});
  EXPECT_EQ(d.add, (std::vector<SetElement>{verdict, drop, interval}));
  EXPECT_EQ(b.messages(), 4u);  // flush, remove, add service-ips, add ranges
  EXPECT_EQ(b.number(100), 4u);
  EXPECT_EQ(b.set_of(0), "cluster-ips");
  EXPECT_EQ(b.set_of(1), "svc-endpoints");
  EXPECT_EQ(b.set_of(3), "ranges");
  uint32_t seq = 100;
  size_t total = 0;
  for (auto piece : b.pieces()) {
    total += piece.size();
    for (size_t off = 0; off < piece.size();) {
      auto* h = reinterpret_cast<const nlmsghdr*>(piece.data() + off);
      EXPECT_EQ(h->nlmsg_seq, seq++);
      EXPECT_EQ(h->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
      EXPECT_TRUE(h->nlmsg_flags & NLM_F_ACK);
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
  }
  EXPECT_EQ(total, b.bytes());
}

// Many elements: messages stay below the element list's 16-bit length, every one parses with
// libnftnl's own parser (what nft itself reads), and nothing is lost or reordered.
TEST(EncodedBatch, LargeBatchSplitsIntoMessagesLibnftnlParses) {
  EncodedBatch b(NFPROTO_IPV4, "podnet-svc");
  const uint32_t n = 20000;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t key[16] = {
        10, 96, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 6, 0, 0, 0, 0, 80, 0, 0};
    std::memcpy(key + 12, &i, 4);
    uint8_t data[8] = {10, 128, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0x1f, 0x90,
                       0,  0};
    b.add("svc-endpoints", ElementView{key, {}, data, std::nullopt, {}, {}});
  }
  EXPECT_EQ(b.elements(), n);
  EXPECT_GT(b.messages(), 10u);
  uint32_t next = 0;
  for (auto piece : b.pieces())
    for (size_t off = 0; off < piece.size();) {
      auto* h = reinterpret_cast<const nlmsghdr*>(piece.data() + off);
      ASSERT_LT(h->nlmsg_len, 64u * 1024);
      ASSERT_EQ(h->nlmsg_type & 0xff, NFT_MSG_NEWSETELEM);
      SetPtr s(nftnl_set_alloc());
      ASSERT_EQ(nftnl_set_elems_nlmsg_parse(h, s.get()), 0);
      EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_NAME), "svc-endpoints");
      EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE), "podnet-svc");
      nftnl_set_elem_foreach(
          s.get(),
          [](nftnl_set_elem* e, void* d) -> int {
            auto& want = *static_cast<uint32_t*>(d);
            uint32_t len = 0;
            auto* k = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
            uint32_t idx = 0;
            EXPECT_EQ(len, 16u);
            std::memcpy(&idx, k + 12, 4);
            EXPECT_EQ(idx, want);
            auto* v = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len));
            EXPECT_EQ(len, 8u);
            EXPECT_EQ(v[3], static_cast<uint8_t>(want));
            ++want;
            return 0;
          },
          &next);
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
  EXPECT_EQ(next, n);
  EXPECT_EQ(b.decode().add.size(), n);
}

TEST(EncodedBatch, VerdictAndCommentAsLibnftnlReadsThem) {
  EncodedBatch b(NFPROTO_INET, "podnet-cni");
  SetElement e = elem("masq4", {192, 168, 0, 2});
  e.comment = "podnet/0123456789abcdef/eth0";
  b.add(e);
  SetElement v = elem("service-ips", {1, 2, 3, 4});
  v.verdict = NFT_GOTO;
  v.chain = "aff-default/web/tcp/80";
  b.add(v);
  size_t checked = 0;
  for (auto piece : b.pieces()) {
    auto* h = reinterpret_cast<const nlmsghdr*>(piece.data());
    SetPtr s(nftnl_set_alloc());
    ASSERT_EQ(nftnl_set_elems_nlmsg_parse(h, s.get()), 0);
    nftnl_set_elem_foreach(
        s.get(),
        [](nftnl_set_elem* el, void* d) -> int {
          ++*static_cast<size_t*>(d);
          if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_CHAIN)) {
            EXPECT_EQ(static_cast<int32_t>(nftnl_set_elem_get_u32(el, NFTNL_SET_ELEM_VERDICT)),
                      NFT_GOTO);
            EXPECT_STREQ(nftnl_set_elem_get_str(el, NFTNL_SET_ELEM_CHAIN),
                         "aff-default/web/tcp/80");
          } else {
            EXPECT_TRUE(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_USERDATA));
          }
          return 0;
        },
        &checked);
  }
  EXPECT_EQ(checked, 2u);
  EXPECT_EQ(b.decode().add, (std::vector<SetElement>{e, v}));
}

TEST(EncodedBatch, MovedFromIsEmptyAndReusable) {
  EncodedBatch a(NFPROTO_IPV4, "t");
  a.add(elem("s", {1, 2, 3, 4}));
  EncodedBatch b = std::move(a);
  EXPECT_EQ(b.elements(), 1u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  a = EncodedBatch(NFPROTO_IPV4, "t");
  a.add(elem("s", {5, 6, 7, 8}));
  EXPECT_EQ(a.decode().add.size(), 1u);
  EXPECT_EQ(b.decode().add, std::vector<SetElement>{elem("s", {1, 2, 3, 4})});
}

}  // namespace
}  // namespace podnet::nft
