// A frozen node (a stopped process, a paused VM): nothing of it runs while frozen,
// everything its io::Io would have delivered is held and released in order at the
// thaw, and the rest of the world goes on meanwhile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "busy_cluster.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::sim {
namespace {

constexpr std::int64_t kMs = io::kNsPerMs;

// Two quiet nodes "a" and "b" (fixed 100 µs latency), and what each one saw.
struct Pair {
  explicit Pair(const netsim::Options& options = {}) : cluster(1, options) {
    for (const std::string n : {"a", "b"}) cluster.add_node(SimNodeSpec{n, {{"hb", n + ".hb"}, {"repl", n + ".repl"}}, 0});
  }
  SimNode& a() { return cluster.node("a"); }
  SimNode& b() { return cluster.node("b"); }
  std::int64_t now_ns() { return cluster.scheduler().now_ns(); }
  void at_ms(std::int64_t ms, std::function<void()> fn) { cluster.scheduler().at(ms * kMs, std::move(fn)); }
  void run_to_ms(std::int64_t ms) { cluster.scheduler().run_for(ms * kMs - now_ns()); }
  // Logs "what@ms" (the node's own clock).
  void log(SimNode& node, const std::string& what) {
    seen.push_back(node.name() + ":" + what + "@" + std::to_string(node.io().clock.now_ns() / kMs));
  }
  bool trace_has(const std::string& text) {
    const auto& lines = cluster.trace().recent_lines();
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }

