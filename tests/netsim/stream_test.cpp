#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster.h"

namespace hamirror::netsim {
namespace {

using testing::Cluster;
using testing::pattern;
using testing::Peer;
using testing::Stream;

// Writes `text` and appends the write's result to `results` when it completes.
io::Error write(Peer& peer, const std::string& text, std::vector<io::Error>* results = nullptr) {
  return peer.connection->write(io::as_bytes(text), [results](io::Error result) {
    if (results != nullptr) results->push_back(result);
  });
}

TEST(NetsimStream, accept_takes_one_latency_and_connected_another) {
  Cluster cluster;
  std::unique_ptr<io::StreamConnection> server, client;
  std::int64_t accepted_ns = -1, connected_ns = -1;
  auto listener = cluster.net2->listen({"node2.repl", 7000}, [&](auto connection) {
    server = std::move(connection);
    accepted_ns = cluster.now_ns();
  });
  ASSERT_TRUE(listener.ok());
  cluster.net1->connect({"node2.repl", 7000}, [&](auto result) {
    ASSERT_TRUE(result.ok());
    client = std::move(result.value());
    connected_ns = cluster.now_ns();
  });
  EXPECT_EQ(client, nullptr);  // never inside connect()
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(accepted_ns, kDefaultLatencyNs);
  EXPECT_EQ(connected_ns, 2 * kDefaultLatencyNs);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(client->remote_address(), (io::Address{"node2.repl", 7000}));
  EXPECT_EQ(client->local_address(), (io::Address{"node1.repl", kFirstEphemeralPort}));
  EXPECT_EQ(server->remote_address(), client->local_address());
  EXPECT_EQ(server->local_address(), client->remote_address());
}

TEST(NetsimStream, bytes_arrive_in_order_across_many_writes_despite_jitter_and_loss) {
  Cluster cluster(5);
  LinkOptions link;
  link.latency_min_ns = 100 * io::kNsPerUs;
  link.latency_mean_ns = 2 * io::kNsPerMs;
  link.jitter_ns = 1 * io::kNsPerMs;
  link.loss_probability = 0.1;  // costs retransmissions, never bytes
  link.duplicate_probability = 0.5;
  link.reorder_probability = 0.5;
  cluster.world.set_default_link(link);
  Stream stream(cluster);
  ASSERT_TRUE(stream.open());
  std::string sent;
  for (int i = 0; i < 300; ++i) {
    const std::string piece = pattern("w" + std::to_string(i), 1 + (i * 7919) % 5000);
    ASSERT_EQ(write(stream.client, piece), io::Error::ok);
    sent += piece;
    cluster.scheduler.run_for((i % 3) * 50 * io::kNsPerUs);
  }
  const std::string big = pattern("big", 1'000'000);
  ASSERT_EQ(write(stream.client, big), io::Error::ok);
  sent += big;
  cluster.scheduler.run_for(5 * io::kNsPerS);
  EXPECT_EQ(stream.server.data, sent);
  EXPECT_GT(cluster.world.counters().stream_retransmits, 0u);
  EXPECT_TRUE(stream.server.closes.empty());
}

TEST(NetsimStream, large_writes_arrive_in_chunks_of_at_most_64_KiB) {
  Cluster cluster;
  Stream stream(cluster);
  ASSERT_EQ(write(stream.client, pattern("x", 1'000'000)), io::Error::ok);
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(stream.server.data, pattern("x", 1'000'000));
  EXPECT_GE(stream.server.chunks, 1'000'000 / 65'536 + 1);
}

TEST(NetsimStream, write_completions_run_in_order_and_never_inside_write) {
  Cluster cluster;
  Stream stream(cluster);
  std::vector<int> completed;
  for (int i = 0; i < 20; ++i) {
    const std::string piece = pattern("p", 100'000);
    ASSERT_EQ(stream.client.connection->write(io::as_bytes(piece),
                                              [&completed, i](io::Error result) {
                                                EXPECT_EQ(result, io::Error::ok);
                                                completed.push_back(i);
                                              }),
              io::Error::ok);
  }
  EXPECT_TRUE(completed.empty());
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), 2'000'000u);
  cluster.scheduler.run_for(io::kNsPerS);
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(completed, expected);
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), 0u);
  EXPECT_EQ(stream.server.data.size(), 2'000'000u);
}

