// Authenticated streams over both backends (libuv on 127.0.0.1 and netsim): the
// io::StreamConnection contract still holds with the right key, and a wrong key, a
// plain peer, tampered, replayed and duplicated records are refused.
#include <gtest/gtest.h>

#include "auth/handshake.h"
#include "auth/record.h"
#include "tests/auth/auth_fixture.h"
#include "tests/auth/relay.h"

namespace hamirror::test {
namespace {

constexpr std::size_t kHandshakeBytes = auth::kHelloBytes + auth::kProofBytes;

class AuthStream : public AuthNetworkTest {
 protected:
  // A connected to B through a relay that holds every byte A sends after the
  // handshake, for the test to hand to B in chunks of its choosing.
  void connect_through_holding_relay(AuthPair& pair, std::unique_ptr<Relay>& relay) {
    ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
    relay = std::make_unique<Relay>(a().network, harness().host_a(), pair.listener->local_address());
    relay->alter([](std::size_t offset, io::Bytes& chunk) {
      if (offset + chunk.size() > kHandshakeBytes) chunk.resize(offset >= kHandshakeBytes ? 0 : kHandshakeBytes - offset);
    });
    ASSERT_EQ(connect_from_a(pair, relay->address()), io::Error::ok);
    ASSERT_TRUE(run_until([&] { return pair.b_end != nullptr; }));
  }
};

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return text;
}

TEST_P(AuthStream, the_right_key_carries_bytes_both_ways_with_completions_in_order) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(pair));
  std::string expected;
  std::vector<int> completed;
  for (int i = 0; i < 100; ++i) {
    const std::string chunk = "<" + std::to_string(i) + ">";
    expected += chunk;
    ASSERT_EQ(pair.a_end->write(io::as_bytes(chunk), [&completed, i](io::Error result) {
      EXPECT_EQ(result, io::Error::ok);
      completed.push_back(i);
    }), io::Error::ok);
  }
  ASSERT_EQ(pair.b_end->write(io::as_bytes("ack 7"), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == expected.size() && completed.size() == 100 && pair.a_received == "ack 7"; }));
  EXPECT_EQ(pair.b_received, expected);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(completed[i], i);
  EXPECT_EQ(pair.a_end->pending_write_bytes(), 0u);
  EXPECT_EQ(pair.a_end->remote_address(), pair.b_end->local_address());
  EXPECT_TRUE(node_a().log.empty() && node_b().log.empty());
}

TEST_P(AuthStream, the_largest_core_frame_arrives_intact_in_one_write) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(pair));
  const std::string frame = pattern(8 * 1024 * 1024 + 56);
  bool done = false;
  ASSERT_EQ(pair.a_end->write(io::as_bytes(frame), [&](io::Error result) { done = result == io::Error::ok; }), io::Error::ok);
  EXPECT_EQ(pair.a_end->pending_write_bytes(), frame.size());
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == frame.size() && done; }, 20000));
  EXPECT_TRUE(pair.b_received == frame);
}

TEST_P(AuthStream, a_gathered_write_is_sealed_across_record_boundaries_in_head_or_tail) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(pair));
  // Record boundaries (every kMaxRecordPayloadBytes) inside the tail, at the join, in the head.
  const std::size_t record = auth::kMaxRecordPayloadBytes;
  const std::vector<std::pair<std::size_t, std::size_t>> sizes = {{60, 2 * record + 5}, {record, record}, {record + 9, 7}, {5, 0}};
  std::string expected;
  int completed = 0;
  for (const auto& [head_size, tail_size] : sizes) {
    const std::string head = pattern(head_size);
    const std::string tail = pattern(tail_size + 3).substr(3);
    io::Bytes head_bytes(head.begin(), head.end());
    ASSERT_EQ(pair.a_end->write_gather(head_bytes, io::SharedBytes::copy_of(io::as_bytes(tail)), [&](io::Error result) {
      EXPECT_EQ(result, io::Error::ok);
      ++completed;
    }), io::Error::ok);
    expected += head + tail;
  }
  EXPECT_EQ(pair.a_end->pending_write_bytes(), expected.size());
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == expected.size() && completed == 4; }, 20000));
  EXPECT_TRUE(pair.b_received == expected);
  EXPECT_TRUE(node_a().log.empty() && node_b().log.empty());
}

