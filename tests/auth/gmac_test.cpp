// GMAC (AES-256-GCM, additional data only) on whichever library this platform uses
// (OpenSSL on Linux, CNG on Windows, run under Wine): the same vectors on both is what
// lets a Linux node and a Windows node read each other's records.
#include <gtest/gtest.h>

#include <string>

#include "auth/gmac.h"
#include "auth/record.h"
#include "tests/auth/hex.h"

namespace hamirror::auth {
namespace {

GmacKey counting_key() {
  GmacKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  return key;
}

// Nonce 01 000000 0000000000000005: a client-to-server record number 5 (record.h).
constexpr GmacNonce kRecordFiveNonce = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};

TEST(Gmac, matches_the_gcm_specification_for_an_empty_message) {
  // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 13: a zero
  // 256-bit key, a zero nonce, no plaintext and no additional data.
  Gmac gmac(GmacKey{});
  EXPECT_EQ(to_hex(gmac.tag(GmacNonce{}, {})), "530f8afbc74536b9a963b4f1c4cb738b");
}

TEST(Gmac, matches_an_independent_implementation_for_additional_data) {
  // The expected tags are from Python's cryptography package (AESGCM.encrypt with an
  // empty plaintext and the message as associated data).
  Gmac gmac(counting_key());
  const io::Bytes record_bytes = {0, 0, 0, 7, 'p', 'a', 'y', 'l', 'o', 'a', 'd'};
  EXPECT_EQ(to_hex(gmac.tag(kRecordFiveNonce, record_bytes)), "f4e77629f58234c7e59a2aa65c5bf255");
  io::Bytes long_message(70000);
  for (std::size_t i = 0; i < long_message.size(); ++i) long_message[i] = static_cast<std::uint8_t>(i % 251);
  EXPECT_EQ(to_hex(gmac.tag(kRecordFiveNonce, long_message)), "4e0b35aa49b6bac3ace1afa579b9babb");
  EXPECT_EQ(to_hex(gmac.tag(kRecordFiveNonce, record_bytes)), "f4e77629f58234c7e59a2aa65c5bf255")
      << "a key object gives the same tag again after other messages";
}

TEST(Gmac, the_tag_depends_on_key_nonce_and_every_byte) {
  Gmac gmac(counting_key());
  const io::Bytes message(100, 0x5a);
  const GmacTag tag = gmac.tag(kRecordFiveNonce, message);
  GmacNonce other_nonce = kRecordFiveNonce;
  other_nonce[11] = 6;
  EXPECT_NE(gmac.tag(other_nonce, message), tag);
  GmacKey other_key = counting_key();
  other_key[31] ^= 1;
  EXPECT_NE(Gmac(other_key).tag(kRecordFiveNonce, message), tag);
  for (std::size_t i = 0; i < message.size(); ++i) {
    auto changed = message;
    changed[i] ^= 0x80;
    EXPECT_NE(gmac.tag(kRecordFiveNonce, changed), tag) << "byte " << i;
  }
  EXPECT_NE(gmac.tag(kRecordFiveNonce, io::ByteView(message).first(99)), tag) << "a shorter message";
}

TEST(Gmac, a_message_in_parts_has_the_tag_of_the_parts_joined) {
  Gmac gmac(counting_key());
  const io::Bytes record_bytes = {0, 0, 0, 7, 'p', 'a', 'y', 'l', 'o', 'a', 'd'};
  const io::ByteView whole = record_bytes;
  EXPECT_EQ(to_hex(gmac.tag(kRecordFiveNonce, {whole.first(4), whole.subspan(4, 3), {}, whole.subspan(7)})),
            "f4e77629f58234c7e59a2aa65c5bf255");
  EXPECT_EQ(to_hex(gmac.tag(kRecordFiveNonce, {{}, whole, {}})), "f4e77629f58234c7e59a2aa65c5bf255");
  EXPECT_NE(gmac.tag(kRecordFiveNonce, {whole.first(4), whole.subspan(5)}), gmac.tag(kRecordFiveNonce, whole))
      << "a byte left out between the parts";
}

TEST(Gmac, a_record_framed_around_its_payload_is_the_record_sealed_whole) {
  Gmac record_key(counting_key());
  const RecordFraming framing = frame_record(record_key, Direction::client_to_server, 5, io::as_bytes("pay"), io::as_bytes("load"));
  EXPECT_EQ(to_hex(framing.length), "00000007");
  EXPECT_EQ(to_hex(framing.tag), "f4e77629f58234c7e59a2aa65c5bf255");
}

TEST(Gmac, a_record_is_its_length_and_payload_tagged_under_its_direction_and_sequence) {
  // The record format pinned to the vector above: both platforms seal the same bytes.
  Gmac record_key(counting_key());
  io::Bytes wire;
  seal_record(record_key, Direction::client_to_server, 5, io::as_bytes("payload"), wire);
  EXPECT_EQ(to_hex(wire), "00000007" + to_hex(io::as_bytes("payload")) + "f4e77629f58234c7e59a2aa65c5bf255");
}

}  // namespace
}  // namespace hamirror::auth
