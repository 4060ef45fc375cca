// The oracle's model: replaying the op log into what a replicated directory must hold
// (see oracle.h). Certain ops set exact states; uncertain ones widen them to "maybe".
#include <algorithm>
#include <utility>

#include "fsim/mem_fs.h"
#include "io/assert.h"
#include "sim/runner/oracle.h"

namespace hamirror::sim::runner {

namespace {

using Kind = Segment::Kind;

// A file whose content nobody knows (uncertain create over an uncertain entry).
FileModel unknown_file(std::uint64_t op_id) {
  FileModel file;
  file.size_min = 0;
  file.size_max = fsim::kMaxFileBytes;
  file.segs[0] = Segment{fsim::kMaxFileBytes, op_id, Kind::unknown};
  return file;
}

// Makes `at` a segment boundary.
void split(FileModel& file, std::uint64_t at) {
  auto it = file.segs.upper_bound(at);
  if (it == file.segs.begin()) return;
  --it;
  if (it->first == at || it->second.end <= at) return;
  Segment tail = it->second;
  it->second.end = at;
  file.segs[at] = tail;
}

void assign(FileModel& file, std::uint64_t from, std::uint64_t to, Segment segment) {
  if (from >= to) return;
  split(file, from);
  split(file, to);
  file.segs.erase(file.segs.lower_bound(from), file.segs.lower_bound(to));
  segment.end = to;
  file.segs[from] = segment;
}

void cut_at(FileModel& file, std::uint64_t size) {
  split(file, size);
  file.segs.erase(file.segs.lower_bound(size), file.segs.end());
}

FileModel& content(EntryModel& entry, std::uint64_t op_id) {
  if (!entry.file) entry.file = unknown_file(op_id);
  return *entry.file;
}

// Notes an op that brought the file to its path (EntryModel::placed_by).
void placed(EntryModel& entry, std::uint64_t op_id) {
  if (entry.placed_by.size() == kPlacedByKept) entry.placed_by.erase(entry.placed_by.begin());
  entry.placed_by.push_back(op_id);
}

// A create where the model has no file: the op that removed it (if any), then the create.
std::vector<std::uint64_t> placed_after_removal(const EntryModel& entry, std::uint64_t create_id) {
  if (entry.op_id == 0) return {create_id};
  return {entry.op_id, create_id};
}

// An acknowledged write or truncate proves the file existed. If the model says it did
// not, the op that created it was left out (a split brain's loser, seed 651): the entry
// is then named after this op, so that a check blames it rather than the op that last
// removed the file.
void mark_present(EntryModel& entry, std::uint64_t op_id) {
  if (entry.exists != Exists::yes) {
    entry.op_id = op_id;
    // That the file is there at all now rests on this op too: left out, an uncertain
    // removal before it may have taken the file, and a create after it made a new one
    // (seed 248721: a loser's write after the winner's failed unlink).
    placed(entry, op_id);
  }
  if (entry.exists == Exists::no) entry.mode.reset();  // made by an op left out: mode unknown
  entry.exists = Exists::yes;
}

void set_mode(EntryModel& entry, std::optional<std::uint32_t> mode, std::uint64_t op_id) {
  entry.mode = mode;
  entry.mode_op = op_id;
}

// One of two modes, as far as the model knows: the mode if both agree.
void either_mode(EntryModel& entry, std::optional<std::uint32_t> other, std::uint64_t op_id) {
  if (entry.mode != other) set_mode(entry, std::nullopt, op_id);
}

// What a directory made by mkdir gets: the mode asked for, or the backing's default.
std::uint32_t made_directory_mode(const OpRecord& op) { return op.mode != 0 ? op.mode : fsim::kDirectoryMode; }

void apply_certain(std::map<std::string, EntryModel>& model, const OpRecord& op) {
  EntryModel& entry = model[op.path];
  switch (op.kind) {
    case core::OpKind::create:
      if (entry.exists == Exists::no) {
        entry.file = FileModel{};
        entry.file->cut_op = op.id;
        // A create over a file that is there changes nothing: old content here also
        // contradicts the removal before (seed 7444: the split brain's loser had
        // unlinked the file, the winner created it again and found its old one).
        entry.placed_by = placed_after_removal(entry, op.id);
        set_mode(entry, fsim::kFileMode, op.id);
      }
      // Maybe there: its old content, or a new empty file.
      if (entry.exists == Exists::maybe && entry.file && entry.file->size_max != 0) entry.file.reset();
      if (entry.exists == Exists::maybe) either_mode(entry, fsim::kFileMode, op.id);
      entry.exists = Exists::yes;
      entry.op_id = op.id;
      if (!entry.file) entry.file = unknown_file(op.id);
      return;
    case core::OpKind::write: {
      mark_present(entry, op.id);
      FileModel& file = content(entry, op.id);
      const std::uint64_t end = op.offset + op.size_bytes;
      // Old bytes in the gap contradict this write or the op that cut the file (seed
      // 454: a split brain's lost truncate).
      if (op.offset > file.size_max) assign(file, file.size_max, op.offset, Segment{0, op.id, Kind::zeros, file.cut_op});
      assign(file, op.offset, end, Segment{0, op.id, Kind::payload});
      if (end > file.size_min) file.size_op = op.id;
      file.size_min = std::max(file.size_min, end);
      file.size_max = std::max(file.size_max, end);
      return;
    }
    case core::OpKind::truncate: {
      mark_present(entry, op.id);
      FileModel& file = content(entry, op.id);
      cut_at(file, op.size_bytes);
      if (op.size_bytes > file.size_max) assign(file, file.size_max, op.size_bytes, Segment{0, op.id, Kind::zeros, file.cut_op});
      file.size_min = file.size_max = op.size_bytes;
      file.size_op = op.id;
      file.cut_op = op.id;
      return;
    }
    case core::OpKind::rename: {
      EntryModel moved = std::move(entry);
      moved.exists = Exists::yes;
      moved.op_id = op.id;
      placed(moved, op.id);
      model[op.target] = std::move(moved);
      model[op.path] = EntryModel{Exists::no, std::nullopt, op.id, {}};
      return;
    }
    case core::OpKind::unlink:
    case core::OpKind::rmdir:
      entry = EntryModel{Exists::no, std::nullopt, op.id, {}};
      return;
    case core::OpKind::set_mode:
      mark_present(entry, op.id);
      set_mode(entry, op.mode, op.id);
      return;
    case core::OpKind::mkdir:
      entry = EntryModel{Exists::yes, std::nullopt, op.id, {}};
      entry.directory = true;
      set_mode(entry, made_directory_mode(op), op.id);
      return;
    default:
      return;  // fsync changes no content
  }
}

void widen(FileModel& file, std::uint64_t from, std::uint64_t to, std::uint64_t op_id) {
  assign(file, from, to, Segment{0, op_id, Kind::unknown});
}

void apply_uncertain(std::map<std::string, EntryModel>& model, const OpRecord& op) {
  EntryModel& entry = model[op.path];
  switch (op.kind) {
    case core::OpKind::create:
      if (entry.exists == Exists::yes) return;
      if (entry.exists == Exists::no) {
        entry.file = FileModel{};
        entry.placed_by = placed_after_removal(entry, op.id);  // as for a certain create
        set_mode(entry, fsim::kFileMode, op.id);  // if it is there at all, it is this one
      } else {
        if (entry.file && entry.file->size_max != 0) entry.file.reset();  // old content or empty
        either_mode(entry, fsim::kFileMode, op.id);
      }
      entry.exists = Exists::maybe;
      entry.op_id = op.id;
      return;
    case core::OpKind::write: {
      if (entry.exists == Exists::no) return;  // it would have failed
      FileModel& file = content(entry, op.id);
      const std::uint64_t end = op.offset + op.size_bytes;
      widen(file, std::min(op.offset, file.size_max), end, op.id);
      file.size_max = std::max(file.size_max, end);
      return;
    }
    case core::OpKind::truncate: {
      if (entry.exists == Exists::no) return;
      FileModel& file = content(entry, op.id);
      const std::uint64_t low = std::min(op.size_bytes, file.size_max);
      const std::uint64_t high = std::max(op.size_bytes, file.size_max);
      widen(file, low, high, op.id);
      file.size_min = std::min(file.size_min, op.size_bytes);
      file.size_max = high;
      return;
    }
    case core::OpKind::rename: {
      if (entry.exists == Exists::no) return;
      EntryModel& target = model[op.target];
      const EntryModel source_copy = entry;
      // Over a file that may be there, the target holds one of two files: its mode is
      // unknown, as its content is. Not "either mode": the model's view of each file
      // may still rest on ops of a split brain's loser, left out only once a difference
      // names them, and two modes that agreed were named after this rename alone
      // (seeds 33723, 34751: both 0644 in the model, 0444 and 0755 on the winner
      // through ops it had).
      if (target.exists == Exists::no) {
        // Had the rename not happened, nothing would be there: a file with other content
        // contradicts the op that removed the old one as well (seed 194108: the peer's
        // unlink and then its rename, neither seen by this copy).
        const std::uint64_t removed_by = target.op_id;
        target = EntryModel{Exists::maybe, source_copy.file, op.id, source_copy.placed_by};
        if (removed_by != 0) placed(target, removed_by);
        placed(target, op.id);
        set_mode(target, source_copy.mode, source_copy.mode_op);
      } else if (source_copy.exists == Exists::yes && target.exists == Exists::yes) {
        // There either way; a disk without it contradicts the op that made it certain,
        // not this one (seed 1276: a failed rename named as the node's own lost write).
        target = EntryModel{Exists::yes, std::nullopt, target.op_id, {}};
        set_mode(target, std::nullopt, op.id);
      } else {
        target = EntryModel{Exists::maybe, std::nullopt, op.id, {}};
        set_mode(target, std::nullopt, op.id);
      }
      EntryModel& source = model[op.path];
      source.exists = Exists::maybe;
      source.op_id = op.id;
      // If the rename did not last, writes through the new name landed in this file
      // (seed 1422: a power cut undid the rename, not the writes after it), and so did
      // chmods.
      source.file.reset();
      set_mode(source, std::nullopt, op.id);
      return;
    }
    case core::OpKind::unlink:
    case core::OpKind::rmdir:
      if (entry.exists == Exists::yes) entry.exists = Exists::maybe;
      entry.op_id = op.id;
      return;
    case core::OpKind::set_mode:
      if (entry.exists != Exists::no) either_mode(entry, op.mode, op.id);
      return;
    case core::OpKind::mkdir:
      if (entry.exists == Exists::yes) return;  // it would have failed
      if (entry.exists == Exists::no) {
        // If it is there at all, it is this one, and one there before contradicts the
        // removal too (seed 69387: a split brain's other side removed the directory,
        // this mkdir failed already_exists on the side that still had it).
        const std::vector<std::uint64_t> placed_by = placed_after_removal(entry, op.id);
        entry = EntryModel{Exists::maybe, std::nullopt, op.id, placed_by};
        set_mode(entry, made_directory_mode(op), op.id);
      } else {
        either_mode(entry, made_directory_mode(op), op.id);
        entry.op_id = op.id;
      }
      entry.directory = true;
      return;
    default:
      return;
  }
}

}  // namespace

std::map<std::string, EntryModel> Oracle::expected() const {
  std::map<std::string, EntryModel> model;
  for (const OpRecord& op : ops_) {
    if (op.excluded) continue;
    if (op.certain()) apply_certain(model, op);
    else apply_uncertain(model, op);
  }
  return model;
}

}  // namespace hamirror::sim::runner
