// The reintegration stream's messages (types 48..57 in wire/frame.h). They travel on
// the replication link, source (primary) -> target (returning secondary), except the
// answers (block_needs, ack, live_ack, done_ack) which go back.
//
// Every message that reflects the source's disk (a listing, checksums, block data)
// carries `watermark`: the last live op the source had forwarded when its read
// completed (a read raced by a live op on the same data is redone). The target applies
// everything in stream order and checks that no live op newer than the watermark
// touched what the message describes (see reintegration_source.h for why that holds).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/replication/file_op.h"
#include "core/replication/generation.h"
#include "core/replication/replication_messages.h"
#include "core/wire/message_codec.h"
#include "io/filesystem.h"

namespace hamirror::core {

// Checksums cover blocks of this size; the last block of a file may be shorter.
constexpr std::uint64_t kResyncBlockBytes = 4096;
// One checksum message covers at most this many blocks (1 MiB of file).
constexpr std::size_t kMaxChecksumsPerMessage = 256;
// One block_data message carries at most this much file data.
constexpr std::size_t kMaxResyncDataBytes = 1024 * 1024;
// One listing page names at most this many entries.
constexpr std::size_t kMaxListingEntriesPerPage = 1024;
// A directory path inside a replicated directory; "" is the directory's root.
bool is_valid_resync_dir(std::string_view path);
// A single name inside a directory: a valid relative path without '/'.
bool is_valid_entry_name(std::string_view name);

enum class ResyncMode : std::uint8_t { full, fast };

struct ResyncBegin {
  ResyncMode mode = ResyncMode::full;
  std::uint32_t directory_count = 0;

  HM_WIRE_MESSAGE(wire::MessageType::resync_begin, "resync_begin")
  HM_WIRE_FIELDS(mode, directory_count)
  static constexpr std::size_t kMaxBodyBytes = 32;
  std::string check() const {
    if (mode > ResyncMode::fast) return "unknown mode";
    if (directory_count == 0 || directory_count > kMaxReplicatedDirectories) return "bad directory count";
    return {};
  }
};

struct ListingEntry {
  std::string name;
  io::FileKind kind = io::FileKind::regular;  // regular or directory; others are not replicated
  // A directory's permission bits (kModeBits), 0000 included; 0 for a file, whose mode
  // travels with its size in resync_block_checksums / resync_block_data.
  std::uint32_t mode = 0;
  HM_WIRE_FIELDS(name, kind, mode)
  friend bool operator==(const ListingEntry&, const ListingEntry&) = default;
};

// One page of a directory's entries, sorted by name. The page speaks for every name
// in (after, last entry's name], or (after, end) when `last` is set: the target makes
// its own entries in that range the same (deletes extras, creates what is missing)
// and gives each directory in it the listed mode. The modes are read with the names,
// under the same watermark: a set_mode races a listing like a namespace op.
struct ResyncDirListing {
  std::uint64_t id = 0;
  std::uint32_t directory = 0;
  std::string path;
  std::string after;
  bool last = true;
  std::uint64_t watermark = 0;
  std::vector<ListingEntry> entries;

  HM_WIRE_MESSAGE(wire::MessageType::resync_dir_listing, "resync_dir_listing")
  HM_WIRE_FIELDS(id, directory, path, after, last, watermark, entries)
  std::string check() const;
};

// XXH3-64 of blocks [first_block, first_block + checksums.size()) of a file whose size
// and permission bits were file_size and mode when they were read (one fstat, so the
// mode is covered by the same watermark as the bytes). The target sets its file to
// that size and mode, hashes
// the same blocks at the same point in the stream and answers with block_needs.
struct ResyncBlockChecksums {
  std::uint64_t id = 0;
  std::uint32_t directory = 0;
  std::string path;
  std::uint64_t watermark = 0;
  std::uint64_t file_size = 0;
  std::uint64_t first_block = 0;
  std::vector<std::uint64_t> checksums;
  std::uint32_t mode = 0;

  HM_WIRE_MESSAGE(wire::MessageType::resync_block_checksums, "resync_block_checksums")
  HM_WIRE_FIELDS(id, directory, path, watermark, file_size, first_block, checksums, mode)
  std::string check() const;
};

struct BlockRun {
  std::uint64_t first_block = 0;
  std::uint64_t count = 0;
  HM_WIRE_FIELDS(first_block, count)
  friend bool operator==(const BlockRun&, const BlockRun&) = default;
};

// The answer to block_checksums `id`: the runs of blocks that differ. failed: the
// target could not even hold the file (its parent is missing), the source rechecks it.
struct ResyncBlockNeeds {
  std::uint64_t id = 0;
  bool failed = false;
  std::vector<BlockRun> runs;

