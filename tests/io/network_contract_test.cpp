#include <string>
#include <vector>

#include "tests/io/await.h"
#include "tests/io/backend_harness.h"

namespace hamirror::test {
namespace {

using DatagramContract = ContractTest;
using StreamContract = ContractTest;

std::unique_ptr<io::DatagramEndpoint> open_or_fail(io::Io& io, const std::string& host, io::DatagramEndpoint::ReceiveFn fn) {
  auto endpoint = io.network.open_datagram({host, 0}, std::move(fn));
  EXPECT_TRUE(endpoint.ok()) << io::error_name(endpoint.error());
  return endpoint.ok() ? std::move(endpoint).value() : nullptr;
}

TEST_P(DatagramContract, a_datagram_arrives_whole_with_its_sender_address) {
  std::vector<std::string> received;
  io::Address from_seen;
  auto receiver = open_or_fail(b(), harness().host_b(), [&](const io::Address& from, io::ByteView payload) {
    received.emplace_back(io::as_text(payload));
    from_seen = from;
  });
  auto sender = open_or_fail(a(), harness().host_a(), [](const io::Address&, io::ByteView) {});
  ASSERT_NE(receiver->local_address().port, 0) << "port 0 must bind to a real port";
  ASSERT_EQ(sender->send_to(receiver->local_address(), io::as_bytes("heartbeat 1")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return !received.empty(); }));
  EXPECT_EQ(received.front(), "heartbeat 1");
  EXPECT_EQ(from_seen, sender->local_address());
}

TEST_P(DatagramContract, an_oversized_datagram_is_refused_at_once) {
  auto sender = open_or_fail(a(), harness().host_a(), [](const io::Address&, io::ByteView) {});
  const io::Bytes too_big(io::kMaxDatagramBytes + 1, 0x42);
  EXPECT_EQ(sender->send_to({harness().host_b(), 9}, too_big), io::Error::message_too_large);
}

TEST_P(DatagramContract, binding_a_port_in_use_fails_with_address_in_use) {
  auto first = open_or_fail(a(), harness().host_a(), [](const io::Address&, io::ByteView) {});
  auto second = a().network.open_datagram(first->local_address(), [](const io::Address&, io::ByteView) {});
  EXPECT_EQ(second.error(), io::Error::address_in_use);
}

TEST_P(DatagramContract, a_destroyed_endpoint_receives_nothing_more) {
  int received = 0;
  auto receiver = open_or_fail(b(), harness().host_b(), [&](const io::Address&, io::ByteView) { ++received; });
  auto sender = open_or_fail(a(), harness().host_a(), [](const io::Address&, io::ByteView) {});
  const auto target = receiver->local_address();
  ASSERT_EQ(sender->send_to(target, io::as_bytes("one")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return received == 1; }));
  receiver.reset();
  ASSERT_EQ(sender->send_to(target, io::as_bytes("two")), io::Error::ok);
  harness().run_for(50);
  EXPECT_EQ(received, 1);
}

// A connected pair of streams, A's end and B's end, with B's received bytes recorded.
struct StreamPair {
  std::unique_ptr<io::StreamListener> listener;
  std::unique_ptr<io::StreamConnection> a_end;
  std::unique_ptr<io::StreamConnection> b_end;
  std::string b_received;
  std::string a_received;
  std::vector<io::Error> b_closes;
  std::vector<io::Error> a_closes;
};

void connect_pair(ContractTest& test, BackendHarness& harness, StreamPair& pair) {
  auto listener = harness.node_b().network.listen({harness.host_b(), 0}, [&pair](std::unique_ptr<io::StreamConnection> accepted) {
    pair.b_end = std::move(accepted);
    pair.b_end->set_handlers([&pair](io::ByteView chunk) { pair.b_received += io::as_text(chunk); },
                             [&pair](io::Error reason) { pair.b_closes.push_back(reason); });
  });
  ASSERT_TRUE(listener.ok()) << io::error_name(listener.error());
  pair.listener = std::move(listener).value();
  auto connected = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness, [&](auto done) { harness.node_a().network.connect(pair.listener->local_address(), done); });
  ASSERT_TRUE(connected.ok()) << io::error_name(connected.error());
  pair.a_end = std::move(connected).value();
  pair.a_end->set_handlers([&pair](io::ByteView chunk) { pair.a_received += io::as_text(chunk); },
                           [&pair](io::Error reason) { pair.a_closes.push_back(reason); });
  ASSERT_TRUE(harness.run_until([&] { return pair.b_end != nullptr; }, 5000));
  (void)test;
}

