// The heartbeat datagram: msgpack [version, node name, sequence, state, outdated,
// request_outdate, generation]. Besides "I am alive", it carries the sender's state, whether it
// durably marked its data outdated, and (from a primary that lost the replication
// link) the request that the secondary do so — the exchange that lets a primary go on
// alone while the heartbeat networks still work, without ever letting the secondary
// promote itself on older data. Decoding never throws past this file and refuses
// anything that is not exactly that shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/bytes.h"

namespace hamirror::core {

constexpr std::uint32_t kHeartbeatVersion = 1;
constexpr std::size_t kMaxNodeNameBytes = 64;

struct Heartbeat {
  std::string node_name;
  std::uint64_t sequence = 0;
  std::uint8_t state = 0;  // the sender's NodeState
  bool outdated = false;   // the sender's data is durably marked outdated
  bool request_outdate = false;  // a primary asks its secondary to mark itself outdated
  // The sender's data generation: an "outdated" flag counts only for the generation
  // the two nodes share, so a stale flag from an earlier episode is never taken for
  // today's answer.
  std::uint64_t generation = 0;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

io::Bytes encode_heartbeat(const Heartbeat& heartbeat);
std::optional<Heartbeat> decode_heartbeat(io::ByteView datagram);

}  // namespace hamirror::core
