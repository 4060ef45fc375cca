#include "sim/runner/oracle.h"

#include <algorithm>
#include <utility>

#include "io/assert.h"
#include "sim/runner/payload.h"
#include "sim/trace.h"

namespace hamirror::sim::runner {

Oracle::Oracle(std::string root) : root_(std::move(root)) {}

std::uint64_t Oracle::record(OpRecord op) {
  op.id = ops_.size() + 1;
  op.outcome = OpOutcome::pending;
  ops_.push_back(std::move(op));
  return ops_.back().id;
}

void Oracle::forget_last(std::uint64_t id) {
  HM_ASSERT(!ops_.empty() && ops_.back().id == id && ops_.back().outcome == OpOutcome::pending);
  ops_.pop_back();
}

void Oracle::complete(std::uint64_t id, std::int64_t now_ns, io::Error result) {
  OpRecord& rec = op(id);
  if (rec.outcome != OpOutcome::pending) return;  // lost already: a late answer changes nothing
  rec.done_ns = now_ns;
  rec.error = result;
  rec.outcome = result == io::Error::ok ? OpOutcome::acked : OpOutcome::failed;
  if (rec.outcome == OpOutcome::acked) {
    ++acknowledged_;
    acknowledged_writes_ += rec.kind == core::OpKind::write;
  }
}

void Oracle::lose_pending(const std::string& node, std::int64_t now_ns) {
  for (OpRecord& rec : ops_) {
    if (rec.outcome != OpOutcome::pending || rec.node != node) continue;
    rec.outcome = OpOutcome::lost;
    rec.done_ns = now_ns;
  }
}

std::size_t Oracle::demote_unsynced(std::int64_t now_ns, const std::string& why) {
  // Per path, the acknowledged ops no acknowledged fsync has covered yet; a rename
  // carries them to its target (fsync works on the file, whatever its name).
  std::map<std::string, std::vector<std::uint64_t>> unsynced;
  for (const OpRecord& rec : ops_) {
    if (rec.outcome != OpOutcome::acked || rec.done_ns > now_ns || rec.demoted) continue;
    if (rec.kind == core::OpKind::fsync) {
      // Another node's fsync leaves an op acknowledged alone unsynced: that node's copy
      // may never have had it (seeds 7550 with mode ops, 376: a split brain's side, torn
      // by its power cut, counted as synced by the other side's fsync).
      std::erase_if(unsynced[rec.path], [&](std::uint64_t id) { return op(id).acked_synchronised || op(id).node == rec.node; });
      continue;
    }
    unsynced[rec.path].push_back(rec.id);
    if (rec.kind == core::OpKind::rename) {
      auto moved = std::move(unsynced[rec.path]);
      unsynced.erase(rec.path);
      auto& target = unsynced[rec.target];
      target.insert(target.end(), moved.begin(), moved.end());
    }
  }
  std::size_t count = 0;
  for (const auto& [path, ids] : unsynced) {
    for (const std::uint64_t id : ids) {
      demote(id, why);
      ++count;
    }
  }
  return count;
}

void Oracle::demote(std::uint64_t id, const std::string& why) {
  OpRecord& rec = op(id);
  HM_ASSERT(rec.outcome == OpOutcome::acked);
  if (rec.demoted) return;
  rec.demoted = true;
  rec.demoted_why = why;
}

void Oracle::promote(std::uint64_t id) {
  HM_ASSERT(!op(id).excluded);
  op(id).demoted = false;
  op(id).demoted_why.clear();
}

void Oracle::exclude(std::uint64_t id, const std::string& why) {
  OpRecord& rec = op(id);
  HM_ASSERT(rec.outcome == OpOutcome::acked);
  rec.demoted = true;
  rec.excluded = true;
  rec.demoted_why = why;
}

void Oracle::readmit(std::uint64_t id, const std::string& why) {
  OpRecord& rec = op(id);
  HM_ASSERT(rec.excluded);
  rec.excluded = false;
  rec.demoted_why = why;
}

namespace {

bool is_client_path(const std::string& relative) {
  return relative.size() >= 2 && relative[0] == 'c' && relative.find('/') == std::string::npos;
}

// The ops besides the named one whose absence would explain a content difference.
std::vector<std::uint64_t> also(const EntryModel& entry, std::uint64_t cut_op) {
  std::vector<std::uint64_t> ops = entry.placed_by;
  if (cut_op != 0) ops.push_back(cut_op);
  return ops;
}

// Whether [at, at + length) of the file, a stored slice or (empty) a hole, is what
// the segment says: zeros, or the bytes of its op. A slice that is the op's own
// payload (the pool's bytes, shared all the way to the disk) is recognised by its
// address without reading it.
bool part_matches(const Segment& seg, std::uint64_t at, io::ByteView bytes, std::uint64_t length) {
  if (seg.kind == Segment::Kind::zeros) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
  }
  if (!bytes.empty()) return payload_matches(seg.op_id, at, bytes);
  return payload_matches(seg.op_id, at, io::Bytes(length, 0));  // a hole: right only if the op wrote zeros
}

void check_bytes(const std::string& path, const EntryModel& entry, const fsim::FileData& actual, std::vector<Mismatch>& out) {
  const FileModel& file = *entry.file;
  for (const auto& [start, seg] : file.segs) {
    if (seg.kind == Segment::Kind::unknown || start >= actual.size()) continue;
    const std::uint64_t end = std::min<std::uint64_t>(seg.end, actual.size());
    const bool ok = actual.visit(start, end - start, [&seg](std::uint64_t at, io::ByteView bytes, std::uint64_t length) {
      return part_matches(seg, at, bytes, length);
    });
    if (!ok) {
      out.push_back({path, "bytes " + std::to_string(start) + ".." + std::to_string(end) + " are not " +
                               (seg.kind == Segment::Kind::zeros ? "zeros" : "op " + std::to_string(seg.op_id) + "'s"),
                     seg.op_id, also(entry, seg.cut_op_id)});
    }
  }
}

}  // namespace