TEST_P(StreamContract, bytes_arrive_in_order_and_completions_run_in_order) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  std::string expected;
  std::vector<int> completed;
  for (int i = 0; i < 200; ++i) {
    const std::string chunk = "<" + std::to_string(i) + ">";
    expected += chunk;
    ASSERT_EQ(pair.a_end->write(io::as_bytes(chunk), [&completed, i](io::Error result) {
      EXPECT_EQ(result, io::Error::ok);
      completed.push_back(i);
    }), io::Error::ok);
  }
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == expected.size() && completed.size() == 200; }));
  EXPECT_EQ(pair.b_received, expected);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(completed[i], i);
  EXPECT_EQ(pair.a_end->pending_write_bytes(), 0u);
}

TEST_P(StreamContract, both_directions_carry_data) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  ASSERT_EQ(pair.b_end->write(io::as_bytes("ack 7"), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.a_received == "ack 7"; }));
  EXPECT_EQ(pair.a_end->remote_address(), pair.b_end->local_address());
}

TEST_P(StreamContract, writes_beyond_the_pending_bound_would_block_then_drain) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
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
  EXPECT_GT(pair.a_end->pending_write_bytes(), 0u);
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == accepted; }, 20000));
  ASSERT_TRUE(run_until([&] { return pair.a_end->pending_write_bytes() == 0; }));
  EXPECT_EQ(static_cast<std::size_t>(completions) * chunk.size(), accepted);
  EXPECT_EQ(pair.a_end->write(chunk, [](io::Error) {}), io::Error::ok) << "room again once drained";
}

TEST_P(StreamContract, an_owned_write_takes_its_buffer_and_a_refused_one_leaves_it_as_it_was) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  io::Bytes given{'g', 'i', 'v', 'e', 'n'};
  ASSERT_EQ(pair.a_end->write_owned(given, [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return pair.b_received == "given"; }));

  const io::Bytes chunk(1024 * 1024, 'x');
  std::size_t accepted = 0;
  io::Error refused = io::Error::ok;
  io::Bytes buffer;
  for (int i = 0; i < 64 && refused == io::Error::ok; ++i) {
    buffer = chunk;
    refused = pair.a_end->write_owned(buffer, [](io::Error) {});
    if (refused == io::Error::ok) accepted += chunk.size();
  }
  EXPECT_EQ(refused, io::Error::would_block);
  EXPECT_EQ(buffer, chunk) << "a refused write keeps the caller's bytes, to be sent again";
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == 5 + accepted; }, 20000));
}

std::string text_of(std::size_t size, char seed) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>(seed + i % 23);
  return text;
}

TEST_P(StreamContract, a_gathered_write_sends_head_then_tail_in_order_with_plain_writes) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  std::string expected;
  std::vector<int> completed;
  std::size_t queued = 0;
  for (int i = 0; i < 12; ++i) {
    const std::string head = "<head " + std::to_string(i) + ">";
    const std::string tail = text_of(i % 4 == 0 ? 1024 * 1024 : static_cast<std::size_t>(i) * 1000, static_cast<char>('a' + i));
    auto on_done = [&completed, i](io::Error result) {
      EXPECT_EQ(result, io::Error::ok);
      completed.push_back(i);
    };
    if (i % 3 == 2) {  // plain writes in between
      ASSERT_EQ(pair.a_end->write(io::as_bytes(head), on_done), io::Error::ok);
      expected += head;
      queued += head.size();
      continue;
    }
    io::Bytes head_bytes(head.begin(), head.end());
    const io::SharedBytes tail_bytes = io::SharedBytes::copy_of(io::as_bytes(tail));
    ASSERT_EQ(pair.a_end->write_gather(head_bytes, tail_bytes, on_done), io::Error::ok);
    expected += head + tail;
    queued += head.size() + tail.size();
  }
  EXPECT_LE(pair.a_end->pending_write_bytes(), queued) << "both parts counted, none twice";
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == expected.size() && completed.size() == 12; }, 20000));
  EXPECT_TRUE(pair.b_received == expected);
  for (int i = 0; i < 12; ++i) ASSERT_EQ(completed[i], i);
  EXPECT_EQ(pair.a_end->pending_write_bytes(), 0u);
}

TEST_P(StreamContract, a_refused_gathered_write_leaves_its_head_as_it_was) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  const io::Bytes head{'h', 'e', 'a', 'd'};
  const io::SharedBytes tail(io::Bytes(1024 * 1024, 'x'));
  std::size_t accepted = 0;
  io::Error refused = io::Error::ok;
  io::Bytes buffer;
  for (int i = 0; i < 64 && refused == io::Error::ok; ++i) {
    buffer = head;
    refused = pair.a_end->write_gather(buffer, tail, [](io::Error) {});
    if (refused == io::Error::ok) accepted += head.size() + tail.size();
  }
  EXPECT_EQ(refused, io::Error::would_block);
  EXPECT_EQ(buffer, head) << "a refused write keeps the caller's head, to be sent again";
  ASSERT_TRUE(run_until([&] { return pair.b_received.size() == accepted; }, 20000));
}

