// The dirty map on disk: flushed lazily (the caller decides when — a timer, or the
// activity log filling up), replaced atomically through io::AtomicFile, so a crash
// leaves the previous record or the new one. Whatever changed since the last flush is
// covered by the activity log's extents, which while ALONE retire only once a flush
// holding their ops' marks is durable (see README.md, "The ALONE protocol").
//
// A record that cannot be trusted (cut short, checksum mismatch, not ours, unreadable,
// or missing when one was expected) loads as "everything dirty": the safe answer,
// which costs a full resync. The log callback says which and why.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/activity/dirty_map.h"
#include "io/filesystem.h"

namespace hamirror::core {

constexpr std::uint64_t kMaxDirtyRecordBytes = std::uint64_t{64} << 20;
// Saves waiting behind the one in flight (their contents are coalesced; only their
// completions queue).
constexpr std::size_t kMaxWaitingSaves = 64;

// What a loaded record turned out to be.
enum class RecordState : std::uint8_t {
  loaded,      // a good record
  missing,     // no file (fine on a first start; otherwise it was lost)
  damaged,     // cut short, checksum mismatch, not a record of ours, too large
  unreadable,  // the disk refused to read it
};
std::string_view record_state_name(RecordState state);

using ActivityLogFn = std::function<void(std::string_view line)>;

struct LoadedDirtyMap {
  RecordState state = RecordState::missing;
  // everything() when the record could not be trusted; its cuts are distrusted (see
  // DirtyMap::distrust_cuts): the ops behind them may not have survived the restart.
  DirtyMap map;
  std::uint64_t through_sequence = 0;  // the last op whose marks the record holds
};

class DirtyRecord {
 public:
  // log receives one line per record that could not be trusted.
  DirtyRecord(io::FileSystem& fs, std::string path, ActivityLogFn log);
  ~DirtyRecord();
  DirtyRecord(const DirtyRecord&) = delete;
  DirtyRecord& operator=(const DirtyRecord&) = delete;

  // Makes `map`, holding the marks of every op up to through_sequence, the record;
  // done(result) once it is durable (or failed). The map is copied (serialized) now.
  // While a save is in flight a new one waits, replacing the contents of any save
  // already waiting: done(ok) then means the newest contents handed to save() by the
  // time it runs are durable. would_block (done not called) when kMaxWaitingSaves
  // completions wait already. Completions are dropped once this object is destroyed.
  io::Error save(const DirtyMap& map, std::uint64_t through_sequence, io::FileSystem::DoneFn done);
  bool saving() const;

  // Reads the record. expect_record: a missing file means the record was lost (after
  // the first save, it always exists) and loads as everything dirty; otherwise as an
  // empty map. done never runs inside this call.
  void load(bool expect_record, std::function<void(LoadedDirtyMap)> done);

  const std::string& path() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace hamirror::core
