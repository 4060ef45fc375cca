// Authenticated datagrams over both backends: delivered with the right key; a wrong
// key, a plain sender, a replay and an earlier run of the sender refused, counted,
// and logged without flooding.
#include <gtest/gtest.h>

#include "tests/auth/auth_fixture.h"

namespace hamirror::test {
namespace {

using AuthDatagram = AuthNetworkTest;

struct Received {
  std::vector<std::string> payloads;
  io::DatagramEndpoint::ReceiveFn recorder() {
    return [this](const io::Address&, io::ByteView payload) { payloads.emplace_back(io::as_text(payload)); };
  }
};

std::unique_ptr<io::DatagramEndpoint> open_or_fail(io::Network& network, const std::string& host,
                                                   io::DatagramEndpoint::ReceiveFn on_receive) {
  auto endpoint = network.open_datagram({host, 0}, std::move(on_receive));
  EXPECT_TRUE(endpoint.ok()) << io::error_name(endpoint.error());
  return endpoint.ok() ? std::move(endpoint).value() : nullptr;
}

// A plain endpoint in the middle: keeps every datagram it gets and can send any of
// them on to the receiver, as often as an attacker likes. The receiver sees the tap's
// address as the sender.
struct Tap {
  std::vector<io::Bytes> captured;
  std::unique_ptr<io::DatagramEndpoint> endpoint;

