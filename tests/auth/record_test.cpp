// The wire pieces as pure functions: handshake proofs, records, sealed datagrams and
// the replay guard.
#include <gtest/gtest.h>

#include "auth/handshake.h"
#include "auth/record.h"
#include "auth/replay_guard.h"
#include "auth/sealed_datagram.h"

namespace hamirror::auth {
namespace {

ClusterKey key_of(std::uint8_t fill) {
  ClusterKey key;
  key.bytes.fill(fill);
  return key;
}

Nonce nonce_of(std::uint8_t fill) {
  Nonce nonce;
  nonce.fill(fill);
  return nonce;
}

TEST(Handshake, a_hello_carries_its_nonce_and_anything_else_is_refused) {
  const auto hello = encode_hello(nonce_of(7));
  ASSERT_EQ(hello.size(), kHelloBytes);
  EXPECT_EQ(decode_hello(hello), nonce_of(7));
  auto plain = hello;
  plain[0] = 'X';
  EXPECT_FALSE(decode_hello(plain).has_value());
}

TEST(Handshake, proofs_depend_on_key_role_and_both_nonces) {
  const auto proof = handshake_proof(key_of(1), Role::client, nonce_of(2), nonce_of(3));
  EXPECT_EQ(proof, handshake_proof(key_of(1), Role::client, nonce_of(2), nonce_of(3)));
  EXPECT_NE(proof, handshake_proof(key_of(9), Role::client, nonce_of(2), nonce_of(3)));
  EXPECT_NE(proof, handshake_proof(key_of(1), Role::server, nonce_of(2), nonce_of(3)));
  EXPECT_NE(proof, handshake_proof(key_of(1), Role::client, nonce_of(4), nonce_of(3)));
  EXPECT_NE(proof, handshake_proof(key_of(1), Role::client, nonce_of(2), nonce_of(4)));
  EXPECT_NE(session_key(key_of(1), nonce_of(2), nonce_of(3)), session_key(key_of(1), nonce_of(2), nonce_of(4)));
}

TEST(Handshake, an_older_hamirrors_hello_is_told_apart_from_a_stranger) {
  auto hello = encode_hello(nonce_of(7));
  EXPECT_FALSE(is_version_1_hello(hello));
  hello[7] = '1';  // "HMAUTH01": records tagged with HMAC-SHA256
  EXPECT_FALSE(decode_hello(hello).has_value());
  EXPECT_TRUE(is_version_1_hello(hello));
  hello[0] = 'X';
  EXPECT_FALSE(is_version_1_hello(hello));
}

TEST(Record, a_sealed_record_opens_only_with_its_key_direction_and_sequence) {
  Gmac session(session_key(key_of(1), nonce_of(2), nonce_of(3)));
  io::Bytes wire;
  seal_record(session, Direction::client_to_server, 5, io::as_bytes("payload"), wire);
  ASSERT_EQ(wire.size(), sealed_size(7));
  const auto opened = open_record(session, Direction::client_to_server, 5, wire);
  ASSERT_EQ(opened.status, RecordStatus::opened);
  EXPECT_EQ(io::as_text(opened.payload), "payload");
  EXPECT_EQ(opened.consumed_bytes, wire.size());
  EXPECT_EQ(open_record(session, Direction::client_to_server, 6, wire).status, RecordStatus::bad_tag);
  EXPECT_EQ(open_record(session, Direction::server_to_client, 5, wire).status, RecordStatus::bad_tag);
  Gmac other(session_key(key_of(1), nonce_of(2), nonce_of(4)));
  EXPECT_EQ(open_record(other, Direction::client_to_server, 5, wire).status, RecordStatus::bad_tag);
}

TEST(Record, any_flipped_bit_fails_the_check) {
  Gmac session(session_key(key_of(1), nonce_of(2), nonce_of(3)));
  io::Bytes wire;
  seal_record(session, Direction::server_to_client, 0, io::as_bytes("abc"), wire);
  // Byte 0..2 are the high length bytes: flipping them makes the length too large or
  // the record incomplete, which is refused or waited for, never accepted.
  for (std::size_t i = 0; i < wire.size(); ++i) {
    auto tampered = wire;
    tampered[i] ^= 0x01;
    EXPECT_NE(open_record(session, Direction::server_to_client, 0, tampered).status, RecordStatus::opened) << "byte " << i;
  }
}

TEST(Record, a_partial_record_waits_and_an_oversized_length_is_refused) {
  Gmac session(GmacKey{});
  io::Bytes wire;
  seal_record(session, Direction::client_to_server, 0, io::as_bytes("abc"), wire);
  EXPECT_EQ(open_record(session, Direction::client_to_server, 0, io::ByteView(wire).first(wire.size() - 1)).status,
            RecordStatus::incomplete);
  const io::Bytes huge_length = {0x00, 0x10, 0x00, 0x01};  // 1 MiB + 1
  EXPECT_EQ(open_record(session, Direction::client_to_server, 0, huge_length).status, RecordStatus::too_large);
  EXPECT_EQ(sealed_size(3 * kMaxRecordPayloadBytes + 1), 3 * kMaxRecordPayloadBytes + 1 + 4 * kRecordOverheadBytes);
}

TEST(Record, the_bytes_a_record_misses_count_down_to_zero_and_an_oversized_length_needs_none) {
  Gmac session(GmacKey{});
  io::Bytes wire;
  seal_record(session, Direction::client_to_server, 0, io::as_bytes("abcdef"), wire);
  for (std::size_t have = 0; have <= wire.size(); ++have) {
    EXPECT_EQ(record_bytes_missing(io::ByteView(wire).first(have)),
              have < kRecordLengthBytes ? kRecordLengthBytes - have : wire.size() - have)
        << have << " bytes in";
  }
  wire.push_back(0);  // the next record's first byte
  EXPECT_EQ(record_bytes_missing(wire), 0u);
  const io::Bytes huge_length = {0x00, 0x10, 0x00, 0x01};
  EXPECT_EQ(record_bytes_missing(huge_length), 0u);
}

TEST(SealedDatagram, opens_with_the_right_key_only_and_detects_tampering) {
  const DatagramHeader header{.boot_id = 0x0102030405060708, .counter = 42, .time_ms = 1'700'000'000'000};
  const auto sealed = seal_datagram(key_of(1), header, io::as_bytes("heartbeat"));
  EXPECT_EQ(sealed.size(), kDatagramOverheadBytes + 9);
  const auto opened = open_datagram(key_of(1), sealed);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->header.boot_id, header.boot_id);
  EXPECT_EQ(opened->header.counter, 42u);
  EXPECT_EQ(opened->header.time_ms, header.time_ms);
  EXPECT_EQ(io::as_text(opened->payload), "heartbeat");
  EXPECT_FALSE(open_datagram(key_of(2), sealed).has_value());
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto tampered = sealed;
    tampered[i] ^= 0x80;
    EXPECT_FALSE(open_datagram(key_of(1), tampered).has_value()) << "byte " << i;
  }
  EXPECT_FALSE(open_datagram(key_of(1), io::ByteView(sealed).first(kDatagramOverheadBytes - 1)).has_value());
}

