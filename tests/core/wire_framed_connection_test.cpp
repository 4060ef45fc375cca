#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/replication/replication_messages.h"
#include "core/wire/framed_connection.h"
#include "core/wire/messages.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core::wire {
namespace {

// Two simulated nodes on one "repl" network, and a raw stream from node1 to node2.
struct Nodes {
  explicit Nodes(std::uint64_t seed = 1) : cluster(seed) {
    cluster.add_node({"node1", {{"repl", "node1.repl"}}});
    cluster.add_node({"node2", {{"repl", "node2.repl"}}});
    auto listening = cluster.node("node2").io().network.listen(
        {"node2.repl", 7000}, [this](std::unique_ptr<io::StreamConnection> c) { server_stream = std::move(c); });
    listener = std::move(listening.value());
    cluster.node("node1").io().network.connect({"node2.repl", 7000}, [this](auto result) {
      client_stream = std::move(result.value());
    });
    run_until([this] { return client_stream && server_stream; });
  }
  bool run_until(const std::function<bool()>& done, std::int64_t budget_ns = 10 * io::kNsPerS) {
    return cluster.scheduler().run_until(done, cluster.scheduler().now_ns() + budget_ns);
  }
  void run_for(std::int64_t duration_ns) { cluster.scheduler().run_for(duration_ns); }

  sim::SimCluster cluster;  // first: it outlives every stream
  std::unique_ptr<io::StreamListener> listener;
  std::unique_ptr<io::StreamConnection> client_stream;
  std::unique_ptr<io::StreamConnection> server_stream;
};

// One framed end of the stream and everything it reported.
struct End {
  struct Received {
    FrameHeader header;
    io::Bytes payload;
  };
  void attach(std::unique_ptr<io::StreamConnection> stream) {
    FramedConnection::Handlers handlers;
    handlers.on_frame = [this](const Frame& frame) {
      frames.push_back({frame.header, io::Bytes(frame.payload.begin(), frame.payload.end())});
      if (on_frame) on_frame(frame);
    };
    handlers.on_error = [this](const std::string& reason) { errors.push_back(reason); };
    handlers.on_close = [this](io::Error reason) { closes.push_back(reason); };
    handlers.on_writable = [this] { ++writable; };
    connection = std::make_unique<FramedConnection>(std::move(stream), std::move(handlers));
  }
  std::function<void(const Frame&)> on_frame;
  std::unique_ptr<FramedConnection> connection;
  std::vector<Received> frames;
  std::vector<std::string> errors;
  std::vector<io::Error> closes;
  int writable = 0;
};

// A stream end driven by hand, as a misbehaving peer would.
struct RawEnd {
  explicit RawEnd(std::unique_ptr<io::StreamConnection> s) : stream(std::move(s)) {
    stream->set_handlers([this](io::ByteView chunk) { received += chunk.size(); },
                         [this](io::Error reason) { closes.push_back(reason); });
  }
  io::Error write(io::ByteView bytes) {
    return stream->write(bytes, [](io::Error) {});
  }
  std::unique_ptr<io::StreamConnection> stream;
  std::size_t received = 0;
  std::vector<io::Error> closes;
};

io::Bytes text_bytes(const std::string& text) { return io::Bytes(text.begin(), text.end()); }

TEST(WireFramedConnection, two_nodes_exchange_hello_then_ping_and_pong_over_the_simulator) {
  Nodes nodes;
  End client, server;
  std::vector<Hello> hellos_at_client, hellos_at_server;
  std::vector<std::uint64_t> pongs;
  server.on_frame = [&](const Frame& frame) {
    if (frame.header.type == MessageType::hello) {
      auto hello = decode_message<Hello>(frame);
      ASSERT_TRUE(hello.ok()) << hello.error();
      hellos_at_server.push_back(hello.value());
      EXPECT_EQ(server.connection->send(Hello{kProtocolVersion, "node2", 7}), io::Error::ok);
    } else {
      auto ping = decode_message<Ping>(frame);
      ASSERT_TRUE(ping.ok()) << ping.error();
      EXPECT_EQ(server.connection->send(Pong{ping.value().nonce}), io::Error::ok);
    }
  };
  client.on_frame = [&](const Frame& frame) {
    if (frame.header.type == MessageType::hello) {
      auto hello = decode_message<Hello>(frame);
      ASSERT_TRUE(hello.ok()) << hello.error();
      hellos_at_client.push_back(hello.value());
      EXPECT_EQ(client.connection->send(Ping{1001}), io::Error::ok);
    } else {
      auto pong = decode_message<Pong>(frame);
      ASSERT_TRUE(pong.ok()) << pong.error();
      pongs.push_back(pong.value().nonce);
    }
  };
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  ASSERT_EQ(client.connection->send(Hello{kProtocolVersion, "node1", 3}), io::Error::ok);
  ASSERT_TRUE(nodes.run_until([&] { return !pongs.empty(); }));

  ASSERT_EQ(hellos_at_server.size(), 1u);
  EXPECT_EQ(hellos_at_server[0], (Hello{kProtocolVersion, "node1", 3}));
  ASSERT_EQ(hellos_at_client.size(), 1u);
  EXPECT_EQ(hellos_at_client[0], (Hello{kProtocolVersion, "node2", 7}));
  EXPECT_EQ(pongs, std::vector<std::uint64_t>{1001});
  EXPECT_EQ(client.connection->frames_sent(), 2u);
  EXPECT_EQ(server.connection->frames_received(), 2u);
  EXPECT_EQ(server.frames[1].header.sequence, 1u);
  EXPECT_TRUE(client.errors.empty() && server.errors.empty());
  EXPECT_TRUE(client.closes.empty() && server.closes.empty());
}

TEST(WireFramedConnection, many_frames_of_any_size_arrive_whole_and_in_order_over_a_jittery_link) {
  Nodes nodes(9);
  netsim::LinkOptions link;
  link.latency_mean_ns = 2 * io::kNsPerMs;
  link.jitter_ns = io::kNsPerMs;
  link.loss_probability = 0.05;
  nodes.cluster.world().set_default_link(link);
  End client, server;
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  io::Prng prng(3);
  std::vector<io::Bytes> sent;
  for (int i = 0; i < 300; ++i) {
    io::Bytes body(prng.below(i % 25 == 0 ? 500'000 : 2'000));
    for (auto& b : body) b = static_cast<std::uint8_t>(prng.below(256));
    ASSERT_EQ(client.connection->send(MessageType::pong, body), io::Error::ok);
    sent.push_back(std::move(body));
    nodes.run_for(static_cast<std::int64_t>(prng.below(100)) * io::kNsPerUs);
  }
  ASSERT_TRUE(nodes.run_until([&] { return server.frames.size() == sent.size(); }, 60 * io::kNsPerS));
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(server.frames[i].header.sequence, i);
    EXPECT_EQ(server.frames[i].payload, sent[i]) << "frame " << i;
  }
  EXPECT_TRUE(server.errors.empty());
}