  Tap(io::Network& network, const std::string& host) {
    endpoint = open_or_fail(network, host, [this](const io::Address&, io::ByteView datagram) {
      captured.emplace_back(datagram.begin(), datagram.end());
    });
  }
  void forward(std::size_t index, const io::Address& to) { EXPECT_EQ(endpoint->send_to(to, captured.at(index)), io::Error::ok); }
};

TEST_P(AuthDatagram, the_right_key_delivers_the_payload_whole) {
  make_nodes(test_key(1), test_key(1));
  Received received;
  auto receiver = open_or_fail(*node_b().network, harness().host_b(), received.recorder());
  auto sender = open_or_fail(*node_a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  ASSERT_EQ(sender->send_to(receiver->local_address(), io::as_bytes("heartbeat 1")), io::Error::ok);
  ASSERT_EQ(sender->send_to(receiver->local_address(), io::as_bytes("heartbeat 2")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return received.payloads.size() == 2; }));
  EXPECT_EQ(received.payloads, (std::vector<std::string>{"heartbeat 1", "heartbeat 2"}));
  EXPECT_EQ(node_b().network->counters().datagrams_refused, 0u);
}

TEST_P(AuthDatagram, an_oversized_payload_is_refused_at_once) {
  make_nodes(test_key(1), test_key(1));
  auto sender = open_or_fail(*node_a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  // (Not the exact bound: an IPv4 UDP payload stops at 65507 bytes, below
  // io::kMaxDatagramBytes, and Windows refuses that at once.)
  const io::Bytes heartbeat(1200, 0x42);
  EXPECT_EQ(sender->send_to({harness().host_b(), 9}, heartbeat), io::Error::ok);
  const io::Bytes too_big(auth::kMaxAuthenticatedDatagramBytes + 1, 0x42);
  EXPECT_EQ(sender->send_to({harness().host_b(), 9}, too_big), io::Error::message_too_large);
}

TEST_P(AuthDatagram, a_wrong_key_is_refused_and_logged_once_per_interval) {
  make_nodes(test_key(1), test_key(2), {.refusal_log_interval_ns = 60 * io::kNsPerS});
  Received received;
  auto receiver = open_or_fail(*node_b().network, harness().host_b(), received.recorder());
  auto sender = open_or_fail(*node_a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  for (int i = 0; i < 5; ++i) ASSERT_EQ(sender->send_to(receiver->local_address(), io::as_bytes("heartbeat")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return node_b().network->counters().datagrams_refused == 5; }));
  EXPECT_TRUE(received.payloads.empty());
  EXPECT_EQ(node_b().lines_with("refused a datagram from " + io::to_string(sender->local_address())), 1u) << node_b().all_lines();
  EXPECT_TRUE(node_b().logged("wrong cluster key?"));
}

TEST_P(AuthDatagram, a_plain_datagram_is_refused) {
  make_nodes(test_key(1), test_key(1));
  Received received;
  auto receiver = open_or_fail(*node_b().network, harness().host_b(), received.recorder());
  auto plain = open_or_fail(a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  ASSERT_EQ(plain->send_to(receiver->local_address(), io::as_bytes("heartbeat from an impostor, long enough to be parsed")), io::Error::ok);
  ASSERT_EQ(plain->send_to(receiver->local_address(), io::as_bytes("short")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return node_b().network->counters().datagrams_refused == 2; }));
  EXPECT_TRUE(received.payloads.empty());
}

TEST_P(AuthDatagram, a_replayed_datagram_is_refused) {
  make_nodes(test_key(1), test_key(1));
  Received received;
  auto receiver = open_or_fail(*node_b().network, harness().host_b(), received.recorder());
  auto sender = open_or_fail(*node_a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  Tap tap(a().network, harness().host_a());
  ASSERT_EQ(sender->send_to(tap.endpoint->local_address(), io::as_bytes("lease granted")), io::Error::ok);
  ASSERT_EQ(sender->send_to(tap.endpoint->local_address(), io::as_bytes("lease renewed")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return tap.captured.size() == 2; }));
  tap.forward(0, receiver->local_address());
  ASSERT_TRUE(run_until([&] { return received.payloads.size() == 1; }));
  tap.forward(0, receiver->local_address());  // the same datagram again
  ASSERT_TRUE(run_until([&] { return node_b().network->counters().datagrams_refused == 1; }));
  tap.forward(1, receiver->local_address());
  ASSERT_TRUE(run_until([&] { return received.payloads.size() == 2; }));
  tap.forward(0, receiver->local_address());  // an older one after a newer one
  ASSERT_TRUE(run_until([&] { return node_b().network->counters().datagrams_refused == 2; }));
  EXPECT_EQ(received.payloads, (std::vector<std::string>{"lease granted", "lease renewed"}));
  EXPECT_TRUE(node_b().logged("replayed"));
}

TEST_P(AuthDatagram, a_restarted_sender_is_accepted_and_its_previous_run_is_not) {
  make_nodes(test_key(1), test_key(1));
  Received received;
  auto receiver = open_or_fail(*node_b().network, harness().host_b(), received.recorder());
  Tap tap(a().network, harness().host_a());
  auto first_run = open_or_fail(*node_a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  ASSERT_EQ(first_run->send_to(tap.endpoint->local_address(), io::as_bytes("run 1, beat 1")), io::Error::ok);
  ASSERT_EQ(first_run->send_to(tap.endpoint->local_address(), io::as_bytes("run 1, beat 2")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return tap.captured.size() == 2; }));
  tap.forward(0, receiver->local_address());
  ASSERT_TRUE(run_until([&] { return received.payloads.size() == 1; }));
  first_run.reset();
  harness().run_for(20);  // the restart takes time: the new run's timestamps are newer

  auto second_run = open_or_fail(*node_a().network, harness().host_a(), [](const io::Address&, io::ByteView) {});
  ASSERT_EQ(second_run->send_to(tap.endpoint->local_address(), io::as_bytes("run 2, beat 1")), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return tap.captured.size() == 3; }));
  tap.forward(2, receiver->local_address());
  ASSERT_TRUE(run_until([&] { return received.payloads.size() == 2; }));
  tap.forward(1, receiver->local_address());  // the first run's unseen beat, replayed now
  ASSERT_TRUE(run_until([&] { return node_b().network->counters().datagrams_refused == 1; }));
  EXPECT_EQ(received.payloads, (std::vector<std::string>{"run 1, beat 1", "run 2, beat 1"}));
  EXPECT_TRUE(node_b().logged("an earlier run of the sender"));
}

HM_CONTRACT_SUITE(AuthDatagram);

}  // namespace
}  // namespace hamirror::test
