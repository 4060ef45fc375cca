// What a fast reintegration must send: the dirty map of everything that may differ
// between the sender's copy and the receiver's (the sender's changes while ALONE, the
// extents a crash left active on either node), resolved against the sender's current
// files into entries the receiver applies in order.
//
// Applying the plan (the reintegration engine's job; the tests hold a reference
// implementation), entry by entry in (directory, path) order — parents first:
//
// - remove:    the receiver removes its entry at that name, with all it holds.
// - directory: the receiver makes it a directory; with replace, it first removes its
//              own entry there (and everything under it) and starts from an empty one.
// - file:      the receiver makes it a regular file (replace: removes its own entry
//              first and starts from an empty file; an entry of the wrong kind is
//              always replaced; a missing one is created empty), truncates it to
//              cut_bytes if set, then to size_bytes, and writes the sender's bytes of
//              every range.
// - reconcile_name: the entry's metadata (mtime, mode) is copied as well.
//
// The sender's files may change while the plan runs (the primary keeps writing, and
// replicates those writes live): the engine reads the bytes when it sends them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/activity/dirty_map.h"
#include "io/filesystem.h"

namespace hamirror::core {

// Entries one plan may hold; a subtree walk that finds more gives "everything".
constexpr std::size_t kMaxPlanEntries = std::size_t{1} << 20;
// Stats (or listings) the planner keeps under way at once.
constexpr std::size_t kMaxPlanStatsInFlight = 8;

struct SendRange {
  std::uint64_t offset = 0;
  std::uint64_t size_bytes = 0;
  friend bool operator==(const SendRange&, const SendRange&) = default;
};

enum class PlanAction : std::uint8_t { remove, directory, file };
std::string_view plan_action_name(PlanAction action);

struct PlanEntry {
  FileKey key;
  PlanAction action = PlanAction::remove;
  bool replace = false;
  bool reconcile_name = false;
  std::uint64_t cut_bytes = kNoCut;  // file: at most size_bytes, or kNoCut
  std::uint64_t size_bytes = 0;      // file: the sender's size
  std::vector<SendRange> ranges;     // file: sorted, disjoint, within size_bytes
  friend bool operator==(const PlanEntry&, const PlanEntry&) = default;
};

struct ResyncCounters {
  std::uint64_t bytes_to_send = 0;
  std::uint64_t ranges = 0;
  std::uint64_t files = 0;
  std::uint64_t whole_files = 0;  // replaced files, sent whole
  std::uint64_t directories = 0;
  std::uint64_t removals = 0;
  friend bool operator==(const ResyncCounters&, const ResyncCounters&) = default;
};

struct ResyncPlan {
  // The record could not bound the differences: compare (or send) everything.
  bool everything = false;
  std::vector<PlanEntry> entries;
  ResyncCounters counters;
};

// The sender's entries the plan needs: every dirty name that exists, and everything
// under a directory whose subtree is sent whole. A name not in the view is absent.
struct SenderEntry {
  io::FileKind kind = io::FileKind::regular;  // regular or directory
  std::uint64_t size_bytes = 0;
};
using SenderView = std::map<FileKey, SenderEntry>;

// Pure: the plan for `dirty` against the sender's view.
ResyncPlan build_resync_plan(const DirtyMap& dirty, const SenderView& sender);

// Builds the view by stat()ing each dirty name under roots[directory] (and walking the
// subtrees sent whole), one call at a time, then the plan. done runs once, never inside
// this call: with the plan, or with the error of a call that failed for another reason
// than the name being absent (not_supported for an entry neither file nor directory).
void plan_resync(io::FileSystem& fs, std::vector<std::string> roots, DirtyMap dirty,
                 std::function<void(io::Result<ResyncPlan>)> done);

}  // namespace hamirror::core