TEST(NetsimStream, write_returns_would_block_beyond_the_pending_limit_then_completes_in_order) {
  Cluster cluster;
  Stream stream(cluster);
  stream.server.connection->pause_reading();
  const std::string mib = pattern("m", 1024 * 1024);
  std::vector<io::Error> results;
  int accepted = 0;
  while (write(stream.client, mib, &results) == io::Error::ok) ++accepted;
  EXPECT_EQ(accepted, 16);  // 16 MiB = io::kMaxPendingWriteBytes
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), io::kMaxPendingWriteBytes);

  // The paused reader stops the writer once the window is full: only the first MiB
  // gets onto the wire and completes, which makes room for one more write, no more.
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok}));
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), io::kMaxPendingWriteBytes - mib.size());
  EXPECT_EQ(write(stream.client, mib, &results), io::Error::ok);
  EXPECT_EQ(write(stream.client, "more"), io::Error::would_block);
  EXPECT_TRUE(stream.server.data.empty());

  stream.server.connection->resume_reading();
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(results, std::vector<io::Error>(17, io::Error::ok));
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), 0u);
  EXPECT_EQ(stream.server.data.size(), 17u * mib.size());
  EXPECT_EQ(stream.server.data.substr(0, mib.size()), mib);
}

TEST(NetsimStream, pause_holds_data_and_resume_delivers_it_in_order_from_the_loop) {
  Cluster cluster;
  Stream stream(cluster);
  stream.server.connection->pause_reading();
  ASSERT_EQ(write(stream.client, "hello "), io::Error::ok);
  ASSERT_EQ(write(stream.client, "world"), io::Error::ok);
  cluster.scheduler.run_for(10 * io::kNsPerMs);
  EXPECT_TRUE(stream.server.data.empty());
  stream.server.connection->resume_reading();
  EXPECT_TRUE(stream.server.data.empty());  // not inside resume_reading
  cluster.scheduler.run_for(io::kNsPerMs);
  EXPECT_EQ(stream.server.data, "hello world");
}

TEST(NetsimStream, data_waits_for_set_handlers) {
  Cluster cluster;
  Stream stream(cluster, "repl", /*attach=*/false);
  ASSERT_EQ(write(stream.client, "early"), io::Error::ok);
  cluster.scheduler.run_for(10 * io::kNsPerMs);
  stream.server.attach();
  EXPECT_TRUE(stream.server.data.empty());
  cluster.scheduler.run_for(io::kNsPerMs);
  EXPECT_EQ(stream.server.data, "early");
}

TEST(NetsimStream, close_flushes_queued_writes_then_the_peer_sees_end_of_stream) {
  Cluster cluster;
  LinkOptions link;
  link.bandwidth_bytes_per_s = 10'000'000;
  cluster.world.set_default_link(link);
  Stream stream(cluster);
  std::vector<io::Error> results;
  const std::string sent = pattern("c", 3'000'000);
  ASSERT_EQ(write(stream.client, sent, &results), io::Error::ok);
  stream.client.connection->close();
  EXPECT_EQ(write(stream.client, "after close"), io::Error::bad_handle);
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(stream.server.data, sent);
  EXPECT_EQ(stream.server.closes, (std::vector<io::Error>{io::Error::end_of_stream}));
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok}));
  EXPECT_TRUE(stream.client.closes.empty());  // a local close is not reported back
  EXPECT_EQ(write(stream.server, "to a closed peer"), io::Error::bad_handle);
}

TEST(NetsimStream, destroying_a_connection_flushes_it_but_runs_none_of_its_callbacks) {
  Cluster cluster;
  Stream stream(cluster);
  bool completed = false;
  ASSERT_EQ(stream.client.connection->write(io::as_bytes("last words"), [&](io::Error) { completed = true; }),
            io::Error::ok);
  ASSERT_EQ(write(stream.server, "never read"), io::Error::ok);
  stream.client.connection.reset();
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_FALSE(completed);
  EXPECT_TRUE(stream.client.data.empty());
  EXPECT_TRUE(stream.client.closes.empty());
  EXPECT_EQ(stream.server.data, "last words");
  EXPECT_EQ(stream.server.closes, (std::vector<io::Error>{io::Error::end_of_stream}));
}

