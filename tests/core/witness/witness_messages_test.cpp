// The lease's messages on the wire, the witness's state file, and the timing check.
#include <gtest/gtest.h>

#include <string>

#include "core/witness/lease_timing.h"
#include "core/witness/version_mismatch.h"
#include "core/witness/witness_messages.h"
#include "core/witness/witness_server.h"

namespace hamirror::core::witness {
namespace {

LeaseReply sample_grant() {
  return {.client_nonce = 0x1234'5678'9abc'def0, .request_id = 42, .answer = LeaseAnswer::granted, .epoch = 7,
          .holder = "node1", .term_ms = 10'000, .free_in_ms = 0};
}

TEST(LeaseMessages, a_request_and_a_reply_travel_as_one_frame_per_datagram) {
  const LeaseRequest request{.node_name = "node1", .client_nonce = 99, .request_id = 3};
  const io::Bytes datagram = encode_datagram(request);
  EXPECT_EQ(datagram.size(), wire::kHeaderBytes + wire::encode_body(request).size());
  const auto decoded = decode_datagram<LeaseRequest>(datagram);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), request);

  const auto reply = decode_datagram<LeaseReply>(encode_datagram(sample_grant()));
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(reply.value(), sample_grant());
}

TEST(LeaseMessages, the_frame_sequence_is_the_request_id_and_the_tag_is_left_for_authentication) {
  io::Bytes datagram = encode_datagram(sample_grant());
  const auto header = wire::read_header(std::span<const std::uint8_t, wire::kHeaderBytes>(datagram.data(), wire::kHeaderBytes));
  EXPECT_EQ(header.type, wire::MessageType::lease_reply);
  EXPECT_EQ(header.sequence, 42u);
  EXPECT_EQ(header.tag, wire::AuthTag{}) << "the authentication issue fills the tag in";
}

TEST(LeaseMessages, refuses_anything_but_exactly_one_well_formed_frame_of_the_expected_type) {
  const io::Bytes good = encode_datagram(sample_grant());

  io::Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_NE(decode_datagram<LeaseReply>(trailing).error().find("after the frame"), std::string::npos);

  const io::Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_NE(decode_datagram<LeaseReply>(truncated).error().find("no whole frame"), std::string::npos);

  io::Bytes garbled = good;
  garbled[0] ^= 0xff;
  EXPECT_NE(decode_datagram<LeaseReply>(garbled).error().find("bad magic"), std::string::npos);

  EXPECT_FALSE(decode_datagram<LeaseRequest>(good).ok()) << "a reply is not a request";

  const io::Bytes other_sequence =
      wire::encode_frame(wire::MessageType::lease_reply, 41, wire::encode_body(sample_grant()));
  EXPECT_NE(decode_datagram<LeaseReply>(other_sequence).error().find("sequence"), std::string::npos);
}

TEST(LeaseMessages, refuses_a_grant_without_epoch_an_unknown_answer_or_an_oversized_name) {
  LeaseReply no_epoch = sample_grant();
  no_epoch.epoch = 0;
  EXPECT_FALSE(decode_datagram<LeaseReply>(encode_datagram(no_epoch)).ok());

  LeaseReply unknown = sample_grant();
  unknown.answer = static_cast<LeaseAnswer>(9);
  EXPECT_NE(decode_datagram<LeaseReply>(encode_datagram(unknown)).error().find("unknown answer"), std::string::npos);

  const LeaseRequest long_name{.node_name = std::string(kMaxNodeNameBytes + 1, 'n'), .client_nonce = 1, .request_id = 1};
  EXPECT_FALSE(decode_datagram<LeaseRequest>(encode_datagram(long_name)).ok());
}

// A datagram from a node or witness of another protocol version.
io::Bytes with_version(io::Bytes datagram, std::uint16_t version) {
  datagram[4] = static_cast<std::uint8_t>(version >> 8);
  datagram[5] = static_cast<std::uint8_t>(version & 0xff);
  return datagram;
}

TEST(VersionMismatch, another_version_is_said_once_a_minute_and_other_noise_never) {
  const auto newer = decode_datagram<LeaseRequest>(
      with_version(encode_datagram(LeaseRequest{.node_name = "node1", .client_nonce = 1, .request_id = 1}),
                   wire::kProtocolVersion + 1));
  ASSERT_FALSE(newer.ok());
  VersionMismatchReport report;
  const auto first = report.consider(newer.error(), "10.0.0.1 port 4900", 5 * io::kNsPerS);
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(first->find("10.0.0.1 port 4900"), std::string::npos) << *first;
  EXPECT_NE(first->find("unknown protocol version " + std::to_string(wire::kProtocolVersion + 1)), std::string::npos)
      << *first;
  EXPECT_FALSE(report.consider(newer.error(), "10.0.0.1 port 4900", 64 * io::kNsPerS).has_value()) << "within a minute";
  EXPECT_TRUE(report.consider(newer.error(), "10.0.0.1 port 4900", 65 * io::kNsPerS).has_value());
  const auto garbage = decode_datagram<LeaseRequest>(io::as_bytes("not a frame at all, just noise"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_FALSE(report.consider(garbage.error(), "10.0.0.9 port 1", 500 * io::kNsPerS).has_value());
}

TEST(WitnessState, the_state_file_round_trips_and_nothing_else_parses) {
  const WitnessState small{0, 0};
  const WitnessState large{18'446'744'073'709'551'615u, 18'446'744'073'709'551'615u};
  EXPECT_EQ(decode_witness_state(encode_witness_state(small)), small);
  EXPECT_EQ(decode_witness_state(encode_witness_state(large)), large);
  EXPECT_EQ(encode_witness_state({17, 5}), "hamirror-witness-state 2\nepoch 17\ngeneration 5\n");
  for (const char* bad : {"", "epoch 3\n", "hamirror-witness-state 2\nepoch 3\n", "hamirror-witness-state 2\nepoch \ngeneration 1\n",
                          "hamirror-witness-state 2\nepoch 3\ngeneration 1", "hamirror-witness-state 2\nepoch 3x\ngeneration 1\n",
                          "hamirror-witness-state 2\nepoch -3\ngeneration 1\n",
                          "hamirror-witness-state 2\nepoch 99999999999999999999\ngeneration 1\n",
                          "hamirror-witness-state 2\nepoch 3\ngeneration 1\nmore\n",
                          "hamirror-witness-state 1\nepoch 3\n"}) {
    EXPECT_FALSE(decode_witness_state(bad)) << bad;
  }
}

TEST(WitnessMessages, a_request_with_a_history_longer_than_a_generation_record_keeps_is_refused) {
  LeaseRequest request{.node_name = "node1", .client_nonce = 1, .request_id = 1, .data_generation = 7};
  request.data_history.assign(kMaxLeaseHistory, 3);
  EXPECT_TRUE(decode_datagram<LeaseRequest>(encode_datagram(request)).ok());
  request.data_history.push_back(3);
  EXPECT_FALSE(decode_datagram<LeaseRequest>(encode_datagram(request)).ok());
}

TEST(LeaseTiming, the_chosen_constants_leave_the_step_down_budget_and_the_check_has_teeth) {
  EXPECT_TRUE(holder_stops_first(kLeaseTermMs, kClockDriftMarginMs, kWitnessGraceMs, kStepDownMs, kClockDriftMarginPpm));
  // Without the witness's grace the gap is only about D: no room to drop the VIP.
  EXPECT_FALSE(holder_stops_first(kLeaseTermMs, kClockDriftMarginMs, 0, kStepDownMs, kClockDriftMarginPpm));
  // Drift eats the margins: with 100 ms at both ends and no step-down budget, 1 000 ppm
  // needs 2ρT ≈ 20 ms — fine — but 20 000 ppm needs ≈ 400 ms.
  EXPECT_TRUE(holder_stops_first(kLeaseTermMs, 100, 100, 0, 1'000));
  EXPECT_FALSE(holder_stops_first(kLeaseTermMs, 100, 100, 0, 20'000));
  // The exact boundary with no drift: gap = G + D must exceed S strictly.
  EXPECT_TRUE(holder_stops_first(10'000, 100, 1'901, 2'000, 0));
  EXPECT_FALSE(holder_stops_first(10'000, 100, 1'900, 2'000, 0));
  // Nonsense refuses rather than overflows.
  EXPECT_FALSE(holder_stops_first(10'000, 10'000, 5'000, 0, 0));
  EXPECT_FALSE(holder_stops_first(2'000'000, 0, 0, 0, 0));
}

}  // namespace
}  // namespace hamirror::core::witness
