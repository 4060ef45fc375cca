// The messages of the replication protocol, one struct each (see message_codec.h for
// how a declaration becomes a wire format). Type numbers live in frame.h.
#pragma once

#include <cstdint>
#include <string>

#include "core/heartbeat_codec.h"
#include "core/wire/message_codec.h"

namespace hamirror::core::wire {

// The first frame each side sends on a new connection: who it is.
struct Hello {
  std::uint32_t protocol_version = kProtocolVersion;
  std::string node_name;
  std::uint64_t generation_id = 0;  // placeholder until the replication issue defines it

  HM_WIRE_MESSAGE(MessageType::hello, "hello")
  HM_WIRE_FIELDS(protocol_version, node_name, generation_id)
  static constexpr std::size_t kMaxBodyBytes = 256;

  std::string check() const {
    if (node_name.empty()) return "empty node name";
    if (node_name.size() > kMaxNodeNameBytes) return "node name longer than " + std::to_string(kMaxNodeNameBytes);
    return {};
  }
  friend bool operator==(const Hello&, const Hello&) = default;
};

// Liveness on the stream itself; the peer answers a Ping with a Pong of the same nonce.
struct Ping {
  std::uint64_t nonce = 0;

  HM_WIRE_MESSAGE(MessageType::ping, "ping")
  HM_WIRE_FIELDS(nonce)
  static constexpr std::size_t kMaxBodyBytes = 16;
  friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
  std::uint64_t nonce = 0;

  HM_WIRE_MESSAGE(MessageType::pong, "pong")
  HM_WIRE_FIELDS(nonce)
  static constexpr std::size_t kMaxBodyBytes = 16;
  friend bool operator==(const Pong&, const Pong&) = default;
};

}  // namespace hamirror::core::wire