TEST_P(AuthStream, writes_beyond_the_pending_bound_would_block_then_drain) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(pair));
  const io::Bytes chunk(1024 * 1024, 'x');
  std::size_t accepted = 0;
  io::Error refused = io::Error::ok;
  int completions = 0;
  for (int i = 0; i < 64 && refused == io::Error::ok; ++i) {
    refused = pair.a_end->write(chunk, [&](io::Error) { ++completions; });
    if (refused == io::Error::ok) accepted += chunk.size();
  }
  EXPECT_EQ(refused, io::Error::would_block);
  EXPECT_LE(accepted, io::kMaxPendingWriteBytes);
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == accepted && pair.a_end->pending_write_bytes() == 0; }, 20000));
  EXPECT_EQ(static_cast<std::size_t>(completions) * chunk.size(), accepted);
  EXPECT_EQ(pair.a_end->write(chunk, [](io::Error) {}), io::Error::ok) << "room again once drained";
  const io::Bytes too_large(io::kMaxPendingWriteBytes, 'y');
  EXPECT_EQ(pair.a_end->write(too_large, [](io::Error) {}), io::Error::message_too_large);
}

TEST_P(AuthStream, paused_reading_holds_records_until_resumed) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(pair));
  pair.b_end->pause_reading();
  bool written = false;
  ASSERT_EQ(pair.a_end->write(io::as_bytes("held"), [&](io::Error) { written = true; }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return written; }));
  harness().run_for(30);
  EXPECT_EQ(pair.b_received, "");
  pair.b_end->resume_reading();
  EXPECT_EQ(pair.b_received, "") << "never inside resume_reading()";
  ASSERT_TRUE(run_until([&] { return pair.b_received == "held"; }));
}

TEST_P(AuthStream, close_flushes_then_the_peer_sees_end_of_stream_once) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(pair));
  ASSERT_EQ(pair.a_end->write(io::as_bytes("last words"), [](io::Error) {}), io::Error::ok);
  pair.a_end->close();
  EXPECT_EQ(pair.a_end->write(io::as_bytes("too late"), [](io::Error) {}), io::Error::connection_reset);
  ASSERT_TRUE(run_until([&] { return !pair.b_closes.empty(); }));
  EXPECT_EQ(pair.b_received, "last words");
  harness().run_for(30);
  EXPECT_EQ(pair.b_closes, (std::vector<io::Error>{io::Error::end_of_stream}));
  EXPECT_TRUE(pair.a_closes.empty()) << "a local close is not reported locally";
}

TEST_P(AuthStream, a_wrong_key_is_refused_on_both_sides_with_the_reason_logged) {
  make_nodes(test_key(1), test_key(2));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  EXPECT_EQ(connect_from_a(pair, pair.listener->local_address()), io::Error::permission_denied);
  ASSERT_TRUE(run_until([&] { return node_b().logged("wrong cluster key?"); }));
  EXPECT_TRUE(node_a().logged("authentication failed with " + io::to_string(pair.listener->local_address()))) << node_a().all_lines();
  EXPECT_TRUE(node_a().logged("wrong cluster key?"));
  EXPECT_TRUE(node_b().logged("authentication failed from " + harness().host_a() + ":")) << node_b().all_lines();
  harness().run_for(50);
  EXPECT_EQ(pair.accepted, 0);
  EXPECT_EQ(node_a().network->counters().handshakes_failed, 1u);
  EXPECT_EQ(node_b().network->counters().handshakes_failed, 1u);
}

TEST_P(AuthStream, a_plain_peer_is_refused_before_the_listener_sees_it) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  auto plain = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness(), [&](auto done) { a().network.connect(pair.listener->local_address(), done); });
  ASSERT_TRUE(plain.ok());
  std::vector<io::Error> closes;
  plain.value()->set_handlers([](io::ByteView) {}, [&](io::Error reason) { closes.push_back(reason); });
  ASSERT_EQ(plain.value()->write(io::as_bytes(std::string(64, 'F')), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return !closes.empty(); }));
  EXPECT_TRUE(node_b().logged("did not start the hamirror-v2 authentication handshake")) << node_b().all_lines();
  EXPECT_EQ(pair.accepted, 0);
}

