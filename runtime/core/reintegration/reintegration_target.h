// The returning secondary's side of reintegration (see reintegration_source.h for
// the protocol and the ordering argument).
//
// Everything the source sends is applied in stream order, one step at a time:
// listings (delete extras, create what is missing), checksum comparisons (hashed here
// at that point of the stream), block data and live ops. One exception: block data
// for different files commute, so up to kMaxDataStepsInFlight of them run at once
// (each file's own in order, every other step alone and after them): their sizing
// through kDataLanes appliers beside the main one (a file always the same lane),
// whose handles are closed before any other step runs: that step may rename or
// remove what they name; their data with one FileSystem::write_ranges call each
// (open, write, close), the name then noted in the lane for its checkpoint at done.
// Invariants:
// - Before the first change, this copy is durably marked inconsistent: the begin
//   step persists GenerationInfo.consistent=false and every change queues behind it.
//   A node killed mid-reintegration therefore restarts inconsistent and is never
//   promoted (may_promote_itself).
// - consistent=true is persisted only at done, after every file and directory the
//   reintegration changed or found right here was fsynced, with the primary's
//   generation adopted. Found right is not durable: a daemon that crashed (its
//   machine did not) left what it wrote in the page cache, unsynced, and a power cut
//   after "synchronised" would lose it. Every change goes through an OpApplier (the
//   main one or a block data lane) or, block data, is handed to one once written;
//   every file compared and directory listed is handed to one to keep durable, so
//   that one durable checkpoint of each, all at done, covers them all: each file fsynced once, several at a time, then each
//   directory once (not a file and its parent one after the other).
// - A resync message older than a live op on the same file (or than any namespace
//   op) it follows in the stream is refused as a protocol error, never applied: the
//   source guarantees it cannot happen, and this checks it.
// - A live op that fails here (its file does not exist yet) is answered with its
//   result; the source compares those paths again. Nothing else writes this copy.
// - Read-only modes come last. A daemon that is not root (and any on Windows) cannot
//   write a file without its owner's write bit nor make or remove entries in such a
//   directory. While it works the target keeps what it writes writable (files at
//   least 0600, directories 0700 added to their mode) and remembers each mode that
//   takes bits away; done sets those modes, deepest path first (a directory after
//   everything in it), before the checkpoint that makes them durable with the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/reintegration/reintegration_messages.h"
#include "core/replication/frame_outbox.h"
#include "core/replication/generation.h"
#include "core/replication/op_applier.h"

namespace hamirror::core {

// Steps received and not yet applied. The source's own bounds keep it far below
// (kMaxUnansweredResyncDataMessages + kMaxUnackedLiveOps + a few); more is a protocol error.
constexpr std::size_t kMaxTargetSteps = 4096;
// Files remembered as already created at a resync message's size; beyond it, forgotten.
constexpr std::size_t kMaxSizedFiles = 1024;
// Block data steps applied at once (different files), and the appliers that size
// their files: the stat, sizing and write of each file wait on the thread pool side
// by side instead of one after the other.
constexpr std::size_t kMaxDataStepsInFlight = 8;
constexpr std::size_t kDataLanes = 4;
// Queued steps looked through for block data to start beside those running.
constexpr std::size_t kMaxStepsLookedAhead = 64;

struct ResyncTargetCounters {
  std::uint64_t listings_applied = 0;
  std::uint64_t entries_created = 0;
  std::uint64_t entries_removed = 0;
  std::uint64_t blocks_compared = 0;
  std::uint64_t blocks_differing = 0;
  std::uint64_t data_bytes_written = 0;
  std::uint64_t data_messages_applied = 0;  // block data messages (one may carry several extents)
  std::uint64_t live_ops_applied = 0;
  std::uint64_t live_ops_failed = 0;
  std::uint64_t ordering_checks = 0;  // resync messages checked against the live ops before them
  std::uint64_t files_sized = 0;      // create + truncate before a resync message (not skipped)
  std::uint64_t files_already_sized = 0;  // found at the message's size and mode: nothing applied
  std::uint64_t data_steps_in_flight_max = 0;  // block data steps that ran at once
};

class ReintegrationTarget {
 public:
  struct Listener {
    // The source's resync_begin was accepted: the source chose this mode (the target
    // cannot know it before, and the node's log names it).
    std::function<void(ResyncMode mode)> on_begin;
    // consistent=true is durable and done_ack is sent: the next frames (the
    // Replicator's replication_start and ops) are the Replica's; attach it now.
    std::function<void()> on_synchronised;
  };

