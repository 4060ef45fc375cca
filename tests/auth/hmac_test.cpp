// HMAC-SHA256 against the test vectors of RFC 4231 (section 4), on whichever library
// this platform uses (OpenSSL on Linux, CNG on Windows, run under Wine).
#include <gtest/gtest.h>

#include <string>

#include "auth/hmac.h"
#include "tests/auth/hex.h"

namespace hamirror::auth {
namespace {

struct Rfc4231Case {
  const char* name;
  io::Bytes key;
  io::Bytes data;
  std::string hmac_sha256;
};

std::vector<Rfc4231Case> rfc4231_cases() {
  return {
      {"case1", io::Bytes(20, 0x0b), from_hex("4869205468657265"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"case2", from_hex("4a656665"), from_hex("7768617420646f2079612077616e7420666f72206e6f7468696e673f"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"case3", io::Bytes(20, 0xaa), io::Bytes(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"case4", from_hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), io::Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Case 5 tests a truncated output, which this protocol never uses.
      {"case6", io::Bytes(131, 0xaa),
       from_hex("54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"case7", io::Bytes(131, 0xaa),
       from_hex("5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e6420"
                "61206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f2062652068"
                "6173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e"),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(Hmac, matches_every_rfc4231_test_vector) {
  for (const auto& c : rfc4231_cases()) {
    EXPECT_EQ(to_hex(hmac_sha256(c.key, {c.data})), c.hmac_sha256) << c.name;
  }
}

TEST(Hmac, a_message_split_into_parts_has_the_tag_of_the_whole) {
  const auto c = rfc4231_cases().at(4);  // case 6: a key longer than a block
  const io::ByteView data = c.data;
  EXPECT_EQ(to_hex(hmac_sha256(c.key, {data.first(10), io::ByteView(), data.subspan(10)})), c.hmac_sha256);
}

TEST(Hmac, tags_equal_compares_every_byte_and_the_length) {
  Tag a{};
  Tag b{};
  EXPECT_TRUE(tags_equal(a, b));
  b[kTagBytes - 1] = 1;
  EXPECT_FALSE(tags_equal(a, b));
  b = a;
  b[0] = 0x80;
  EXPECT_FALSE(tags_equal(a, b));
  EXPECT_FALSE(tags_equal(a, io::ByteView(b).first(31)));
}

}  // namespace
}  // namespace hamirror::auth