TEST_P(AuthStream, an_older_hamirror_is_refused_with_the_versions_named) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  auto older = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness(), [&](auto done) { a().network.connect(pair.listener->local_address(), done); });
  ASSERT_TRUE(older.ok());
  std::vector<io::Error> closes;
  older.value()->set_handlers([](io::ByteView) {}, [&](io::Error reason) { closes.push_back(reason); });
  // A version-1 hello: its magic, then a nonce.
  ASSERT_EQ(older.value()->write(io::as_bytes("HMAUTH01" + std::string(auth::kNonceBytes, 'n')), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return !closes.empty(); }));
  EXPECT_TRUE(node_b().logged("the peer runs an older hamirror (authentication handshake hamirror-v1; this node speaks "
                              "hamirror-v2")) << node_b().all_lines();
  EXPECT_EQ(pair.accepted, 0);
}

TEST_P(AuthStream, a_silent_peer_times_out_the_handshake_on_either_side) {
  make_nodes(test_key(1), test_key(1), {.handshake_timeout_ns = 300 * io::kNsPerMs});
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  // A plain client that connects to B and says nothing.
  auto silent = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness(), [&](auto done) { a().network.connect(pair.listener->local_address(), done); });
  ASSERT_TRUE(silent.ok());
  silent.value()->set_handlers([](io::ByteView) {}, [](io::Error) {});
  // A plain server that accepts A's connection and says nothing.
  std::unique_ptr<io::StreamConnection> mute;
  auto plain_listener = b().network.listen({harness().host_b(), 0}, [&](std::unique_ptr<io::StreamConnection> accepted) {
    mute = std::move(accepted);
    mute->set_handlers([](io::ByteView) {}, [](io::Error) {});
  });
  ASSERT_TRUE(plain_listener.ok());
  EXPECT_EQ(connect_from_a(pair, plain_listener.value()->local_address()), io::Error::timed_out);
  ASSERT_TRUE(run_until([&] { return node_b().logged("no authentication handshake within 300 ms"); }));
  EXPECT_TRUE(node_a().logged("no authentication handshake within 300 ms"));
  EXPECT_EQ(pair.accepted, 0);
}

TEST_P(AuthStream, a_tampered_record_closes_the_stream_and_is_logged) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  Relay relay(a().network, harness().host_a(), pair.listener->local_address());
  // Flip one payload byte of the first record.
  const std::size_t target = kHandshakeBytes + auth::kRecordLengthBytes + 2;
  relay.alter([target](std::size_t offset, io::Bytes& chunk) {
    if (target >= offset && target < offset + chunk.size()) chunk[target - offset] ^= 0x20;
  });
  ASSERT_EQ(connect_from_a(pair, relay.address()), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_end != nullptr; }));
  ASSERT_EQ(pair.a_end->write(io::as_bytes("transfer 100"), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return !pair.b_closes.empty(); }));
  EXPECT_EQ(pair.b_closes, (std::vector<io::Error>{io::Error::permission_denied}));
  EXPECT_EQ(pair.b_received, "") << "nothing of a tampered record is delivered";
  EXPECT_TRUE(node_b().logged("failed its authentication check"));
  EXPECT_EQ(node_b().network->counters().records_refused, 1u);
  ASSERT_TRUE(run_until([&] { return !pair.a_closes.empty(); })) << "the sender sees the connection end";
}

// A large write travels as records of at most kMaxRecordPayloadBytes, each verified and
// delivered as it arrives: the reader has the first ones while the end of the write is
// still on its way (here held back for good by the relay), so the tag of a 1 MiB frame
// is not checked in one piece after its last byte.
TEST_P(AuthStream, the_first_records_of_a_large_write_are_delivered_before_its_end_arrives) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  Relay relay(a().network, harness().host_a(), pair.listener->local_address());
  const std::size_t held_from = kHandshakeBytes + 300 * 1024;  // of a 1 MiB write
  relay.alter([held_from](std::size_t offset, io::Bytes& chunk) {
    if (offset + chunk.size() > held_from) chunk.resize(offset >= held_from ? 0 : held_from - offset);
  });
  ASSERT_EQ(connect_from_a(pair, relay.address()), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_end != nullptr; }));
  const std::string frame = pattern(1024 * 1024);
  ASSERT_EQ(pair.a_end->write(io::as_bytes(frame), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() >= 128 * 1024; }, 5000))
      << "received " << pair.b_received.size() << " bytes of the first 300 KiB";
  EXPECT_LE(pair.b_received.size(), 300 * 1024u);
  EXPECT_TRUE(pair.b_received == frame.substr(0, pair.b_received.size()));
}