TEST(WireFramedConnection, a_write_op_reaches_the_peer_in_the_sender_buffer_itself) {
  Nodes nodes(4);
  End client, server;
  std::vector<ReplicateOp> received;
  server.on_frame = [&](const Frame& frame) {
    auto op = decode_message<ReplicateOp>(frame);
    ASSERT_TRUE(op.ok()) << op.error();
    received.push_back(std::move(op).value());
  };
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  io::Prng prng(5);
  std::vector<ReplicateOp> sent;
  for (std::size_t size : {std::size_t{4096}, kMaxWriteOpBytes, std::size_t{1}, std::size_t{100'000}, std::size_t{0},
                           kMaxWriteOpBytes, std::size_t{65'000}}) {
    io::Bytes data(size);
    for (auto& b : data) b = static_cast<std::uint8_t>(prng.below(256));
    sent.push_back(ReplicateOp{.sequence = sent.size(), .path = "f", .offset = 7, .data = std::move(data)});
    ASSERT_EQ(client.connection->send(sent.back()), io::Error::ok);
  }
  ASSERT_TRUE(nodes.run_until([&] { return received.size() == sent.size(); }));
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(received[i].data, sent[i].data) << "op " << i;
    if (sent[i].data.empty()) continue;
    EXPECT_TRUE(received[i].data.shares_with(sent[i].data)) << "op " << i << ": copied on the way";
    EXPECT_EQ(received[i].data.data(), sent[i].data.data()) << "op " << i;
  }
  EXPECT_TRUE(server.errors.empty());
}

TEST(WireFramedConnection, a_peer_sending_garbage_gets_its_connection_closed_and_the_reason_reported_once) {
  Nodes nodes;
  RawEnd peer(std::move(nodes.client_stream));
  End server;
  server.attach(std::move(nodes.server_stream));
  ASSERT_EQ(peer.write(text_bytes("GET / HTTP/1.1\r\nHost: node2\r\n\r\n")), io::Error::ok);
  nodes.run_for(io::kNsPerS);
  (void)peer.write(text_bytes("more garbage after the first"));  // ok, or bad_handle once the FIN is in
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(server.errors, std::vector<std::string>{"frame 0: bad magic 0x47455420 (not a hamirror stream)"});
  EXPECT_TRUE(server.frames.empty());
  EXPECT_TRUE(server.closes.empty());
  EXPECT_FALSE(server.connection->open());
  EXPECT_EQ(peer.closes, std::vector<io::Error>{io::Error::end_of_stream});
  EXPECT_EQ(server.connection->send(Ping{1}), io::Error::bad_handle);
}

TEST(WireFramedConnection, oversized_unknown_version_and_garbled_frames_each_close_the_connection_with_a_reason) {
  struct Case {
    std::size_t offset;
    io::Bytes patch;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {12, {0xff, 0xff, 0xff, 0xff}, "frame 1: payload of 4294967295 bytes exceeds the limit of 8388608"},
      {12, {0x00, 0x80, 0x00, 0x01}, "frame 1: payload of 8388609 bytes exceeds the limit of 8388608"},
      {4, {0x00, 0x01}, "frame 1: unknown protocol version 1 (this node speaks 4)"},
      {0, {'H', 'M', 'I', 'X'}, "frame 1: bad magic 0x484d4958 (not a hamirror stream)"},
      {6, {0x00, 0x00}, "frame 1: message type 0 is invalid"},
      {8, {0x00, 0x00, 0x00, 0x02}, "frame 1: unknown flags 0x00000002"},
  };
  for (const Case& c : cases) {
    Nodes nodes;
    RawEnd peer(std::move(nodes.client_stream));
    End server;
    server.attach(std::move(nodes.server_stream));
    ASSERT_EQ(peer.write(encode_frame(MessageType::ping, 0, encode_body(Ping{1}))), io::Error::ok);
    io::Bytes bad = encode_frame(MessageType::ping, 1, encode_body(Ping{2}));
    std::copy(c.patch.begin(), c.patch.end(), bad.begin() + static_cast<std::ptrdiff_t>(c.offset));
    ASSERT_EQ(peer.write(bad), io::Error::ok);
    nodes.run_for(io::kNsPerS);
    EXPECT_EQ(server.frames.size(), 1u) << c.reason;
    EXPECT_EQ(server.errors, std::vector<std::string>{c.reason});
    EXPECT_EQ(peer.closes, std::vector<io::Error>{io::Error::end_of_stream}) << c.reason;
  }
}

TEST(WireFramedConnection, a_stream_that_ends_inside_a_frame_is_reported_as_truncated) {
  Nodes nodes;
  RawEnd peer(std::move(nodes.client_stream));
  End server;
  server.attach(std::move(nodes.server_stream));
  const io::Bytes frame = encode_frame(MessageType::hello, 0, encode_body(Hello{1, "node1", 0}));
  ASSERT_EQ(peer.write(io::ByteView(frame).first(30)), io::Error::ok);
  peer.stream->close();
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(server.errors,
            std::vector<std::string>{"frame 0 truncated: the stream ended (end_of_stream) after 30 of its bytes"});
  EXPECT_TRUE(server.closes.empty());
}

TEST(WireFramedConnection, a_frame_out_of_sequence_closes_the_connection) {
  Nodes nodes;
  RawEnd peer(std::move(nodes.client_stream));
  End server;
  server.attach(std::move(nodes.server_stream));
  ASSERT_EQ(peer.write(encode_frame(MessageType::ping, 0, encode_body(Ping{1}))), io::Error::ok);
  ASSERT_EQ(peer.write(encode_frame(MessageType::ping, 0, encode_body(Ping{1}))), io::Error::ok);  // a replay
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(server.frames.size(), 1u);
  EXPECT_EQ(server.errors, std::vector<std::string>{"frame 1: sequence number 0 out of order"});
}

TEST(WireFramedConnection, a_body_the_receiver_refuses_closes_the_connection_through_fail_once) {
  Nodes nodes;
  End client, server;
  server.on_frame = [&](const Frame& frame) {
    auto hello = decode_message<Hello>(frame);
    if (!hello.ok()) server.connection->fail(hello.error());
  };
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  ASSERT_EQ(client.connection->send(Ping{5}), io::Error::ok);
  ASSERT_EQ(client.connection->send(Ping{6}), io::Error::ok);
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(server.frames.size(), 1u);  // nothing is delivered after fail()
  EXPECT_EQ(server.errors, std::vector<std::string>{"expected a hello frame, got type 2"});
  EXPECT_EQ(client.closes, std::vector<io::Error>{io::Error::end_of_stream});
  EXPECT_TRUE(client.errors.empty());
}

TEST(WireFramedConnection, backpressure_surfaces_as_would_block_and_on_writable_says_when_to_retry) {
  Nodes nodes;
  End client, server;
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  server.connection->pause_reading();
  const io::Bytes body(1024 * 1024, 0xab);
  std::uint64_t accepted = 0;
  io::Error result = io::Error::ok;
  for (int i = 0; i < 100 && result == io::Error::ok; ++i) {
    result = client.connection->send(MessageType::pong, body);
    if (result == io::Error::ok) ++accepted;
  }
  ASSERT_EQ(result, io::Error::would_block);
  EXPECT_GE(accepted, 16u);
  EXPECT_LE(accepted, 18u);
  EXPECT_EQ(client.connection->frames_sent(), accepted);  // the refused frame took no number
  EXPECT_EQ(client.connection->send(MessageType::pong, body), io::Error::would_block);
  EXPECT_EQ(client.writable, 0);

  // The reader is paused, so nothing drains and nothing completes...
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(client.writable, 0);
  EXPECT_TRUE(server.frames.empty());
  // ...until it reads again: the first completion says "send again", once.
  server.connection->resume_reading();
  ASSERT_TRUE(nodes.run_until([&] { return client.writable == 1; }));
  const std::uint64_t target = accepted + 10;
  while (client.connection->frames_sent() < target) {
    const io::Error sent = client.connection->send(MessageType::pong, body);
    if (sent == io::Error::would_block) {
      const int before = client.writable;
      ASSERT_TRUE(nodes.run_until([&] { return client.writable > before; }));
    } else {
      ASSERT_EQ(sent, io::Error::ok);
    }
  }
  ASSERT_TRUE(nodes.run_until([&] { return server.frames.size() == target; }, 60 * io::kNsPerS));
  for (std::uint64_t i = 0; i < target; ++i) EXPECT_EQ(server.frames[i].header.sequence, i);
  EXPECT_TRUE(server.errors.empty() && client.errors.empty());
}

TEST(WireFramedConnection, destroying_the_connection_inside_its_frame_handler_is_safe) {
  Nodes nodes;
  End client, server;
  server.on_frame = [&](const Frame&) { server.connection.reset(); };
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  for (std::uint64_t i = 0; i < 3; ++i) ASSERT_EQ(client.connection->send(Ping{i}), io::Error::ok);
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(server.frames.size(), 1u);
  EXPECT_EQ(server.connection, nullptr);
  EXPECT_EQ(client.closes, std::vector<io::Error>{io::Error::end_of_stream});
}

TEST(WireFramedConnection, a_local_close_reports_nothing_locally_and_the_peer_sees_end_of_stream) {
  Nodes nodes;
  End client, server;
  client.attach(std::move(nodes.client_stream));
  server.attach(std::move(nodes.server_stream));
  ASSERT_EQ(client.connection->send(Ping{1}), io::Error::ok);
  client.connection->close();
  EXPECT_EQ(client.connection->send(Ping{2}), io::Error::bad_handle);
  nodes.run_for(io::kNsPerS);
  EXPECT_EQ(server.frames.size(), 1u);  // the queued frame still went out
  EXPECT_EQ(server.closes, std::vector<io::Error>{io::Error::end_of_stream});
  EXPECT_TRUE(client.closes.empty() && client.errors.empty() && server.errors.empty());
}

TEST(WireFramedConnection, a_body_over_the_frame_limit_is_refused_as_message_too_large) {
  Nodes nodes;
  End client;
  client.attach(std::move(nodes.client_stream));
  EXPECT_EQ(client.connection->send(MessageType::pong, io::Bytes(kMaxFrameBytes + 1)), io::Error::message_too_large);
  EXPECT_EQ(client.connection->frames_sent(), 0u);
  EXPECT_EQ(client.connection->send(MessageType::pong, io::Bytes(kMaxFrameBytes)), io::Error::ok);
}

TEST(WireFramedConnection, the_same_seed_gives_the_same_trace_hash) {
  auto run = [](std::uint64_t seed) {
    Nodes nodes(seed);
    netsim::LinkOptions link;
    link.jitter_ns = 50 * io::kNsPerUs;
    link.loss_probability = 0.1;
    nodes.cluster.world().set_default_link(link);
    End client, server;
    server.on_frame = [&](const Frame& frame) {
      auto ping = decode_message<Ping>(frame);
      if (ping.ok()) (void)server.connection->send(Pong{ping.value().nonce});
    };
    client.attach(std::move(nodes.client_stream));
    server.attach(std::move(nodes.server_stream));
    for (std::uint64_t i = 0; i < 50; ++i) (void)client.connection->send(Ping{i});
    nodes.run_for(5 * io::kNsPerS);
    EXPECT_EQ(client.frames.size(), 50u);
    return nodes.cluster.trace().hash();
  };
  EXPECT_EQ(run(4), run(4));
  EXPECT_NE(run(4), run(5));
}

}  // namespace
}  // namespace hamirror::core::wire
