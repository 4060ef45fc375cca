// The replication stream's messages: the primary numbers every FileOp and sends it;
// the secondary applies them strictly in that order and acknowledges each. A
// checkpoint, sent in the same stream, asks the secondary to make every op so far
// durable and to say when it is.
#pragma once

#include <cstdint>
#include <string>

#include "core/replication/file_op.h"
#include "core/wire/message_codec.h"

namespace hamirror::core {

// Sent once by the primary when a synchronised secondary attaches: the sequence
// number of the first op it will send.
struct ReplicationStart {
  std::uint64_t first_sequence = 0;

  HM_WIRE_MESSAGE(wire::MessageType::replication_start, "replication_start")
  HM_WIRE_FIELDS(first_sequence)
  static constexpr std::size_t kMaxBodyBytes = 16;
  friend bool operator==(const ReplicationStart&, const ReplicationStart&) = default;
};

struct ReplicateOp {
  std::uint64_t sequence = 0;
  OpKind kind = OpKind::write;
  std::uint32_t directory = 0;
  std::string path;
  std::string target;
  std::uint64_t offset = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
  bool exclusive = false;
  io::SharedBytes data;  // shares FileOp::data; decoded, shares the received frame
  std::uint32_t mode = 0;

  HM_WIRE_MESSAGE(wire::MessageType::replicate_op, "replicate_op")
  HM_WIRE_FIELDS(sequence, kind, directory, path, target, offset, size_bytes, mtime_ns, exclusive, mode)
  HM_WIRE_TAIL(data)  // the frame's tail: from the op's buffer to the peer's, not copied

  std::string check() const {
    if (kind > OpKind::set_mode) return "unknown op kind " + std::to_string(static_cast<int>(kind));
    if ((mode & ~kModeBits) != 0) return "mode " + std::to_string(mode) + " has bits outside the permission bits 07777";
    if (!carries_mode(kind) && mode != 0) return "mode set on a " + std::string(op_kind_name(kind)) + " op";
    if (!is_valid_relative_path(path)) return "path is not a relative path inside the directory";
    if (kind == OpKind::rename && !is_valid_relative_path(target)) return "rename target is not a relative path";
    if (data.size() > kMaxWriteOpBytes) return "write larger than " + std::to_string(kMaxWriteOpBytes) + " bytes";
    return {};
  }

  static ReplicateOp from(std::uint64_t sequence, const FileOp& op) {
    return {sequence, op.kind, op.directory, op.path, op.target, op.offset, op.size_bytes, op.mtime_ns, op.exclusive, op.data, op.mode};
  }
  FileOp to_op() && {
    return FileOp{kind, directory, std::move(path), std::move(target), offset, size_bytes, mtime_ns, exclusive, std::move(data), mode};
  }
};

// The secondary's answer for one op: applied (or received, with async="second"), with
// the result of applying it where known. With async="second" a second one carries a
// failure found when applying, and the primary sends the same back if its own copy
// failed the op alike (see replicator.h).
struct OpAck {
  std::uint64_t sequence = 0;
  io::Error result = io::Error::ok;

  HM_WIRE_MESSAGE(wire::MessageType::op_ack, "op_ack")
  HM_WIRE_FIELDS(sequence, result)
  static constexpr std::size_t kMaxBodyBytes = 24;
  std::string check() const {
    return result > io::Error::unknown ? "unknown result " + std::to_string(static_cast<int>(result)) : "";
  }
  friend bool operator==(const OpAck&, const OpAck&) = default;
};

// Sent by the primary right after op `through` (or right after replication_start, with
// through = first_sequence - 1, when no op was sent since): the secondary answers with
// a CheckpointAck once every op up to `through` is durable on its copy.
struct Checkpoint {
  std::uint64_t through = 0;

  HM_WIRE_MESSAGE(wire::MessageType::checkpoint, "checkpoint")
  HM_WIRE_FIELDS(through)
  static constexpr std::size_t kMaxBodyBytes = 16;
  std::string check() const {
    // through + 1 is the next op's number.
    return through == UINT64_MAX ? "checkpoint through the last possible sequence number" : "";
  }
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The secondary's answer to a Checkpoint, in the order the checkpoints came: ok when
// every op up to `through` is durable on its copy, else why not.
struct CheckpointAck {
  std::uint64_t through = 0;
  io::Error result = io::Error::ok;

  HM_WIRE_MESSAGE(wire::MessageType::checkpoint_ack, "checkpoint_ack")
  HM_WIRE_FIELDS(through, result)
  static constexpr std::size_t kMaxBodyBytes = 24;
  std::string check() const {
    return result > io::Error::unknown ? "unknown result " + std::to_string(static_cast<int>(result)) : "";
  }
  friend bool operator==(const CheckpointAck&, const CheckpointAck&) = default;
};

}  // namespace hamirror::core