// B opens records where they lie in a chunk and assembles only those split across
// chunks: whatever the cut, each record's bytes arrive once and in order.
TEST_P(AuthStream, records_cut_anywhere_across_chunks_arrive_once_and_in_order) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  std::unique_ptr<Relay> relay;
  ASSERT_NO_FATAL_FAILURE(connect_through_holding_relay(pair, relay));
  const std::vector<std::string> writes = {"first", pattern(70'000), "x", pattern(150'000), "last"};
  std::string expected;
  std::size_t wire_bytes = kHandshakeBytes;
  for (const std::string& text : writes) {
    ASSERT_EQ(pair.a_end->write(io::as_bytes(text), [](io::Error) {}), io::Error::ok);
    expected += text;
    wire_bytes += auth::sealed_size(text.size());
  }
  ASSERT_TRUE(run_until([&] { return relay->client_bytes(0).size() == wire_bytes; }, 5000));
  // Cuts inside a length, right after one, inside a tag, several whole records with a
  // part of the next, and single bytes.
  const std::vector<std::size_t> cuts = {1, 3, 25, 2, 70'000, 19, 1, 140'000, 5, 1};
  const io::ByteView records = io::ByteView(relay->client_bytes(0)).subspan(kHandshakeBytes);
  std::size_t sent = 0;
  for (std::size_t i = 0; sent < records.size(); ++i) {
    const std::size_t size = std::min(cuts[i % cuts.size()], records.size() - sent);
    relay->inject(0, records.subspan(sent, size));
    sent += size;
    harness().run_for(1);
  }
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == expected.size(); }, 5000));
  EXPECT_TRUE(pair.b_received == expected);
  EXPECT_TRUE(pair.b_closes.empty());
  EXPECT_TRUE(node_b().log.empty());
}

// Records that came in one chunk are held from the one during whose delivery the
// reader paused, and delivered in order once it resumes.
TEST_P(AuthStream, a_pause_during_a_delivery_holds_the_rest_of_the_chunk) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  std::unique_ptr<Relay> relay;
  ASSERT_NO_FATAL_FAILURE(connect_through_holding_relay(pair, relay));
  for (const char* text : {"one", "two", "three"}) ASSERT_EQ(pair.a_end->write(io::as_bytes(text), [](io::Error) {}), io::Error::ok);
  const std::size_t wire_bytes = kHandshakeBytes + auth::sealed_size(3) + auth::sealed_size(3) + auth::sealed_size(5);
  ASSERT_TRUE(run_until([&] { return relay->client_bytes(0).size() == wire_bytes; }, 5000));
  pair.after_b_data = [&pair] { pair.b_end->pause_reading(); };
  relay->inject(0, io::ByteView(relay->client_bytes(0)).subspan(kHandshakeBytes));
  ASSERT_TRUE(run_until([&] { return !pair.b_received.empty(); }));
  harness().run_for(30);
  EXPECT_EQ(pair.b_received, "one");
  pair.after_b_data = nullptr;
  pair.b_end->resume_reading();
  ASSERT_TRUE(run_until([&] { return pair.b_received == "onetwothree"; }));
  EXPECT_TRUE(pair.b_closes.empty());
}

// Sends one record from A on the relay's latest connection; returns the record's bytes as they crossed the wire.
io::Bytes record_through(BackendHarness& harness, AuthPair& pair, Relay& relay, const std::string& text) {
  const std::size_t before = relay.client_bytes(relay.connections() - 1).size();
  EXPECT_EQ(pair.a_end->write(io::as_bytes(text), [](io::Error) {}), io::Error::ok);
  const std::size_t record_bytes = auth::sealed_size(text.size());
  EXPECT_TRUE(harness.run_until([&] { return relay.client_bytes(relay.connections() - 1).size() == before + record_bytes; }, 5000));
  const auto& wire = relay.client_bytes(relay.connections() - 1);
  return io::Bytes(wire.end() - static_cast<std::ptrdiff_t>(record_bytes), wire.end());
}