  SimCluster cluster;
  std::vector<std::string> seen;
};

using Seen = std::vector<std::string>;

TEST(Freeze, a_frozen_nodes_timer_does_not_fire_until_the_thaw_then_fires_once) {
  Pair pair;
  auto repeating = pair.a().io().clock.make_timer();
  auto one_shot = pair.a().io().clock.make_timer();
  auto others = pair.b().io().clock.make_timer();
  repeating->start(100 * kMs, 100 * kMs, [&] { pair.log(pair.a(), "tick"); });
  one_shot->start(500 * kMs, 0, [&] { pair.log(pair.a(), "once"); });
  others->start(400 * kMs, 400 * kMs, [&] { pair.log(pair.b(), "tick"); });
  pair.at_ms(250, [&] { pair.a().freeze(); });
  pair.at_ms(1050, [&] {
    EXPECT_TRUE(repeating->active() && one_shot->active());  // due, waiting for the node
    pair.a().thaw();
  });
  pair.run_to_ms(1250);
  // Missed periods do not pile up: one overdue tick at the thaw, then the schedule
  // goes on; now_ns() read after the thaw shows the gap. The other node never stopped.
  EXPECT_EQ(pair.seen, (Seen{"a:tick@100", "a:tick@200", "b:tick@400", "b:tick@800", "a:tick@1050", "a:once@1050",
                             "a:tick@1100", "b:tick@1200", "a:tick@1200"}));
  EXPECT_FALSE(one_shot->active());
  EXPECT_TRUE(pair.trace_has("0.250s a: frozen"));
  EXPECT_TRUE(pair.trace_has("1.050s a: thawed, 2 callbacks held"));
}

TEST(Freeze, a_timer_stopped_or_restarted_after_its_held_fire_forgets_that_fire) {
  Pair pair;
  auto stopped = pair.a().io().clock.make_timer();
  auto restarted = pair.a().io().clock.make_timer();
  auto first = pair.a().io().clock.make_timer();
  // The first callback released at the thaw stops one timer and restarts the other.
  first->start(10 * kMs, 0, [&] {
    pair.log(pair.a(), "first");
    stopped->stop();
    restarted->start(50 * kMs, 0, [&] { pair.log(pair.a(), "restarted"); });
  });
  stopped->start(20 * kMs, 0, [&] { pair.log(pair.a(), "stopped"); });
  restarted->start(30 * kMs, 0, [&] { pair.log(pair.a(), "old schedule"); });
  pair.a().freeze();
  pair.at_ms(100, [&] { pair.a().thaw(); });
  pair.run_to_ms(300);
  EXPECT_EQ(pair.seen, (Seen{"a:first@100", "a:restarted@150"}));
}

TEST(Freeze, datagrams_to_a_frozen_node_reach_it_at_the_thaw_in_order_with_its_timers) {
  Pair pair;
  std::unique_ptr<io::DatagramEndpoint> a_end, b_end;
  a_end = pair.a().io().network.open_datagram({"a.hb", 9}, [&](const io::Address&, io::ByteView payload) {
    pair.log(pair.a(), std::string(io::as_text(payload)));
  }).value();
  b_end = pair.b().io().network.open_datagram({"b.hb", 9}, [&](const io::Address&, io::ByteView payload) {
    pair.log(pair.b(), std::string(io::as_text(payload)));
  }).value();
  auto timer = pair.a().io().clock.make_timer();
  timer->start(400 * kMs, 0, [&] { pair.log(pair.a(), "timer"); });
  auto send = [&](io::DatagramEndpoint& from, const std::string& to, const std::string& text) {
    ASSERT_EQ(from.send_to({to, 9}, io::as_bytes(text)), io::Error::ok);
  };
  pair.at_ms(100, [&] { pair.a().freeze(); });
  pair.at_ms(300, [&] { send(*b_end, "a.hb", "d1"); });
  pair.at_ms(500, [&] { send(*b_end, "a.hb", "d2"); });
  pair.at_ms(600, [&] { send(*a_end, "b.hb", "from-a"); });  // the test's doing, not a's
  pair.at_ms(700, [&] { send(*b_end, "a.hb", "d3"); });
  pair.at_ms(1000, [&] { pair.a().thaw(); });
  pair.run_to_ms(1100);
  // Held in arrival order (d1 at 300.1 ms, the timer at 400, d2 at 500.1, d3 at 700.1),
  // released in that order at the thaw. b heard a's datagram on time.
  EXPECT_EQ(pair.seen, (Seen{"b:from-a@600", "a:d1@1000", "a:timer@1000", "a:d2@1000", "a:d3@1000"}));
  EXPECT_EQ(pair.cluster.world().counters().datagrams_delivered, 4u);  // counted on arrival
}

TEST(Freeze, a_frozen_nodes_full_receive_buffer_drops_further_datagrams) {
  Pair pair;
  int received = 0;
  auto a_end = pair.a().io().network.open_datagram({"a.hb", 9}, [&](const io::Address&, io::ByteView) { ++received; }).value();
  auto b_end = pair.b().io().network.open_datagram({"b.hb", 9}, [](const io::Address&, io::ByteView) {}).value();
  pair.a().freeze();
  for (std::size_t i = 0; i < netsim::kMaxHeldDatagrams + 10; ++i) {
    ASSERT_EQ(b_end->send_to({"a.hb", 9}, io::as_bytes(std::to_string(i))), io::Error::ok);
  }
  pair.run_to_ms(100);
  EXPECT_EQ(received, 0);
  EXPECT_EQ(pair.cluster.world().counters().datagrams_dropped_buffer_full, 10u);
  pair.a().thaw();
  pair.run_to_ms(200);
  EXPECT_EQ(received, static_cast<int>(netsim::kMaxHeldDatagrams));
}

// A connected stream between a (connector) and b (acceptor), each end logging.
struct Connected {
  explicit Connected(Pair& pair) : pair(pair) {
    listener = pair.b().io().network.listen({"b.repl", 7}, [this](auto connection) {
      this->pair.log(this->pair.b(), "accept");
      adopt(this->pair.b(), std::move(connection), b_end);
    }).value();
    pair.a().io().network.connect({"b.repl", 7}, [this](auto result) {
      this->pair.log(this->pair.a(), "connected");
      adopt(this->pair.a(), std::move(result).value(), a_end);
    });
  }
  void adopt(SimNode& node, std::unique_ptr<io::StreamConnection> connection,
             std::unique_ptr<io::StreamConnection>& slot) {
    slot = std::move(connection);
    slot->set_handlers([this, &node](io::ByteView chunk) { pair.log(node, "data " + std::string(io::as_text(chunk))); },
                       [this, &node](io::Error reason) { pair.log(node, "close " + std::string(io::error_name(reason))); });
  }
  void write(SimNode& node, io::StreamConnection& end, const std::string& text) {
    ASSERT_EQ(end.write(io::as_bytes(text), [this, &node, text](io::Error r) {
      pair.log(node, "wrote " + text + " " + std::string(io::error_name(r)));
    }), io::Error::ok);
  }

