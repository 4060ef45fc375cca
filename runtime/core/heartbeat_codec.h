// The heartbeat datagram: msgpack [version, node name, sequence, state, outdated].
// Besides "I am alive", it carries the sender's state and whether it durably marked
// its data outdated — the news a primary needs when the replication link is down but
// the heartbeat networks still work. Decoding never throws past this file and refuses
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
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

io::Bytes encode_heartbeat(const Heartbeat& heartbeat);
std::optional<Heartbeat> decode_heartbeat(io::ByteView datagram);

}  // namespace hamirror::core