TEST_P(AuthStream, a_duplicated_record_in_the_same_connection_is_refused) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  Relay relay(a().network, harness().host_a(), pair.listener->local_address());
  ASSERT_EQ(connect_from_a(pair, relay.address()), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_end != nullptr; }));
  const io::Bytes record = record_through(harness(), pair, relay, "write block 12");
  ASSERT_TRUE(run_until([&] { return pair.b_received == "write block 12"; }));
  relay.inject(0, record);
  ASSERT_TRUE(run_until([&] { return !pair.b_closes.empty(); }));
  EXPECT_EQ(pair.b_closes, (std::vector<io::Error>{io::Error::permission_denied}));
  EXPECT_EQ(pair.b_received, "write block 12") << "delivered once only";
  EXPECT_TRUE(node_b().logged("failed its authentication check"));
}

TEST_P(AuthStream, a_record_replayed_into_another_connection_is_refused) {
  make_nodes(test_key(1), test_key(1));
  AuthPair first;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(first));
  Relay relay(a().network, harness().host_a(), first.listener->local_address());
  ASSERT_EQ(connect_from_a(first, relay.address()), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return first.b_end != nullptr; }));
  const io::Bytes captured = record_through(harness(), first, relay, "write block 12");
  ASSERT_TRUE(run_until([&] { return first.b_received == "write block 12"; }));

  // A second, genuine connection through the same relay: its first record (sequence 0,
  // like the captured one) is replaced by the captured bytes.
  AuthPair second;
  first.b_end.reset();  // the listener's handler fills first.b_end again on the next accept
  ASSERT_EQ(connect_from_a(second, relay.address()), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return first.b_end != nullptr; }));
  relay.inject(1, captured);
  ASSERT_TRUE(run_until([&] { return !first.b_closes.empty(); }));
  EXPECT_EQ(first.b_closes, (std::vector<io::Error>{io::Error::permission_denied}));
  EXPECT_EQ(first.b_received, "write block 12") << "only the genuine delivery of the first connection";
  EXPECT_TRUE(node_b().logged("failed its authentication check"));
}

TEST_P(AuthStream, a_whole_recorded_connection_replayed_fails_the_handshake) {
  make_nodes(test_key(1), test_key(1));
  AuthPair pair;
  ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
  Relay relay(a().network, harness().host_a(), pair.listener->local_address());
  ASSERT_EQ(connect_from_a(pair, relay.address()), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_end != nullptr; }));
  record_through(harness(), pair, relay, "write block 12");
  const io::Bytes recorded = relay.client_bytes(0);

  // An attacker without the key replays everything the client sent: hello, proof, record.
  auto attacker = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness(), [&](auto done) { a().network.connect(pair.listener->local_address(), done); });
  ASSERT_TRUE(attacker.ok());
  std::vector<io::Error> closes;
  attacker.value()->set_handlers([](io::ByteView) {}, [&](io::Error reason) { closes.push_back(reason); });
  ASSERT_EQ(attacker.value()->write(recorded, [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return !closes.empty(); }));
  EXPECT_EQ(pair.accepted, 1) << "only the genuine connection was accepted";
  EXPECT_TRUE(node_b().logged("wrong cluster key?"));
}

// An attacker who redirects A's outgoing connection to A's own listener makes A's
// client and A's server answer each other's proofs: both nonces are A's own.
TEST_P(AuthStream, a_handshake_relayed_back_to_its_own_node_is_refused) {
  make_nodes(test_key(1), test_key(1));
  int accepted = 0;
  auto own_listener = node_a().network->listen({harness().host_a(), 0}, [&](std::unique_ptr<io::StreamConnection>) { ++accepted; });
  ASSERT_TRUE(own_listener.ok());
  Relay attacker(a().network, harness().host_a(), own_listener.value()->local_address());
  AuthPair pair;
  EXPECT_EQ(connect_from_a(pair, attacker.address()), io::Error::permission_denied);
  ASSERT_TRUE(run_until([&] { return node_a().network->counters().handshakes_failed == 2; }));
  EXPECT_TRUE(node_a().logged("this node's own handshake")) << node_a().all_lines();
  harness().run_for(50);
  EXPECT_EQ(accepted, 0);
}

HM_CONTRACT_SUITE(AuthStream);

}  // namespace
}  // namespace hamirror::test