TEST(NetsimStream, a_reader_may_destroy_its_connection_inside_on_data) {
  Cluster cluster;
  Stream stream(cluster, "repl", /*attach=*/false);
  int calls = 0;
  stream.server.connection->set_handlers(
      [&](io::ByteView) {
        ++calls;
        stream.server.connection.reset();
      },
      [&](io::Error) { ADD_FAILURE() << "on_close after destruction"; });
  stream.client.attach();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(write(stream.client, pattern("d", 100'000)), io::Error::ok);
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), 0u);  // all taken, then discarded
  EXPECT_EQ(stream.client.closes, (std::vector<io::Error>{io::Error::end_of_stream}));
}

TEST(NetsimStream, bandwidth_limits_stream_throughput) {
  Cluster cluster;
  LinkOptions link;
  link.bandwidth_bytes_per_s = 1'000'000;
  cluster.world.set_default_link(link);
  Stream stream(cluster);
  std::int64_t done_ns = -1;
  const std::int64_t start_ns = cluster.now_ns();
  ASSERT_EQ(stream.client.connection->write(io::as_bytes(pattern("b", 500'000)),
                                            [&](io::Error) { done_ns = cluster.now_ns(); }),
            io::Error::ok);
  cluster.scheduler.run_for(2 * io::kNsPerS);
  EXPECT_EQ(done_ns - start_ns, 500 * io::kNsPerMs);
  EXPECT_EQ(stream.server.data.size(), 500'000u);
}

TEST(NetsimStream, connect_to_a_port_without_listener_is_refused_after_one_latency) {
  Cluster cluster;
  io::Error error = io::Error::ok;
  std::int64_t at_ns = -1;
  cluster.net1->connect({"node2.repl", 7999}, [&](auto result) {
    error = result.error();
    at_ns = cluster.now_ns();
  });
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(error, io::Error::connection_refused);
  EXPECT_EQ(at_ns, kDefaultLatencyNs);
  EXPECT_EQ(cluster.world.counters().connects_refused, 1u);
}

TEST(NetsimStream, connect_to_a_destroyed_listener_is_refused) {
  Cluster cluster;
  auto listener = cluster.net2->listen({"node2.repl", 7000}, [](auto) { ADD_FAILURE() << "accepted"; });
  ASSERT_TRUE(listener.ok());
  io::Error error = io::Error::ok;
  cluster.net1->connect({"node2.repl", 7000}, [&](auto result) { error = result.error(); });
  listener.value().reset();
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(error, io::Error::connection_refused);
}

TEST(NetsimStream, connect_to_an_unknown_host_or_foreign_network_is_unreachable) {
  Cluster cluster;
  cluster.world.add_host("node3", "other", "node3.other");
  std::vector<io::Error> errors;
  cluster.net1->connect({"nowhere", 7000}, [&](auto result) { errors.push_back(result.error()); });
  cluster.net1->connect({"node3.other", 7000}, [&](auto result) { errors.push_back(result.error()); });
  EXPECT_TRUE(errors.empty());
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(errors, (std::vector<io::Error>{io::Error::unreachable, io::Error::unreachable}));
}

TEST(NetsimStream, a_destroyed_network_never_runs_its_connect_callback) {
  Cluster cluster;
  Peer server;
  auto listener = cluster.net2->listen({"node2.repl", 7000}, [&](auto connection) {
    server.connection = std::move(connection);
    server.attach();
  });
  bool called = false;
  cluster.net1->connect({"node2.repl", 7000}, [&](auto) { called = true; });
  cluster.scheduler.run_for(kDefaultLatencyNs);
  ASSERT_NE(server.connection, nullptr);  // accepted; the answer is on its way back
  cluster.net1.reset();
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_FALSE(called);
  // Nobody owns the connector's end, so it closed at once.
  EXPECT_EQ(server.closes, (std::vector<io::Error>{io::Error::end_of_stream}));
}

}  // namespace
}  // namespace hamirror::netsim
