#include "core/heartbeat_codec.h"

#include <gtest/gtest.h>

#include "io/random.h"

namespace hamirror::core {
namespace {

TEST(HeartbeatCodec, a_heartbeat_survives_encoding_and_decoding) {
  const Heartbeat sent{"node1", 42, 3, true, true, 0xfeedfacecafebeefULL};
  const auto decoded = decode_heartbeat(encode_heartbeat(sent));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, sent);
}

TEST(HeartbeatCodec, every_truncation_is_refused) {
  const io::Bytes encoded = encode_heartbeat({"node-with-a-name", 123456789});
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(decode_heartbeat(io::ByteView(encoded.data(), size)).has_value()) << "truncated to " << size;
  }
}

TEST(HeartbeatCodec, wrong_version_wrong_shape_and_oversized_names_are_refused) {
  const io::Bytes wrong_version = {0x97, 0x02, 0xa1, 'a', 0x01, 0x00, 0xc2, 0xc2, 0x05};  // [2, "a", 1, 0, false, false, 5]
  const io::Bytes not_an_array = {0xa1, 'a'};                                              // "a"
  const io::Bytes four_items = {0x94, 0x01, 0xa1, 'a', 0x01, 0x01};                         // [1, "a", 1, 1]
  const io::Bytes not_a_bool = {0x97, 0x01, 0xa1, 'a', 0x01, 0x00, 0x01, 0xc2, 0x05};       // [1, "a", 1, 0, 1, false, 5]
  io::Bytes long_name = {0x97, 0x01, 0xd9, 200};                                            // str8 of 200 bytes
  long_name.insert(long_name.end(), 200, 'x');
  long_name.insert(long_name.end(), {0x01, 0x00, 0xc2, 0xc2, 0x05});
  EXPECT_FALSE(decode_heartbeat(not_a_bool).has_value());
  EXPECT_FALSE(decode_heartbeat(wrong_version).has_value());
  EXPECT_FALSE(decode_heartbeat(not_an_array).has_value());
  EXPECT_FALSE(decode_heartbeat(four_items).has_value());
  EXPECT_FALSE(decode_heartbeat(long_name).has_value());
}

TEST(HeartbeatCodec, random_bytes_never_crash_the_decoder) {
  io::Prng prng(2024);
  for (int round = 0; round < 20000; ++round) {
    io::Bytes noise(prng.below(48));
    for (auto& byte : noise) byte = static_cast<std::uint8_t>(prng.below(256));
    if (!noise.empty() && prng.chance(1, 2)) noise[0] = 0x97;  // often look like an array of 7
    (void)decode_heartbeat(noise);
  }
  SUCCEED() << "20000 random datagrams decoded or refused without a crash";
}

}  // namespace
}  // namespace hamirror::core
