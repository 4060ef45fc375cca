// Authenticated datagrams (heartbeats, witness lease), as pure functions:
//
//   [8-byte sender boot id][u64 counter][u64 sender wall time ms][payload][tag]
//   tag = HMAC(cluster key, "hamirror-v1 datagram" | everything before the tag)
//
// The boot id is drawn at random when a sender's endpoint opens; the counter starts
// at 0 for each boot id. ReplayGuard (replay_guard.h) turns these into replay checks.
#pragma once

#include <cstdint>
#include <optional>

#include "auth/cluster_key.h"
#include "auth/hmac.h"
#include "io/bytes.h"

namespace hamirror::auth {

struct DatagramHeader {
  std::uint64_t boot_id = 0;
  std::uint64_t counter = 0;
  std::uint64_t time_ms = 0;
};

constexpr std::size_t kDatagramHeaderBytes = 3 * sizeof(std::uint64_t);
constexpr std::size_t kDatagramOverheadBytes = kDatagramHeaderBytes + kTagBytes;

io::Bytes seal_datagram(const ClusterKey& key, const DatagramHeader& header, io::ByteView payload);

struct OpenedDatagram {
  DatagramHeader header;
  io::ByteView payload;  // points into the datagram passed to open_datagram
};

// nullopt when the datagram is too short or its tag is wrong.
std::optional<OpenedDatagram> open_datagram(const ClusterKey& key, io::ByteView datagram);

}  // namespace hamirror::auth
