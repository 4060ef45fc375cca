#include "sim/sim_vip.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "io/assert.h"

namespace hamirror::sim {

std::string to_string(const VipOverlap& overlap) {
  const std::string until = overlap.until_ns == kStillHeld ? "now" : format_time(overlap.until_ns);
  return overlap.address + " held by both " + overlap.first_node + " and " + overlap.second_node + " from " +
         format_time(overlap.from_ns) + " until " + until;
}

// ---- VipRegistry ----

void VipRegistry::acquire(const std::string& address, const std::string& node) {
  HM_ASSERT(!address.empty() && !node.empty());
  if (held_by(address, node)) return;
  std::vector<VipInterval>& intervals = history_[address];
  HM_ASSERT(intervals.size() < kMaxVipIntervals);
  HM_ASSERT(intervals.empty() || intervals.back().from_ns <= scheduler_.now_ns());
  intervals.push_back(VipInterval{node, scheduler_.now_ns(), kStillHeld});
  scheduler_.trace().record(scheduler_.now_ns(), "vip", address + " acquired by " + node);
}

void VipRegistry::release(const std::string& address, const std::string& node) {
  const auto found = history_.find(address);
  if (found == history_.end()) return;
  for (VipInterval& interval : found->second) {
    if (interval.node != node || interval.until_ns != kStillHeld) continue;
    interval.until_ns = scheduler_.now_ns();
    scheduler_.trace().record(scheduler_.now_ns(), "vip", address + " released by " + node);
    return;  // a node holds an address at most once at a time
  }
}

void VipRegistry::release_all(const std::string& node) {
  std::vector<std::string> held;
  for (const auto& [address, intervals] : history_) {
    if (held_by(address, node)) held.push_back(address);
  }
  for (const std::string& address : held) release(address, node);
}

bool VipRegistry::held_by(const std::string& address, const std::string& node) const {
  const auto found = history_.find(address);
  if (found == history_.end()) return false;
  return std::any_of(found->second.begin(), found->second.end(),
                     [&](const VipInterval& i) { return i.node == node && i.until_ns == kStillHeld; });
}

std::vector<std::string> VipRegistry::holders(const std::string& address) const {
  std::vector<std::string> nodes;
  const auto found = history_.find(address);
  if (found == history_.end()) return nodes;
  for (const VipInterval& interval : found->second) {
    if (interval.until_ns == kStillHeld) nodes.push_back(interval.node);
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

const std::vector<VipInterval>& VipRegistry::history(const std::string& address) const {
  const auto found = history_.find(address);
  return found == history_.end() ? never_held_ : found->second;
}

std::optional<VipOverlap> VipRegistry::first_overlap(const std::string& address) const {
  const std::vector<VipInterval>& intervals = history(address);
  // Intervals are appended in order of from_ns. Sweep, keeping the earlier interval
  // that ends last: a later interval overlaps some earlier one iff it starts before
  // that one ends. (It cannot be the same node's: a node's own intervals never
  // overlap, and any other overlapping interval would end even later.)
  const VipInterval* reach = nullptr;
  for (const VipInterval& current : intervals) {
    if (reach != nullptr && current.from_ns < reach->until_ns) {
      HM_ASSERT(current.node != reach->node);
      return VipOverlap{address, reach->node, current.node, current.from_ns,
                        std::min(current.until_ns, reach->until_ns)};
    }
    if (reach == nullptr || current.until_ns > reach->until_ns) reach = &current;
  }
  return std::nullopt;
}

std::optional<VipOverlap> VipRegistry::first_overlap() const {
  std::optional<VipOverlap> first;
  for (const auto& [address, intervals] : history_) {
    auto overlap = first_overlap(address);
    if (overlap && (!first || overlap->from_ns < first->from_ns)) first = std::move(overlap);
  }
  return first;
}

// ---- SimVirtualIp ----

SimVirtualIp::SimVirtualIp(VipRegistry& registry, std::string node_name, Scheduler& scheduler,
                           SimVirtualIpOptions options)
    : registry_(registry), node_(std::move(node_name)), scheduler_(scheduler), options_(options) {
  HM_ASSERT(!node_.empty());
  HM_ASSERT(options_.add_latency_ns >= 0 && options_.remove_latency_ns >= 0 && options_.check_latency_ns >= 0);
}

SimVirtualIp::~SimVirtualIp() {
  for (const Scheduler::EventId id : pending_) scheduler_.cancel(id);
}

namespace {
bool valid(const io::VipSpec& vip) { return !vip.address.empty() && vip.prefix_length >= 1 && vip.prefix_length <= 128; }
}  // namespace

void SimVirtualIp::complete_after(std::int64_t delay_ns, std::function<void()> fn) {
  HM_ASSERT(pending_.size() < kMaxPendingVipCalls);
  auto id = std::make_shared<Scheduler::EventId>(0);
  *id = scheduler_.after(delay_ns, [this, id, fn = std::move(fn)] {
    pending_.erase(*id);
    fn();
  });
  pending_.insert(*id);
}

void SimVirtualIp::add(const io::VipSpec& vip, DoneFn done) {
  HM_ASSERT(done);
  const io::Error error = !valid(vip) ? io::Error::invalid_argument : add_error_;
  if (error == io::Error::ok) registry_.acquire(vip.address, node_);  // may answer from now on
  complete_after(options_.add_latency_ns, [this, error, done = std::move(done)] { gated_.run([done, error] { done(error); }); });
}

void SimVirtualIp::remove(const io::VipSpec& vip, DoneFn done) {
  HM_ASSERT(done);
  const io::Error error = !valid(vip) ? io::Error::invalid_argument : remove_error_;
  complete_after(options_.remove_latency_ns, [this, error, address = vip.address, done = std::move(done)] {
    if (error == io::Error::ok) registry_.release(address, node_);  // answered until now
    gated_.run([done, error] { done(error); });
  });
}

void SimVirtualIp::check(const io::VipSpec& vip, CheckFn done) {
  HM_ASSERT(done);
  const io::Error error = !valid(vip) ? io::Error::invalid_argument : check_error_;
  complete_after(options_.check_latency_ns, [this, error, address = vip.address, done = std::move(done)] {
    if (error != io::Error::ok) {
      gated_.run([done, error] { done(error); });
      return;
    }
    gated_.run([done, held = registry_.held_by(address, node_)] { done(held); });
  });
}

}  // namespace hamirror::sim