TEST_P(StreamContract, chunks_by_reference_carry_the_same_bytes_where_the_backend_offers_them) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  std::string received;
  std::vector<io::Error> closes;
  bool offered = false;
  // A second connection whose acceptor reads by reference when it can.
  std::unique_ptr<io::StreamConnection> reader;
  auto listener = harness().node_b().network.listen({harness().host_b(), 0}, [&](std::unique_ptr<io::StreamConnection> c) {
    reader = std::move(c);
    offered = reader->set_shared_handlers([&](const io::SharedBytes& chunk) { received += io::as_text(chunk); },
                                          [&](io::Error reason) { closes.push_back(reason); });
    if (!offered) {
      reader->set_handlers([&](io::ByteView chunk) { received += io::as_text(chunk); },
                           [&](io::Error reason) { closes.push_back(reason); });
    }
  });
  ASSERT_TRUE(listener.ok());
  auto writer = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness(), [&](auto done) { harness().node_a().network.connect(listener.value()->local_address(), done); });
  ASSERT_TRUE(writer.ok());
  writer.value()->set_handlers([](io::ByteView) {}, [](io::Error) {});
  const std::string tail = text_of(300'000, 'k');
  io::Bytes head{'[', ']'};
  ASSERT_EQ(writer.value()->write_gather(head, io::SharedBytes::copy_of(io::as_bytes(tail)), [](io::Error) {}), io::Error::ok);
  ASSERT_EQ(writer.value()->write(io::as_bytes("end"), [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return received.size() == 2 + tail.size() + 3; }, 20000));
  EXPECT_TRUE(received == "[]" + tail + "end");
  EXPECT_EQ(offered, std::string(GetParam()) == "sim") << "the simulator shares its chunks; libuv's are views";
  EXPECT_TRUE(closes.empty());
}

TEST_P(StreamContract, paused_reading_holds_data_until_resumed) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  pair.b_end->pause_reading();
  bool written = false;
  ASSERT_EQ(pair.a_end->write(io::as_bytes("held"), [&](io::Error) { written = true; }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return written; }));
  harness().run_for(30);
  EXPECT_EQ(pair.b_received, "");
  pair.b_end->resume_reading();
  ASSERT_TRUE(run_until([&] { return pair.b_received == "held"; }));
}

TEST_P(StreamContract, close_flushes_then_the_peer_sees_end_of_stream_once) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  ASSERT_EQ(pair.a_end->write(io::as_bytes("last words"), [](io::Error) {}), io::Error::ok);
  pair.a_end->close();
  ASSERT_TRUE(run_until([&] { return !pair.b_closes.empty(); }));
  EXPECT_EQ(pair.b_received, "last words");
  harness().run_for(30);
  EXPECT_EQ(pair.b_closes, (std::vector<io::Error>{io::Error::end_of_stream}));
  EXPECT_TRUE(pair.a_closes.empty()) << "a local close is not reported locally";
}

TEST_P(StreamContract, a_destroyed_connection_runs_no_more_callbacks) {
  StreamPair pair;
  ASSERT_NO_FATAL_FAILURE(connect_pair(*this, harness(), pair));
  bool completion_ran = false;
  ASSERT_EQ(pair.b_end->write(io::as_bytes("late"), [&](io::Error) { completion_ran = true; }), io::Error::ok);
  pair.b_end.reset();
  ASSERT_TRUE(run_until([&] { return !pair.a_closes.empty(); }));
  EXPECT_FALSE(completion_ran) << "completions of a destroyed connection are dropped";
  EXPECT_TRUE(pair.a_closes.front() == io::Error::end_of_stream || pair.a_closes.front() == io::Error::connection_reset)
      << io::error_name(pair.a_closes.front());
}

TEST_P(StreamContract, connecting_to_a_port_nobody_listens_on_is_refused) {
  io::Address closed;
  {
    auto listener = b().network.listen({harness().host_b(), 0}, [](std::unique_ptr<io::StreamConnection>) {});
    ASSERT_TRUE(listener.ok());
    closed = listener.value()->local_address();
  }
  harness().run_for(10);
  auto connected = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
      harness(), [&](auto done) { a().network.connect(closed, done); });
  EXPECT_EQ(connected.error(), io::Error::connection_refused);
}

HM_CONTRACT_SUITE(DatagramContract);
HM_CONTRACT_SUITE(StreamContract);

}  // namespace
}  // namespace hamirror::test