TEST(ReplayGuard, counters_must_grow_within_one_boot) {
  ReplayGuard guard;
  const io::Address peer{"10.0.0.2", 7000};
  EXPECT_EQ(guard.check(peer, {.boot_id = 1, .counter = 0, .time_ms = 100}, 0), ReplayVerdict::accepted);
  EXPECT_EQ(guard.check(peer, {.boot_id = 1, .counter = 0, .time_ms = 100}, 0), ReplayVerdict::replayed);
  EXPECT_EQ(guard.check(peer, {.boot_id = 1, .counter = 2, .time_ms = 102}, 0), ReplayVerdict::accepted);
  EXPECT_EQ(guard.check(peer, {.boot_id = 1, .counter = 1, .time_ms = 101}, 0), ReplayVerdict::replayed);
  EXPECT_EQ(guard.check({"10.0.0.3", 7000}, {.boot_id = 1, .counter = 0, .time_ms = 100}, 0), ReplayVerdict::accepted)
      << "another sender address has its own state";
}

TEST(ReplayGuard, a_new_boot_is_accepted_only_with_a_newer_timestamp) {
  ReplayGuard guard;
  const io::Address peer{"10.0.0.2", 7000};
  EXPECT_EQ(guard.check(peer, {.boot_id = 1, .counter = 9, .time_ms = 500}, 0), ReplayVerdict::accepted);
  EXPECT_EQ(guard.check(peer, {.boot_id = 2, .counter = 0, .time_ms = 500}, 0), ReplayVerdict::stale_boot);
  EXPECT_EQ(guard.check(peer, {.boot_id = 2, .counter = 0, .time_ms = 501}, 0), ReplayVerdict::accepted);
  EXPECT_EQ(guard.check(peer, {.boot_id = 1, .counter = 10, .time_ms = 499}, 0), ReplayVerdict::stale_boot)
      << "the previous run's datagrams stay refused";
}

TEST(ReplayGuard, the_table_is_bounded_and_forgets_the_sender_silent_longest) {
  ReplayGuard guard;
  for (std::uint16_t port = 1; port <= kMaxTrackedSenders; ++port) {
    ASSERT_EQ(guard.check({"10.0.0.2", port}, {.boot_id = 1, .counter = 5, .time_ms = 100}, port), ReplayVerdict::accepted);
  }
  // Port 1 was silent longest: a newcomer evicts it, so its replay is accepted again.
  ASSERT_EQ(guard.check({"10.0.0.9", 1}, {.boot_id = 1, .counter = 0, .time_ms = 100}, 1000), ReplayVerdict::accepted);
  EXPECT_EQ(guard.check({"10.0.0.2", 2}, {.boot_id = 1, .counter = 5, .time_ms = 100}, 1001), ReplayVerdict::replayed);
  EXPECT_EQ(guard.check({"10.0.0.2", 1}, {.boot_id = 1, .counter = 5, .time_ms = 100}, 1002), ReplayVerdict::accepted);
}

}  // namespace
}  // namespace hamirror::auth
