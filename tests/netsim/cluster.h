// Test fixture: two nodes on two networks ("hb" for heartbeats, "repl" for
// replication), each node with its own io::Network, over one scheduler.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/network.h"
#include "io/random.h"
#include "netsim/world.h"
#include "sim/scheduler.h"
#include "sim/trace.h"

namespace hamirror::netsim::testing {

struct Cluster {
  explicit Cluster(std::uint64_t seed = 1, const Options& options = {})
      : scheduler(trace), prng(seed), world(scheduler, prng, options) {
    world.add_host("node1", "hb", "node1.hb");
    world.add_host("node1", "repl", "node1.repl");
    world.add_host("node2", "hb", "node2.hb");
    world.add_host("node2", "repl", "node2.repl");
    net1 = world.make_network("node1");
    net2 = world.make_network("node2");
  }

  std::int64_t now_ns() const { return scheduler.now_ns(); }

  sim::Trace trace;
  sim::Scheduler scheduler;
  io::Prng prng;
  World world;  // declared before the networks: it must outlive them
  std::unique_ptr<io::Network> net1;
  std::unique_ptr<io::Network> net2;
};

// Everything a datagram endpoint received, with arrival times.
struct Received {
  struct Datagram {
    io::Address from;
    std::string payload;
    std::int64_t at_ns;
  };
  io::DatagramEndpoint::ReceiveFn sink(const sim::Scheduler& scheduler) {
    return [this, &scheduler](const io::Address& from, io::ByteView payload) {
      datagrams.push_back({from, std::string(io::as_text(payload)), scheduler.now_ns()});
    };
  }
  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& d : datagrams) out.push_back(d.payload);
    return out;
  }
  std::vector<Datagram> datagrams;
};

// One end of a stream, as its owner sees it.
struct Peer {
  void attach() {
    connection->set_handlers([this](io::ByteView chunk) { data += std::string(io::as_text(chunk)); ++chunks; },
                             [this](io::Error reason) { closes.push_back(reason); });
  }
  std::unique_ptr<io::StreamConnection> connection;
  std::string data;
  int chunks = 0;
  std::vector<io::Error> closes;
};

// Opens a stream from node1 to a listener on node2's `network` and runs until both
// ends exist. The listener is kept in `listener` so the test controls its lifetime.
struct Stream {
  Stream(Cluster& cluster, const std::string& network = "repl", bool attach = true) {
    auto listening = cluster.net2->listen({"node2." + network, 7000}, [this, attach](auto connection) {
      server.connection = std::move(connection);
      if (attach) server.attach();
    });
    listener = std::move(listening.value());
    cluster.net1->connect({"node2." + network, 7000}, [this, attach](auto result) {
      client.connection = std::move(result.value());
      if (attach) client.attach();
    });
    cluster.scheduler.run_until([this] { return client.connection && server.connection; },
                                cluster.now_ns() + io::kNsPerS);
  }
  bool open() const { return client.connection && server.connection; }

  std::unique_ptr<io::StreamListener> listener;
  Peer client;
  Peer server;
};

// Distinct, recognisable bytes: "<tag>:<index>|" repeated to `size`.
inline std::string pattern(const std::string& tag, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; out.size() < size; ++i) out += tag + ":" + std::to_string(i) + "|";
  out.resize(size);
  return out;
}

}  // namespace hamirror::netsim::testing
