// The simulated virtual IP: one VipRegistry per simulated world records which node
// holds which address over virtual time, and answers the safety question of a
// two-node cluster: was an address ever held by two nodes at the same instant?
//
// Holding intervals are half-open, [from_ns, until_ns): a node that releases at t and
// a node that acquires at t hand over cleanly; both holding over any stretch of time,
// however short, is an overlap.
//
// SimVirtualIp is one node's io::VirtualIp over the registry. To judge safety
// conservatively it counts an address as held from the moment add() is *called*
// (the kernel may answer before the call returns) until remove() *completes* (it
// may answer until then). Fault model: none by default; an error can be injected per
// operation, and latencies set. Completions always go through the scheduler, then
// through the node's NodeGate if it has one (a frozen node's are held; the address
// is acquired and released on time all the same, as the kernel does it);
// destroying a SimVirtualIp cancels its pending completions but does not release its
// addresses (a crashed process leaves the address on the interface; the world calls
// VipRegistry::release_all when the machine itself goes down).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "io/virtual_ip.h"
#include "sim/node_gate.h"
#include "sim/scheduler.h"

namespace hamirror::sim {

// Bounds the history kept per address: a flapping VIP fails loudly.
constexpr std::size_t kMaxVipIntervals = 100'000;
// Bounds one node's completions waiting on the scheduler.
constexpr std::size_t kMaxPendingVipCalls = 1024;
// until_ns of an interval still open.
constexpr std::int64_t kStillHeld = std::numeric_limits<std::int64_t>::max();

struct VipInterval {
  std::string node;
  std::int64_t from_ns = 0;
  std::int64_t until_ns = kStillHeld;
  friend bool operator==(const VipInterval&, const VipInterval&) = default;
};

// Two nodes held `address` together during [from_ns, until_ns).
struct VipOverlap {
  std::string address;
  std::string first_node;   // the one that acquired first
  std::string second_node;
  std::int64_t from_ns = 0;
  std::int64_t until_ns = 0;  // kStillHeld: both still hold it
};

std::string to_string(const VipOverlap& overlap);

class VipRegistry {
 public:
  explicit VipRegistry(Scheduler& scheduler) : scheduler_(scheduler) {}
  VipRegistry(const VipRegistry&) = delete;
  VipRegistry& operator=(const VipRegistry&) = delete;

  // At the scheduler's current time. Idempotent: acquiring a held address or
  // releasing one not held changes nothing.
  void acquire(const std::string& address, const std::string& node);
  void release(const std::string& address, const std::string& node);
  // The node's machine went down: every address it holds is released now.
  void release_all(const std::string& node);

  bool held_by(const std::string& address, const std::string& node) const;
  // Nodes holding the address now, by name.
  std::vector<std::string> holders(const std::string& address) const;
  // Every interval for the address, in order of acquisition (empty if never held).
  const std::vector<VipInterval>& history(const std::string& address) const;

  // The earliest-starting overlap of two holders, for one address or for any.
  std::optional<VipOverlap> first_overlap(const std::string& address) const;
  std::optional<VipOverlap> first_overlap() const;

 private:
  Scheduler& scheduler_;
  std::map<std::string, std::vector<VipInterval>> history_;  // by address
  const std::vector<VipInterval> never_held_;                // what history() returns for those
};

struct SimVirtualIpOptions {
  std::int64_t add_latency_ns = 0;
  std::int64_t remove_latency_ns = 0;
  std::int64_t check_latency_ns = 0;
};

class SimVirtualIp final : public io::VirtualIp {
 public:
  SimVirtualIp(VipRegistry& registry, std::string node_name, Scheduler& scheduler, SimVirtualIpOptions options = {});
  ~SimVirtualIp() override;

  // Injected failures, until set back to ok. A failing add leaves the address not
  // held; a failing remove leaves it held; a failing check reports the error.
  void set_add_error(io::Error error) { add_error_ = error; }
  void set_remove_error(io::Error error) { remove_error_ = error; }
  void set_check_error(io::Error error) { check_error_ = error; }

  void add(const io::VipSpec& vip, DoneFn done) override;
  void remove(const io::VipSpec& vip, DoneFn done) override;
  void check(const io::VipSpec& vip, CheckFn done) override;

  // Completions go through `gate` (null: none). Set before the first call.
  void set_gate(NodeGate* gate) { gated_.set_gate(gate); }

 private:
  void complete_after(std::int64_t delay_ns, std::function<void()> fn);

  VipRegistry& registry_;
  std::string node_;
  Scheduler& scheduler_;
  SimVirtualIpOptions options_;
  io::Error add_error_ = io::Error::ok;
  io::Error remove_error_ = io::Error::ok;
  io::Error check_error_ = io::Error::ok;
  std::set<Scheduler::EventId> pending_;
  GatedCallbacks gated_;
};

}  // namespace hamirror::sim
