#include "podnet/sys/mac.hpp"

#include <gtest/gtest.h>

#include <set>

using podnet::sys::Mac;

TEST(Mac, ParsesAndFormats) {
  auto m = Mac::parse("AA:bb:0c:D0:ee:0F");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->str(), "aa:bb:0c:d0:ee:0f");
  EXPECT_EQ(m->bytes()[0], 0xaa);
  EXPECT_EQ(m->bytes()[5], 0x0f);
  EXPECT_EQ(Mac::parse(m->str()), m);
}

TEST(Mac, RejectsMalformed) {
  for (const char* bad :
       {"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa-bb-cc-dd-ee-ff", "aa:bb:cc:dd:ee:fg",
        "a:bb:cc:dd:ee:ff0", "aabbccddeeff", " aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff "})
    EXPECT_FALSE(Mac::parse(bad)) << bad;
}

TEST(Mac, Classifies) {
  EXPECT_TRUE(Mac().is_zero());
  EXPECT_FALSE(Mac().is_valid_unicast());
  auto bc = *Mac::parse("ff:ff:ff:ff:ff:ff");
  EXPECT_TRUE(bc.is_broadcast());
  EXPECT_TRUE(bc.is_multicast());
  EXPECT_FALSE(bc.is_valid_unicast());
  EXPECT_TRUE(Mac::parse("01:00:5e:00:00:01")->is_multicast());
  auto uni = *Mac::parse("02:42:ac:11:00:02");
  EXPECT_TRUE(uni.is_valid_unicast());
  EXPECT_TRUE(uni.is_locally_administered());
  EXPECT_FALSE(Mac::parse("00:1b:21:00:00:01")->is_locally_administered());
}

TEST(Mac, FromSeedIsStableLocalUnicast) {
  Mac a = Mac::from_seed("abc123/eth0");
  EXPECT_EQ(a, Mac::from_seed("abc123/eth0"));
  EXPECT_NE(a, Mac::from_seed("abc123/eth1"));
  // Pinned: generated MACs must not change between builds (pods keep their MAC across retries).
  EXPECT_EQ(Mac::from_seed("podnet").str(), "42:35:19:67:b0:bd");  // FNV-1a + splitmix64
  std::set<Mac> seen;
  for (int i = 0; i < 10000; ++i) {
    Mac m = Mac::from_seed("container-" + std::to_string(i));
    EXPECT_TRUE(m.is_valid_unicast());
    EXPECT_TRUE(m.is_locally_administered());
    seen.insert(m);
  }
  EXPECT_EQ(seen.size(), 10000u);
}
