// The oracle: the clients' record of every op they submitted and what the cluster
// answered, and what a replicated directory must therefore hold.
//
// Clients are sequential (one op in flight each) and each owns its own file names,
// so each file's history is one client's sequence of ops, in submission order. An op
// ends in one of three ways:
// - acknowledged (ok): its effect is certain, on every copy that serves afterwards;
// - failed (an error after it was accepted) or lost (the node that took it crashed
//   or stopped before answering) or still pending: uncertain, it may or may not have
//   been applied anywhere;
// - refused at submission (read_only, would_block): never recorded, no effect.
// An acknowledged op can be *demoted* to uncertain when the specification allows
// losing it: writes without a following acknowledged fsync when both nodes failed,
// and writes acknowledged by the losing side of a reported split brain.
//
// The model (expected()) replays the log: for every path whether it exists (yes, no,
// maybe), its permission bits (or unknown) and, per byte range, which op wrote it last
// (payload.h makes its bytes), or zeros, or unknown. Each client also has one
// directory it makes (with a mode), chmods and removes, never fills. check() compares a disk's current replicated tree with it and
// names, for every difference, the acknowledged op it contradicts.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/replication/file_op.h"
#include "fsim/mem_fs.h"
#include "io/error.h"

namespace hamirror::sim::runner {

enum class OpOutcome : std::uint8_t { pending, acked, failed, lost };

struct OpRecord {
  std::uint64_t id = 0;  // 1, 2, ...: also the version its payload encodes
  int client = 0;
  core::OpKind kind = core::OpKind::write;
  std::string path;
  std::string target;            // rename
  std::uint64_t offset = 0;      // write
  std::uint64_t size_bytes = 0;  // write length, truncate size
  std::uint32_t mode = 0;        // set_mode, mkdir (0: the backing's default, 0755)
  std::string node;              // the node that accepted it
  std::int64_t submitted_ns = 0;
  std::int64_t done_ns = -1;
  OpOutcome outcome = OpOutcome::pending;
  io::Error error = io::Error::ok;
  bool acked_synchronised = false;  // acknowledged while the pair was synchronised: on both copies
  bool demoted = false;  // acknowledged, but the spec allows losing it (see above)
  // Demoted and known never to have reached the copy that serves from now on: the
  // losing side of a resolved split brain acknowledged it after the two copies parted.
  // The model leaves it out rather than widening (uncertain) -- a rename or create the
  // winner never saw must not blur the winner's own history of that path.
  bool excluded = false;
  std::string demoted_why;

  bool certain() const { return outcome == OpOutcome::acked && !demoted; }
};

// One way a disk disagrees with the model.
struct Mismatch {
  std::string path;
  std::string what;        // "missing", "size 12 not in [40, 40]", "bytes at 4096..8192"
  std::uint64_t op_id = 0; // the acknowledged op the disk contradicts (0: none known)
  // Other ops whose absence would explain it as well: old bytes in a gap of zeros lack
  // the write past the end that opened the gap or the op that had cut the file; a file
  // too big lacks the cut; and any content difference may come from an op that put
  // this file at this path (its create, the renames since).
  std::vector<std::uint64_t> or_op_ids;
};

// A byte range of a modelled file: who wrote it last.
struct Segment {
  std::uint64_t end = 0;
  std::uint64_t op_id = 0;  // the op that made it so
  enum class Kind : std::uint8_t { payload, zeros, unknown } kind = Kind::unknown;
  std::uint64_t cut_op_id = 0;  // zeros past the old end: the op that had cut the file
};

struct FileModel {
  std::uint64_t size_min = 0;
  std::uint64_t size_max = 0;
  std::uint64_t size_op = 0;              // the op that last made the size certain
  std::uint64_t cut_op = 0;               // the op that last set the size exactly (create, truncate)
  std::map<std::uint64_t, Segment> segs;  // start -> segment; covers [0, size_max)
};

enum class Exists : std::uint8_t { no, yes, maybe };

struct EntryModel {
  Exists exists = Exists::no;
  std::optional<FileModel> file;  // the content if it exists; nullopt: unknown
  std::uint64_t op_id = 0;        // the op that set `exists`
  // The create and renames that brought this file to this path, oldest first (the
  // last kPlacedByKept): leaving one out would give the path another file's content.
  std::vector<std::uint64_t> placed_by;
  bool directory = false;  // made by mkdir (a client's directory), never a file
  // Permission bits; nullopt: unknown (an uncertain chmod, mkdir or create could have
  // left either). mode_op: the op that made them so.
  std::optional<std::uint32_t> mode;
  std::uint64_t mode_op = 0;
};
inline constexpr std::size_t kPlacedByKept = 16;

class Oracle {
 public:
  // Paths are relative to the replicated directory `root` on a disk ("/data").
  explicit Oracle(std::string root);

  std::uint64_t record(OpRecord op);  // returns the id it assigned
  OpRecord& op(std::uint64_t id) { return ops_.at(id - 1); }
  const OpRecord& op(std::uint64_t id) const { return ops_.at(id - 1); }
  const std::deque<OpRecord>& ops() const { return ops_; }

  // Removes the op just recorded: the node refused it at submission.
  void forget_last(std::uint64_t id);
  void complete(std::uint64_t id, std::int64_t now_ns, io::Error result);
  // Every pending op accepted by `node` ends lost (its process is gone).
  void lose_pending(const std::string& node, std::int64_t now_ns);

  // Both copies may have lost what was not synced: every op acknowledged by now and
  // not covered by a later acknowledged fsync of its file is demoted. Returns how many.
  // An op acknowledged while the pair was not synchronised is on its node's copy only:
  // only an fsync that node acknowledged covers it.
  std::size_t demote_unsynced(std::int64_t now_ns, const std::string& why);
  void demote(std::uint64_t id, const std::string& why);
  void promote(std::uint64_t id);  // undoes demote()
  void exclude(std::uint64_t id, const std::string& why);  // see OpRecord::excluded
  void readmit(std::uint64_t id, const std::string& why);  // undoes exclude(): demoted

  // The replicated directory as the log says it must be.
  std::map<std::string, EntryModel> expected() const;
  // The disk's current tree under the root, compared with expected(). Paths outside
  // the clients' names (nothing else writes there) are ignored.
  std::vector<Mismatch> check(const fsim::MemFs& disk) const;

  std::uint64_t acknowledged() const { return acknowledged_; }
  std::uint64_t acknowledged_writes() const { return acknowledged_writes_; }

 private:
  std::string root_;
  // A deque: a vector's growth moved every record (about 200 bytes, a few thousand per
  // run) again and again, a few percent of a fault-free run.
  std::deque<OpRecord> ops_;
  std::uint64_t acknowledged_ = 0;
  std::uint64_t acknowledged_writes_ = 0;
};

// "write c1f2 @4096 +512 (op 17, acked by node1 at 3.120s)"
std::string describe(const OpRecord& op);
std::string octal(std::uint32_t mode);  // "0644"

}  // namespace hamirror::sim::runner
