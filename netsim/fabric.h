// The simulated network's shared state behind World: hosts, bound ports, who listens
// where, links, partitions, counters, and the one PRNG stream every fault decision
// draws from. Internal to netsim: SimNetwork and its endpoints, listeners and streams
// work through it; tests and the fault runner use World.
//
// Events it posts do nothing once the World is gone, so a scheduler that outlives
// the World never calls into freed memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "io/network.h"
#include "io/random.h"
#include "netsim/counters.h"
#include "netsim/links.h"
#include "netsim/options.h"
#include "netsim/partitions.h"
#include "netsim/world.h"
#include "sim/scheduler.h"

namespace hamirror::netsim {

class SimDatagramEndpoint;
class SimListener;
class StreamPair;

constexpr std::size_t kMaxHosts = 1024;
// Live streams the fabric tracks for partition changes; a leak shows up here first.
constexpr std::size_t kMaxStreams = 65'536;

// UDP and TCP have separate port spaces, as on a real host.
enum class Protocol : std::uint8_t { datagram, stream };

struct HostInfo {
  std::string node;
  std::string network;
};

class Fabric {
 public:
  Fabric(sim::Scheduler& scheduler, io::Prng& prng, const Options& options);
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  sim::Scheduler& scheduler() { return scheduler_; }
  std::int64_t now_ns() const { return scheduler_.now_ns(); }
  io::Prng& prng() { return prng_; }
  const Options& options() const { return options_; }
  Links& links() { return links_; }
  Partitions& partitions() { return partitions_; }
  const Partitions& partitions() const { return partitions_; }
  Counters& counters() { return counters_; }

  // Hosts. A host string belongs to exactly one node, on exactly one network.
  void add_host(const std::string& node, const std::string& network, const std::string& host);
  bool has_node(const std::string& node) const { return nodes_.contains(node); }
  const HostInfo* host(const std::string& host) const;
  // The node's host on `network` (the first by name if it has several), or null.
  const std::string* host_of(const std::string& node, const std::string& network) const;
  // True when traffic from node `from` cannot reach node `to` on `network`.
  bool blocked(const std::string& from, const std::string& to, const std::string& network) const {
    return partitions_.blocks(from, to, network);
  }

  // Ports. Binding checks that `node` owns the host (address_unavailable), that the
  // port is free (address_in_use), and turns port 0 into the next free ephemeral one.
  io::Result<io::Address> bind(const std::string& node, Protocol protocol, const io::Address& requested);
  void unbind(Protocol protocol, const io::Address& address);

  // Who receives at an address right now (looked up when a message arrives, so a
  // destroyed receiver is simply absent).
  void add_endpoint(const io::Address& address, SimDatagramEndpoint* endpoint);
  void remove_endpoint(const io::Address& address);
  SimDatagramEndpoint* endpoint_at(const io::Address& address) const;
  void add_listener(const io::Address& address, SimListener* listener);
  void remove_listener(const io::Address& address);
  SimListener* listener_at(const io::Address& address) const;

  // Streams, told about every partition change in the order they were opened.
  std::uint64_t allocate_stream_id() { return next_stream_id_++; }
  void add_stream(std::uint64_t id, const std::shared_ptr<StreamPair>& pair);
  void partitions_changed();

  // Schedules fn; it does nothing if the World is destroyed first. A template, so the
  // event keeps fn itself (with the weak reference, in place in the scheduler's
  // sim::Action when small): a std::function here allocated for every chunk's arrival
  // and every write's completion.
  template <typename Fn>
  sim::Scheduler::EventId post_at(std::int64_t time_ns, Fn&& fn) {
    return scheduler_.at(time_ns, [alive = std::weak_ptr<int>(alive_), fn = std::forward<Fn>(fn)]() mutable {
      if (!alive.expired()) fn();
    });
  }
  template <typename Fn>
  sim::Scheduler::EventId post_after(std::int64_t delay_ns, Fn&& fn) {
    return post_at(now_ns() + delay_ns, std::forward<Fn>(fn));
  }
  void cancel(sim::Scheduler::EventId id) { scheduler_.cancel(id); }
  // Folds a fact into the run's trace (and its bytes into the hash).
  void record(std::string_view what, io::ByteView payload = {});
  // As above with the bytes in several pieces, each folded with its length.
  void record(std::string_view what, std::span<const io::ByteView> pieces);

  void set_delivery_observer(DeliveryObserver observer) { delivery_observer_ = std::move(observer); }
  void delivered(const HostInfo& from, const HostInfo& to, std::uint16_t to_port) const {
    if (delivery_observer_) delivery_observer_(from.node, to.node, to_port);
  }

  // Networks, endpoints, listeners and connections alive; the World asserts zero at
  // its end, because each of them calls back into the fabric when destroyed.
  void object_opened() { ++live_objects_; }
  void object_closed();
  std::size_t live_objects() const { return live_objects_; }

 private:
  sim::Scheduler& scheduler_;
  io::Prng prng_;
  Options options_;
  Links links_;
  Partitions partitions_;
  Counters counters_;
  std::map<std::string, HostInfo> hosts_;
  std::set<std::string> nodes_;
  std::set<std::pair<Protocol, io::Address>> bound_;
  std::map<std::pair<Protocol, std::string>, std::uint16_t> next_ephemeral_;
  std::map<io::Address, SimDatagramEndpoint*> endpoints_;
  std::map<io::Address, SimListener*> listeners_;
  std::map<std::uint64_t, std::weak_ptr<StreamPair>> streams_;
  std::uint64_t next_stream_id_ = 1;
  std::size_t live_objects_ = 0;
  DeliveryObserver delivery_observer_;
  // Events hold a weak reference: expired means the World is gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace hamirror::netsim