  HM_WIRE_MESSAGE(wire::MessageType::resync_block_needs, "resync_block_needs")
  HM_WIRE_FIELDS(id, failed, runs)
  std::string check() const {
    return runs.size() > kMaxChecksumsPerMessage ? "more runs than blocks in a checksum message" : "";
  }
};

// One piece of a block_data message's data: `length` bytes of the file at `offset`,
// taken in order from the message's data.
struct DataExtent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  HM_WIRE_FIELDS(offset, length)
  friend bool operator==(const DataExtent&, const DataExtent&) = default;
};

// Extents one block_data message carries at most (one file's read: the fast mode's
// scattered small ranges of a file travel, and are written, together).
constexpr std::size_t kMaxExtentsPerBlockData = 64;
static_assert(kMaxExtentsPerBlockData <= io::kMaxWriteRanges);

// File bytes at the extents' offsets (in order, disjoint, none past file_size; their
// lengths add up to data's size), read when the file's size was file_size and its mode
// `mode`. Without extents it only gives the file its size and mode.
struct ResyncBlockData {
  std::uint64_t id = 0;
  std::uint32_t directory = 0;
  std::string path;
  std::uint64_t watermark = 0;
  std::uint64_t file_size = 0;
  std::vector<DataExtent> extents;
  io::SharedBytes data;
  std::uint32_t mode = 0;

  HM_WIRE_MESSAGE(wire::MessageType::resync_block_data, "resync_block_data")
  HM_WIRE_FIELDS(id, directory, path, watermark, file_size, extents, mode)
  HM_WIRE_TAIL(data)
  std::string check() const;
};

// The answer to a listing or block_data `id`, once applied. created: entries of a
// listing page the target did not have (the source fills them in when it did not
// plan to already). failed: something could not be applied; the source rechecks.
struct ResyncAck {
  std::uint64_t id = 0;
  bool failed = false;
  std::vector<ListingEntry> created;

  HM_WIRE_MESSAGE(wire::MessageType::resync_ack, "resync_ack")
  HM_WIRE_FIELDS(id, failed, created)
  std::string check() const {
    return created.size() > kMaxListingEntriesPerPage ? "more entries created than a page holds" : "";
  }
};

// A write the primary accepted while the reintegration runs, numbered by the source
// (1, 2, ...). The target applies it in stream order and answers with live_ack.
struct ResyncLiveOp {
  ReplicateOp op;

  HM_WIRE_MESSAGE(wire::MessageType::resync_live_op, "resync_live_op")
  HM_WIRE_FIELDS(op)
  HM_WIRE_TAIL(op.data)
  std::string check() const { return op.check(); }
};

struct ResyncLiveAck {
  std::uint64_t sequence = 0;
  io::Error result = io::Error::ok;

  HM_WIRE_MESSAGE(wire::MessageType::resync_live_ack, "resync_live_ack")
  HM_WIRE_FIELDS(sequence, result)
  static constexpr std::size_t kMaxBodyBytes = 24;
  std::string check() const { return result > io::Error::unknown ? "unknown result" : ""; }
};

// Nothing differs any more: the target makes what it wrote durable, adopts
// `generation` and its `history` (the copy now descends from the primary's data, not
// from what it held before), persists consistent=true, then answers done_ack.
struct ResyncDone {
  std::uint64_t generation = 0;
  std::uint64_t last_live_sequence = 0;
  std::vector<std::uint64_t> history;  // the primary's, newest first

  HM_WIRE_MESSAGE(wire::MessageType::resync_done, "resync_done")
  HM_WIRE_FIELDS(generation, last_live_sequence, history)
  static constexpr std::size_t kMaxBodyBytes = 32 + kMaxGenerationHistory * 9;
  std::string check() const {
    if (generation == 0) return "generation 0";
    if (history.size() > kMaxGenerationHistory) return "history longer than " + std::to_string(kMaxGenerationHistory);
    return {};
  }
};

struct ResyncDoneAck {
  bool consistent = false;  // false: the target could not make its copy durable

  HM_WIRE_MESSAGE(wire::MessageType::resync_done_ack, "resync_done_ack")
  HM_WIRE_FIELDS(consistent)
  static constexpr std::size_t kMaxBodyBytes = 8;
};

}  // namespace hamirror::core