  // Makes a GenerationInfo durable, done(ok) once it is. The node's own writer of its
  // generation record, so that the node's writes and the target's are one queue.
  using PersistFn = std::function<void(const GenerationInfo& info, std::function<void(io::Error)> done)>;

  // local: the node's GenerationInfo as it is now.
  ReintegrationTarget(io::FileSystem& fs, std::vector<std::string> roots, PersistFn persist_generation, GenerationInfo local,
                      Listener listener);
  ~ReintegrationTarget();
  ReintegrationTarget(const ReintegrationTarget&) = delete;
  ReintegrationTarget& operator=(const ReintegrationTarget&) = delete;

  void attach(wire::FramedConnection& link);
  // The link is gone: queued steps are dropped; the copy stays inconsistent.
  void detach();
  // Returns why the frame breaks the protocol ("" if it does not).
  std::string on_frame(const wire::Frame& frame);
  void on_writable() { outbox_.flush(); }

  const GenerationInfo& generation() const { return local_; }
  const ResyncTargetCounters& counters() const { return counters_; }
  bool synchronised() const { return state_ == State::synchronised; }

 private:
  enum class State : std::uint8_t { idle, running, synchronised, failed };
  using Next = std::function<void()>;
  using Step = std::function<void(Next)>;
  using Key = std::pair<std::uint32_t, std::string>;
  // A queued step; block data names its file (it may run beside other files' data).
  struct Queued {
    Step run;
    std::optional<Key> data_file;
  };
  // One change a listing page asks of this copy's directory, in order.
  struct Action {
    enum class Do : std::uint8_t { remove, create, set_mode };
    Do what = Do::create;
    std::string name;
    io::FileKind kind = io::FileKind::regular;
    std::uint32_t mode = 0;        // set_mode: a directory's working mode
    std::uint32_t final_mode = 0;  // set_mode: the listed mode, given at done
  };
  using FinalModes = std::map<Key, std::uint32_t>;

  std::string check_watermark(std::uint64_t watermark, std::uint32_t directory, const std::string* file);
  std::string push(Step step, std::optional<Key> data_file = std::nullopt);
  void run_next();
  // Starts the next step that may run now; false if none may.
  bool start_one();
  void start(std::deque<Queued>::iterator queued);
  OpApplier& lane(std::uint32_t directory, const std::string& path);
  // Checkpoints the main applier and every lane; done(ok) once all are durable.
  void checkpoint_all(std::function<void(io::Error)> done);
  std::string native(std::uint32_t directory, const std::string& path) const;
  void apply(FileOp op, std::function<void(io::Error)> done);  // through the main applier
  void apply_on(OpApplier& applier, FileOp op, std::function<void(io::Error)> done);
  // Found right here, or block data a lane wrote: the done checkpoint of `applier`
  // (the main one or a data step's lane) syncs it too (see the top of this file).
  void keep_durable(OpApplier& applier, std::uint32_t directory, const std::string& path, io::FileKind kind);
  void persist(GenerationInfo info, std::function<void(io::Error)> done);