  Pair& pair;
  std::unique_ptr<io::StreamListener> listener;
  std::unique_ptr<io::StreamConnection> a_end, b_end;
};

TEST(Freeze, stream_data_reaches_a_frozen_node_after_the_thaw_and_its_own_writes_leave_on_time) {
  Pair pair;
  Connected stream(pair);
  pair.run_to_ms(10);
  ASSERT_TRUE(stream.a_end && stream.b_end);
  pair.seen.clear();
  pair.at_ms(100, [&] {
    stream.write(pair.a(), *stream.a_end, "hello");  // a's last act before the freeze
    pair.a().freeze();
  });
  pair.at_ms(200, [&] { stream.write(pair.b(), *stream.b_end, "x"); });
  pair.at_ms(300, [&] { stream.write(pair.b(), *stream.b_end, "y"); });
  pair.at_ms(500, [&] { pair.a().thaw(); });
  pair.run_to_ms(600);
  // a's bytes reached b during the freeze; a hears its write complete, then reads
  // all that waited in its buffer, at the thaw.
  EXPECT_EQ(pair.seen, (Seen{"b:data hello@100", "b:wrote x ok@200", "b:wrote y ok@300", "a:wrote hello ok@500",
                             "a:data x@500", "a:data y@500"}));
}

TEST(Freeze, a_long_freeze_fills_the_window_and_stops_the_writer_without_breaking_the_stream) {
  netsim::Options options;
  options.stream_window_bytes = 4096;
  options.stream_break_timeout_ns = 2 * io::kNsPerS;
  Pair pair(options);
  Connected stream(pair);
  pair.run_to_ms(10);
  pair.a().freeze();
  const std::string big(20'000, 'z');
  ASSERT_EQ(stream.b_end->write(io::as_bytes(big), [](io::Error) {}), io::Error::ok);
  pair.run_to_ms(10'000);  // five break timeouts
  EXPECT_EQ(stream.b_end->pending_write_bytes(), big.size()) << "the frozen reader's window stops the writer";
  pair.seen.clear();
  pair.a().thaw();
  pair.run_to_ms(10'100);
  std::string read;
  for (const std::string& line : pair.seen) {
    ASSERT_EQ(line.rfind("a:data ", 0), 0u) << line;  // data only: no close, no break
    read += line.substr(7, line.find('@') - 7);
  }
  EXPECT_EQ(read, big);
  EXPECT_EQ(stream.b_end->pending_write_bytes(), 0u);
  EXPECT_EQ(pair.cluster.world().counters().stream_breaks, 0u);
}

TEST(Freeze, a_stream_that_breaks_while_its_node_is_frozen_reports_it_after_the_thaw) {
  netsim::Options options;
  options.stream_break_timeout_ns = 1 * io::kNsPerS;
  Pair pair(options);
  Connected stream(pair);
  pair.run_to_ms(10);
  pair.seen.clear();
  pair.at_ms(100, [&] {
    pair.cluster.world().partition("a", "b");
    stream.write(pair.a(), *stream.a_end, "lost");  // held at the cut, then broken
    pair.a().freeze();
  });
  pair.at_ms(3000, [&] { pair.a().thaw(); });
  pair.run_to_ms(3100);
  // The write's bytes left a at 100 ms; the break at 1.1 s ends it for both sides.
  EXPECT_EQ(pair.seen, (Seen{"b:close timed_out@1100", "a:wrote lost ok@3000", "a:close timed_out@3000"}));
}

TEST(Freeze, accept_and_connect_results_wait_for_the_thaw_but_the_handshake_does_not) {
  Pair pair;
  pair.b().freeze();  // the acceptor
  Connected to_frozen(pair);
  pair.run_to_ms(100);
  EXPECT_EQ(pair.seen, (Seen{"a:connected@0"}));  // 0.2 ms, printed in whole ms
  ASSERT_TRUE(to_frozen.a_end);
  to_frozen.write(pair.a(), *to_frozen.a_end, "early");
  pair.run_to_ms(200);
  pair.b().thaw();
  pair.run_to_ms(300);
  EXPECT_EQ(pair.seen, (Seen{"a:connected@0", "a:wrote early ok@100", "b:accept@200", "b:data early@200"}));

  pair.seen.clear();
  pair.a().freeze();  // now the connector
  auto listener = pair.b().io().network.listen({"b.repl", 8}, [&](auto connection) {
    pair.log(pair.b(), "accept 2");
    connection->close();
  }).value();
  pair.a().io().network.connect({"b.repl", 8}, [&](auto result) { pair.log(pair.a(), result.ok() ? "connected 2" : "failed"); });
  pair.a().io().network.connect({"b.repl", 9}, [&](auto result) {
    pair.log(pair.a(), std::string("refused? ") + std::string(io::error_name(result.error())));
  });
  pair.run_to_ms(400);
  pair.a().thaw();
  pair.run_to_ms(500);
  // Held in the order they came: the refusal 0.1 ms after the call, the connection 0.2.
  EXPECT_EQ(pair.seen, (Seen{"b:accept 2@300", "a:refused? connection_refused@400", "a:connected 2@400"}));
}

TEST(Freeze, a_disk_write_before_the_freeze_is_on_disk_but_its_callback_waits_for_the_thaw) {
  Pair pair;
  fsim::MemFs& disk = pair.a().disk();
  io::FileSystem& fs = pair.a().io().fs;
  disk.install_file("/f", {});  // durable, so durable_contents() can show it
  std::optional<io::FileHandle> file;
  fs.open("/f", io::OpenFlags{true, true, false, false, false}, [&](auto opened) { file = opened.value(); });
  pair.run_to_ms(1);
  ASSERT_TRUE(file);
  pair.at_ms(100, [&] {
    fs.write(*file, 0, io::as_bytes("synced"), [&](auto r) { pair.log(pair.a(), "write 1 " + std::to_string(r.value())); });
    fs.fsync(*file, [&](io::Error r) { pair.log(pair.a(), "fsync " + std::string(io::error_name(r))); });
    fs.write(*file, 6, io::as_bytes("+more"), [&](auto r) { pair.log(pair.a(), "write 2 " + std::to_string(r.value())); });
    pair.a().freeze();
  });
  pair.run_to_ms(500);
  EXPECT_TRUE(pair.seen.empty());
  EXPECT_EQ(disk.contents("/f"), io::Bytes(io::as_bytes("synced+more").begin(), io::as_bytes("synced+more").end()));
  EXPECT_EQ(disk.durable_contents("/f"), io::Bytes(io::as_bytes("synced").begin(), io::as_bytes("synced").end()));
  pair.a().thaw();
  pair.run_to_ms(600);
  EXPECT_EQ(pair.seen, (Seen{"a:write 1 6@500", "a:fsync ok@500", "a:write 2 5@500"}));
}

TEST(Freeze, a_crash_while_frozen_drops_the_disks_held_completions) {
  Pair pair;
  bool called = false;
  pair.a().io().fs.mkdir("/d", [&](io::Error) { called = true; });
  pair.a().freeze();
  pair.run_to_ms(100);
  pair.a().disk().crash();
  pair.a().thaw();
  pair.run_to_ms(200);
  EXPECT_FALSE(called) << "the process that waited is gone";
}

TEST(Freeze, held_callbacks_of_objects_destroyed_meanwhile_never_run) {
  Pair pair;
  bool fired = false, received = false;
  auto timer = pair.a().io().clock.make_timer();
  timer->start(10 * kMs, 0, [&] { fired = true; });
  auto a_end = pair.a().io().network.open_datagram({"a.hb", 9}, [&](const io::Address&, io::ByteView) { received = true; }).value();
  auto b_end = pair.b().io().network.open_datagram({"b.hb", 9}, [](const io::Address&, io::ByteView) {}).value();
  pair.a().freeze();
  ASSERT_EQ(b_end->send_to({"a.hb", 9}, io::as_bytes("x")), io::Error::ok);
  pair.run_to_ms(100);
  EXPECT_EQ(pair.a().gate().held(), 2u);
  timer.reset();
  a_end.reset();
  pair.a().thaw();
  pair.run_to_ms(200);
  EXPECT_FALSE(fired);
  EXPECT_FALSE(received);
}

TEST(Freeze, processes_services_and_the_vip_act_on_time_and_report_after_the_thaw) {
  Pair pair;
  SimNode& a = pair.a();
  a.processes().script("job", ScriptedRun{0, 50 * kMs, "done"});
  a.services().add_service("app", SimServiceConfig{30 * kMs, 0});
  a.io().processes.run(io::ProcessSpec{"job", {}, {}, {}, 1000}, [&](auto r) {
    pair.log(a, "job exit " + std::to_string(r.value().exit_code));
  });
  a.io().services.start("app", 1000, [&](io::Error r) { pair.log(a, "app " + std::string(io::error_name(r))); });
  a.io().vip.add(io::VipSpec{"10.0.0.99", 24, ""}, [&](io::Error r) { pair.log(a, "vip " + std::string(io::error_name(r))); });
  a.freeze();
  pair.run_to_ms(500);
  EXPECT_TRUE(pair.seen.empty());
  EXPECT_EQ(a.services().state("app"), io::ServiceState::running);  // started at 30 ms
  EXPECT_TRUE(pair.cluster.vips().held_by("10.0.0.99", "a"));
  EXPECT_TRUE(pair.trace_has("0.050s a/processes: job exit 0"));
  a.thaw();
  pair.run_to_ms(600);
  // In the order they completed: the VIP at once, the service at 30 ms, the job at 50.
  EXPECT_EQ(pair.seen, (Seen{"a:vip ok@500", "a:app ok@500", "a:job exit 0@500"}));
}

TEST(Freeze, a_node_frozen_again_before_its_held_callbacks_ran_keeps_holding_them) {
  Pair pair;
  auto timer = pair.a().io().clock.make_timer();
  timer->start(10 * kMs, 0, [&] { pair.log(pair.a(), "tick"); });
  pair.a().freeze();
  pair.at_ms(100, [&] {
    pair.a().thaw();
    pair.a().freeze();  // in the same instant: the release events find it frozen
  });
  pair.at_ms(200, [&] { pair.a().thaw(); });
  pair.run_to_ms(300);
  EXPECT_EQ(pair.seen, (Seen{"a:tick@200"}));
}

// The whole io of a busy node frozen for a second, while its peer keeps going.
TEST(Freeze, the_other_node_runs_normally_while_one_is_frozen) {
  testing::BusyCluster busy(3);
  busy.cluster.scheduler().at(1 * io::kNsPerS, [&] { busy.cluster.node("a").freeze(); });
  busy.cluster.scheduler().at(2 * io::kNsPerS, [&] { busy.cluster.node("a").thaw(); });
  busy.cluster.scheduler().run_for(3 * io::kNsPerS);
  auto in_freeze = [](const std::vector<std::string>& log, bool include_thaw) {
    int count = 0;
    for (const std::string& line : log) {
      const std::int64_t t = std::stoll(line);
      if (t > io::kNsPerS && (t < 2 * io::kNsPerS || (include_thaw && t == 2 * io::kNsPerS))) ++count;
    }
    return count;
  };
  EXPECT_EQ(in_freeze(busy.a->log(), false), 0) << "a ran nothing while frozen";
  EXPECT_GT(in_freeze(busy.a->log(), true), 20) << "a's held callbacks ran at the thaw";
  EXPECT_GT(in_freeze(busy.b->log(), false), 50) << "b went on: pulses, its disk, a's datagrams were simply not answered";
  // One overdue pulse at the thaw, not one per missed period (27 were missed).
  EXPECT_LT(busy.a->pulses(), busy.b->pulses() - 20);
}

// Golden hashes of the busy cluster, never frozen, as computed before nodes could
// freeze: gates that never close must not change a single event. (They change, and
// must be updated here, only when the simulator's behaviour changes on purpose.)
TEST(Freeze, a_never_frozen_run_has_the_trace_hash_it_had_before_gates_existed) {
  const std::uint64_t expected[] = {0x0ecd525529a45cc5, 0xec9bb0dc154fb8a0, 0x36e66a915a6d7f3d};
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    testing::BusyCluster busy(seed);
    busy.cluster.scheduler().run_for(3 * io::kNsPerS);
    EXPECT_EQ(busy.cluster.trace().hash(), expected[seed - 1]) << "seed " << seed;
  }
}

TEST(Freeze, a_run_with_a_freeze_is_deterministic_and_differs_from_one_without) {
  auto run = [](bool freeze) {
    testing::BusyCluster busy(5);
    if (freeze) {
      busy.cluster.scheduler().at(700 * kMs, [&] { busy.cluster.node("b").freeze(); });
      busy.cluster.scheduler().at(1900 * kMs, [&] { busy.cluster.node("b").thaw(); });
    }
    busy.cluster.scheduler().run_for(3 * io::kNsPerS);
    return busy.cluster.trace().hash();
  };
  const std::uint64_t frozen = run(true);
  std::printf("frozen run trace=%016" PRIx64 "\n", frozen);
  EXPECT_EQ(frozen, run(true));
  EXPECT_NE(frozen, run(false));
}

}  // namespace
}  // namespace hamirror::sim