std::vector<Mismatch> Oracle::check(const fsim::MemFs& disk) const {
  std::vector<Mismatch> out;
  const auto model = expected();
  // What the disk holds under the root, by relative path.
  std::map<std::string, io::FileKind> present;
  for (const auto& entry : disk.tree()) {
    if (!entry.path.starts_with(root_ + "/")) continue;
    const std::string relative = entry.path.substr(root_.size() + 1);
    if (is_client_path(relative)) present[relative] = entry.kind;
  }
  for (const auto& [path, entry] : model) {
    const bool there = present.contains(path);
    if (entry.exists == Exists::yes && !there) out.push_back({path, "missing", entry.op_id});
    if (entry.exists == Exists::no && there) out.push_back({path, "exists but must not", entry.op_id});
    if (!there) continue;
    if (entry.directory && present.at(path) != io::FileKind::directory) out.push_back({path, "not a directory", entry.op_id});
    const auto mode = disk.mode_of(root_ + "/" + path);
    if (entry.mode && mode != entry.mode) {
      out.push_back({path, "mode " + (mode ? octal(*mode) : "none") + " is not " + octal(*entry.mode), entry.mode_op, entry.placed_by});
    }
    if (!entry.file) continue;
    const auto bytes = disk.data_of(root_ + "/" + path);  // shared, not materialised
    if (!bytes) {
      out.push_back({path, "not a regular file", entry.op_id});
      continue;
    }
    const FileModel& file = *entry.file;
    if (bytes->size() < file.size_min || bytes->size() > file.size_max) {
      out.push_back({path, "size " + std::to_string(bytes->size()) + " not in [" + std::to_string(file.size_min) + ", " +
                               std::to_string(file.size_max) + "]",
                     file.size_op != 0 ? file.size_op : entry.op_id, also(entry, bytes->size() > file.size_max ? file.cut_op : 0)});
    }
    check_bytes(path, entry, *bytes, out);
  }
  for (const auto& [path, kind] : present) {
    if (!model.contains(path)) out.push_back({path, "exists but no op ever created it", 0});
  }
  return out;
}

std::string octal(std::uint32_t mode) {
  std::string digits;
  for (; mode != 0; mode /= 8) digits.insert(digits.begin(), static_cast<char>('0' + mode % 8));
  while (digits.size() < 3) digits.insert(digits.begin(), '0');
  return "0" + digits;
}

std::string describe(const OpRecord& op) {
  std::string text = std::string(core::op_kind_name(op.kind)) + " " + op.path;
  if (op.kind == core::OpKind::write) text += " @" + std::to_string(op.offset) + " +" + std::to_string(op.size_bytes);
  if (op.kind == core::OpKind::truncate) text += " to " + std::to_string(op.size_bytes);
  if (op.kind == core::OpKind::rename) text += " -> " + op.target;
  if (op.kind == core::OpKind::set_mode || op.kind == core::OpKind::mkdir) text += " mode " + octal(op.mode);
  text += " (op " + std::to_string(op.id) + ", client " + std::to_string(op.client) + ", on " + op.node + " at " +
          format_time(op.submitted_ns);
  switch (op.outcome) {
    case OpOutcome::pending: text += ", pending"; break;
    case OpOutcome::acked: text += ", acknowledged at " + format_time(op.done_ns); break;
    case OpOutcome::failed: text += ", failed " + std::string(io::error_name(op.error)); break;
    case OpOutcome::lost: text += ", lost at " + format_time(op.done_ns); break;
  }
  if (op.demoted) text += ", demoted: " + op.demoted_why;
  return text + ")";
}

}  // namespace hamirror::sim::runner