  void begin_step(Next next);
  void listing_step(ResyncDirListing listing, Next next);
  void run_actions(std::shared_ptr<std::vector<Action>> actions, std::size_t index, std::uint32_t directory, std::string path,
                   std::shared_ptr<ResyncAck> ack, Next next);
  void remove_tree(std::uint32_t directory, std::string path, io::FileKind kind, std::function<void(io::Error)> done);
  void remove_children(std::uint32_t directory, std::string path, std::shared_ptr<std::vector<io::DirEntry>> children,
                       std::size_t index, std::function<void(io::Error)> done);
  // Makes the file exist at this size and mode through `applier` (the main one, or a
  // data step's lane). written_whole: the data about to be written covers the file.
  void ensure_file(OpApplier& applier, std::uint32_t directory, const std::string& path, std::uint64_t size, std::uint32_t mode,
                   bool written_whole, std::function<void(io::Error)> done);
  void remember_sized(std::uint32_t directory, const std::string& path, std::uint64_t size, std::uint32_t mode);
  void checksums_step(ResyncBlockChecksums message, Next next);
  void data_step(ResyncBlockData message, Next next);
  void live_step(ReplicateOp op, Next next);
  void done_step(ResyncDone done, Next next);
  void make_durable(ResyncDone done, Next next);
  void fail(const std::string& reason);
  // Read-only modes last (see the top of this file).
  void create_writable(OpApplier& applier, std::uint32_t directory, const std::string& path, std::uint32_t mode,
                       std::function<void(io::Error)> done);
  void defer_mode(std::uint32_t directory, const std::string& path, std::uint32_t mode, std::uint32_t working_mode);
  std::pair<FinalModes::iterator, FinalModes::iterator> modes_under(std::uint32_t directory, const std::string& path);
  void forget_modes_under(std::uint32_t directory, const std::string& path);
  void move_modes(std::uint32_t directory, const std::string& from, const std::string& to);
  void note_live_op(const FileOp& op);
  void apply_final_modes(std::shared_ptr<std::vector<std::pair<Key, std::uint32_t>>> modes, std::size_t index,
                         std::function<void(io::Error)> done);

  io::FileSystem& fs_;
  std::vector<std::string> roots_;
  PersistFn persist_generation_;
  GenerationInfo local_;
  Listener listener_;
  OpApplier applier_;
  std::vector<std::unique_ptr<OpApplier>> lanes_;  // block data writes (see the top)
  FrameOutbox outbox_;
  wire::FramedConnection* link_ = nullptr;
  State state_ = State::idle;

  std::deque<Queued> steps_;
  bool barrier_running_ = false;  // a step other than block data: it runs alone
  std::set<Key> data_running_;    // files whose block data step runs
  bool in_run_ = false;
  bool run_again_ = false;

  // The stream's order, checked on receipt (receipt order is apply order).
  std::uint64_t last_live_sequence_ = 0;
  std::uint64_t last_namespace_live_ = 0;
  std::uint64_t last_watermark_ = 0;
  std::map<Key, std::uint64_t> last_file_live_;  // ops newer than last_watermark_ only

  // Files ensure_file made exist (or found) at this size and mode, or a listing created
  // empty (mode kModeUnknown), untouched since (no live op on them, no namespace op, no
  // other listing): the next message about them skips the stat, and create + truncate
  // + set_mode too if they match.
  static constexpr std::uint32_t kModeUnknown = ~std::uint32_t{0};  // matches no message's mode
  struct Sized {
    std::uint64_t size = 0;
    std::uint32_t mode = 0;
    friend bool operator==(const Sized&, const Sized&) = default;
  };
  // Creates the file, sets its size and mode (up to three applied ops; what `known`
  // says it has already is not done again).
  void size_file(OpApplier& applier, std::uint32_t directory, const std::string& path, std::uint64_t size, std::uint32_t mode,
                 std::optional<Sized> known, bool written_whole, std::function<void(io::Error)> done);
  std::map<Key, Sized> sized_;
  // Modes done sets, each one that a working mode stands in for meanwhile. One per
  // read-only file or directory of the tree (and per path a live chmod touched).
  // Bounded by the tree, not by a constant: removing a path here (a live unlink or
  // rmdir, a rename over it, a listing's removal) forgets its entries and everything
  // under it, a rename moves them, so only names that exist with a pending mode are
  // kept (plus one per live chmod that failed here): no more than the entries the
  // listings read anyway. A constant bound would mean giving modes before done, which
  // a later message about the same file or directory would have to undo.
  FinalModes final_modes_;

  ResyncTargetCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hamirror::core
