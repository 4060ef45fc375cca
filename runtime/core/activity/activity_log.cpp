#include "core/activity/activity_log.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/activity/record_codec.h"
#include "core/canary.h"
#include "io/assert.h"
#include "io/atomic_file.h"

namespace hamirror::core {
namespace {

// Version 1 of the activity record: u64 extent_bytes, u8 everything, u32 count, then
// per entry (in key order) u8 kind, u32 directory, text path, u64 index.
constexpr std::string_view kActivityRecordMagic = "HMACTIV1";
// compact() calls waiting for the next record write.
constexpr std::size_t kMaxWaitingCompactions = 16;

// What one op does under one key, for the fine marks kept in memory.
struct Touch {
  ActiveKey key;
  std::uint64_t first_block = 0;  // extent: the file's blocks the op writes inside it
  std::uint64_t end_block = 0;
  std::uint64_t cut_bytes = 0;    // tail: the truncate's size
};

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

// Everything one entry may cover, as known after a crash.
void mark_whole_entry(DirtyMap& dirty, const ActiveKey& key, std::uint64_t extent_bytes) {
  switch (key.kind) {
    case ActiveKind::extent: return dirty.mark_bytes(key.file, key.index * extent_bytes, extent_bytes);
    case ActiveKind::tail: return dirty.mark_from(key.file, key.index * extent_bytes);
    case ActiveKind::name: return dirty.mark_name(key.file, true);
    case ActiveKind::meta: return dirty.mark_name(key.file, false);
  }
}

struct ParsedRecord {
  std::uint64_t extent_bytes = 0;
  bool everything = false;
  std::vector<ActiveKey> keys;  // strictly increasing
};

std::optional<ParsedRecord> parse_record(io::ByteView bytes, std::string& why) {
  const auto body = open_record(bytes, kActivityRecordMagic, why);
  if (!body) return std::nullopt;
  RecordReader in(*body);
  ParsedRecord parsed;
  std::uint8_t everything = 0;
  std::uint32_t count = 0;
  if (!in.u64(parsed.extent_bytes) || !in.u8(everything) || !in.u32(count) || parsed.extent_bytes < kMinBlockBytes ||
      everything > 1 || count > kMaxActiveExtents) {
    why = "invalid header";
    return std::nullopt;
  }
  parsed.everything = everything == 1;
  for (std::uint32_t i = 0; i < count; ++i) {
    ActiveKey key;
    std::uint8_t kind = 0;
    if (!in.u8(kind) || !in.u32(key.file.directory) || !in.text(key.file.path, kMaxRelativePathBytes) ||
        !in.u64(key.index)) {
      why = "entry " + std::to_string(i) + " cut short";
      return std::nullopt;
    }
    key.kind = static_cast<ActiveKind>(kind);
    const bool ranged = key.kind == ActiveKind::extent || key.kind == ActiveKind::tail;
    // Ranged entries must not overflow when turned into bytes; the order is the one
    // the writer's std::map gave.
    const bool index_ok = ranged ? key.index <= UINT64_MAX / parsed.extent_bytes - 1 : key.index == 0;
    if (kind > static_cast<std::uint8_t>(ActiveKind::meta) || key.file.directory >= kMaxReplicatedDirectories ||
        !is_valid_relative_path(key.file.path) || !index_ok || (!parsed.keys.empty() && !(parsed.keys.back() < key))) {
      why = "entry " + std::to_string(i) + " is invalid";
      return std::nullopt;
    }
    parsed.keys.push_back(std::move(key));
  }
  if (!in.at_end()) {
    why = "trailing bytes";
    return std::nullopt;
  }
  return parsed;
}

}  // namespace

std::string_view active_kind_name(ActiveKind kind) {
  switch (kind) {
    case ActiveKind::extent: return "extent";
    case ActiveKind::tail: return "tail";
    case ActiveKind::name: return "name";
    case ActiveKind::meta: return "meta";
  }
  return "unknown";
}

struct ActivityLog::State : std::enable_shared_from_this<ActivityLog::State> {
  struct Active {
    std::uint64_t last_sequence = 0;
    bool pinned = false;  // found after a crash, or touched by a failed op; kept until release_recovered()
    std::vector<std::uint64_t> blocks;  // extent: one bit per block written while active
    std::uint64_t tail_cut = kNoCut;    // tail: the smallest cut
  };
  struct Waiter {
    std::uint64_t sequence = 0;
    std::vector<Touch> touches;
    GoFn go;
    bool admitted = false;  // its keys are in `active` and go into the next record write
  };

  io::FileSystem& fs;
  io::AtomicFile file;
  ActivityOptions options;
  ActivityLogFn log;
  std::uint64_t blocks_per_extent;

  bool loaded = false;
  // The record could not be trusted at load: every record written says "everything"
  // until release_recovered(), so a second crash still resyncs everything.
  bool everything_pinned = false;
  std::map<ActiveKey, Active> active;
  // Sorted and distinct, as `active` gives them: a vector rather than a set, since
  // each record write snapshots every active key, and a tree node per key was a
  // malloc and a free per key and write. The two swap buffers, so they stop allocating.
  std::vector<ActiveKey> durable;  // what the record on disk holds
  bool writing = false;
  std::vector<ActiveKey> writing_keys;  // what the write in flight will hold
  bool ahead_unrecorded = false;     // extents named ahead wait for a record write
  std::deque<Waiter> waiting;
  bool releasing = false;  // go callbacks are running: nothing may overtake them
  std::vector<io::FileSystem::DoneFn> compact_next;
  std::vector<io::FileSystem::DoneFn> compact_in_flight;
  io::Error failure = io::Error::ok;
  std::function<void(io::Error)> failure_listener;
  std::uint64_t last_sequence = 0;
  std::uint64_t writes = 0;

  State(io::FileSystem& fs_, std::string path, ActivityOptions options_, ActivityLogFn log_)
      : fs(fs_), file(fs_, std::move(path)), options(options_), log(std::move(log_)),
        blocks_per_extent(options_.extent_bytes / options_.block_bytes) {}

  std::vector<Touch> touches_of(const FileOp& op) const {
    std::vector<Touch> touches;
    const FileKey file_key{op.directory, op.path};
    const std::uint64_t extent = options.extent_bytes;
    const std::uint64_t block = options.block_bytes;
    switch (op.kind) {
      case OpKind::write: {
        // An op's shape (ActivityTracker::shape_of) carries the length without the data.
        const std::uint64_t size = op.data.empty() ? op.size_bytes : op.data.size();
        HM_ASSERT(size <= kMaxWriteOpBytes);  // bounds the extents one op touches
        if (size == 0) break;
        const std::uint64_t last = saturating_add(op.offset, size - 1);  // inclusive
        for (std::uint64_t index = op.offset / extent; index <= last / extent; ++index) {
          const std::uint64_t start = std::max(op.offset, index * extent);
          const std::uint64_t end_byte = std::min(last, saturating_add(index * extent, extent - 1));
          touches.push_back({{file_key, ActiveKind::extent, index}, start / block, end_byte / block + 1, 0});
        }
        break;
      }
      case OpKind::truncate:
        touches.push_back({{file_key, ActiveKind::tail, op.size_bytes / extent}, 0, 0, op.size_bytes});
        break;
      case OpKind::unlink: touches.push_back({{file_key, ActiveKind::name, 0}}); break;
      case OpKind::rename:
        touches.push_back({{file_key, ActiveKind::name, 0}});
        touches.push_back({{FileKey{op.directory, op.target}, ActiveKind::name, 0}});
        if (touches[1].key < touches[0].key) std::swap(touches[0], touches[1]);
        if (touches[0].key == touches[1].key) touches.pop_back();
        break;
      case OpKind::create:
      case OpKind::mkdir:
      case OpKind::rmdir:
      case OpKind::set_mtime:
      case OpKind::set_mode: touches.push_back({{file_key, ActiveKind::meta, 0}}); break;
      case OpKind::fsync: break;
    }
    HM_ASSERT(touches.size() <= options.max_active);  // checked against the options at construction
    return touches;
  }

  bool safe(const ActiveKey& key) const {
    if (canary_planted(ProtocolCanary::skip_persisting_dirty_regions)) return true;  // CANARY: memory counts as disk
    return std::binary_search(durable.begin(), durable.end(), key) &&
           (!writing || std::binary_search(writing_keys.begin(), writing_keys.end(), key));
  }

  std::size_t new_keys(const std::vector<Touch>& touches) const {
    std::size_t count = 0;
    for (const Touch& touch : touches) count += active.contains(touch.key) ? 0 : 1;
    return count;
  }

  void apply(const std::vector<Touch>& touches, std::uint64_t sequence) {
    const bool stream = continues_stream(touches);
    for (const Touch& touch : touches) {
      Active& entry = active[touch.key];
      entry.last_sequence = std::max(entry.last_sequence, sequence);
      if (touch.key.kind == ActiveKind::tail) entry.tail_cut = std::min(entry.tail_cut, touch.cut_bytes);
      if (touch.key.kind != ActiveKind::extent) continue;
      if (entry.blocks.empty()) entry.blocks.assign((blocks_per_extent + 63) / 64, 0);
      const std::uint64_t base = touch.key.index * blocks_per_extent;
      for (std::uint64_t b = touch.first_block; b < touch.end_block; ++b) {
        const std::uint64_t bit = b - base;
        HM_ASSERT(bit < blocks_per_extent);
        entry.blocks[bit / 64] |= std::uint64_t{1} << (bit % 64);
      }
    }
    if (stream) name_ahead(touches.back().key, sequence);
    HM_ASSERT(active.size() <= options.max_active);
  }

  // A write that reaches the second half of its extent (or crosses into the next)
  // and whose first extent, or the one before it, is active already, or is extent 0:
  // most likely a sequential stream about to enter a new extent. Decided before the
  // op's own keys are applied. Random writers and files smaller than half an extent
  // seldom or never qualify, so they do not fill the record with extents they will
  // never write.
  bool continues_stream(const std::vector<Touch>& touches) const {
    if (options.extents_ahead == 0 || touches.empty() || touches.front().key.kind != ActiveKind::extent) return false;
    const Touch& last_touch = touches.back();
    const std::uint64_t half_way = last_touch.key.index * blocks_per_extent + blocks_per_extent / 2;
    if (touches.size() == 1 && last_touch.end_block <= half_way) return false;
    const ActiveKey& first = touches.front().key;
    if (first.index == 0 || active.contains(first)) return true;
    ActiveKey before = first;
    --before.index;
    return active.contains(before);
  }

  // The extents_ahead extents past `last` stay active as long as the stream goes on
  // (their last_sequence follows it; they retire with its last op). Missing ones are
  // added when one of the nearer half is missing, so a stream causes one record
  // write per extents_ahead / 2 extents, each in flight beside the data it precedes.
  void name_ahead(ActiveKey last, std::uint64_t sequence) {
    const std::uint64_t max_index = UINT64_MAX / options.extent_bytes - 1;  // as parse_record accepts
    const std::size_t near = (options.extents_ahead + 1) / 2;
    bool near_missing = false;
    ActiveKey key = last;
    for (std::size_t i = 1; i <= options.extents_ahead && key.index < max_index; ++i) {
      ++key.index;
      const auto found = active.find(key);
      if (found == active.end()) {
        near_missing = near_missing || i <= near;
        continue;
      }
      found->second.last_sequence = std::max(found->second.last_sequence, sequence);
    }
    if (!near_missing) return;
    key = last;
    for (std::size_t i = 1; i <= options.extents_ahead && key.index < max_index; ++i) {
      ++key.index;
      if (active.contains(key)) continue;
      if (active.size() >= options.max_active / 2) return;  // the rest of the room is for ops
      Active& entry = active[key];
      entry.last_sequence = sequence;
      entry.blocks.assign((blocks_per_extent + 63) / 64, 0);  // nothing written yet: uncertain() marks nothing
      ahead_unrecorded = true;
    }
  }

  // Admits waiters in order while they fit, then starts a record write if one is
  // needed. Never runs a go callback: those run only from write completions.
  void pump() {
    if (failure == io::Error::ok) {
      for (Waiter& waiter : waiting) {
        if (waiter.admitted) continue;
        if (active.size() + new_keys(waiter.touches) > options.max_active) break;  // full: later ops wait too
        apply(waiter.touches, waiter.sequence);
        waiter.admitted = true;
      }
    }
    const bool admitted_waiting = failure == io::Error::ok && !waiting.empty() && waiting.front().admitted;
    const bool ahead_due = failure == io::Error::ok && ahead_unrecorded;
    if (!writing && ((admitted_waiting && record_write_needed()) || !compact_next.empty() || ahead_due)) start_write();
  }

  // While written() releases ops, an op submitted from their callbacks queues even when
  // the record already covers it, and written() releases it right after. A record write
  // for such ops would only delay the next op that enters a new extent, which then
  // waits for it and for its own: two rewrites per 4 MiB of a sequential writer
  // (bench/suite). Outside releasing, an admitted op waits only for a write.
  bool record_write_needed() const {
    if (!releasing) return true;
    return std::any_of(waiting.begin(), waiting.end(), [this](const Waiter& w) { return w.admitted && !all_safe(w.touches); });
  }

  io::Bytes encode() const {
    RecordWriter out;
    // The header, then per entry its fixed fields and a path (most are short).
    out.reserve(13 + active.size() * (17 + 32));
    out.u64(options.extent_bytes);
    out.u8(everything_pinned ? 1 : 0);
    out.u32(static_cast<std::uint32_t>(active.size()));
    for (const auto& [key, entry] : active) {
      out.u8(static_cast<std::uint8_t>(key.kind));
      out.u32(key.file.directory);
      out.text(key.file.path);
      out.u64(key.index);
    }
    return out.seal(kActivityRecordMagic);
  }

  void start_write() {
    HM_ASSERT(!writing);
    writing = true;
    ahead_unrecorded = false;  // every active key goes into this write
    writing_keys.clear();
    for (const auto& [key, entry] : active) writing_keys.push_back(key);
    compact_in_flight = std::move(compact_next);
    compact_next.clear();
    ++writes;
    const io::Bytes contents = encode();
    HM_ASSERT(contents.size() <= kMaxActivityRecordBytes);
    const io::Error queued = file.write(contents, [weak = weak_from_this()](io::Error result) {
      if (const auto self = weak.lock()) self->written(result);
    });
    HM_ASSERT(queued == io::Error::ok);  // one write at a time: the AtomicFile queue is never full
  }

  void written(io::Error result) {
    writing = false;
    std::vector<GoFn> released;
    io::Error outcome = result;
    if (result == io::Error::ok) {
      durable.swap(writing_keys);
      while (!waiting.empty() && waiting.front().admitted && all_safe(waiting.front().touches)) {
        released.push_back(std::move(waiting.front().go));
        waiting.pop_front();
      }
    } else {
      const bool first_failure = failure == io::Error::ok;
      if (first_failure) {
        log("activity record " + file.path() + " could not be written (" + std::string(io::error_name(result)) +
            "): refusing writes not already recorded");
      }
      failure = result;
      if (first_failure && failure_listener) failure_listener(result);
      for (Waiter& waiter : waiting) released.push_back(std::move(waiter.go));
      waiting.clear();
    }
    writing_keys.clear();
    auto compactions = std::move(compact_in_flight);
    compact_in_flight.clear();
    pump();
    for (auto& done : compactions) done(result);
    // In order, and nothing may overtake them: an op arriving from inside one of these
    // callbacks waits behind the ones not yet told.
    releasing = true;
    for (auto& go : released) go(outcome);
    // Ops submitted from inside those callbacks had to queue (nothing overtakes the
    // ones not yet told); those the durable record already covers go on now, in order,
    // rather than each waiting for a record write of its own -- that convoy capped a
    // writer at one record rewrite per op (~300 ops/s, measured by bench/suite).
    while (outcome == io::Error::ok && !waiting.empty() && waiting.front().admitted && all_safe(waiting.front().touches)) {
      GoFn go = std::move(waiting.front().go);
      waiting.pop_front();
      go(outcome);
    }
    releasing = false;
    pump();
  }

  bool all_safe(const std::vector<Touch>& touches) const {
    return std::all_of(touches.begin(), touches.end(), [this](const Touch& t) { return safe(t.key); });
  }

  void loaded_record(io::Result<io::Bytes> read, bool expect_record, LoadedActivity& result);
};

ActivityLog::ActivityLog(io::FileSystem& fs, std::string path, ActivityOptions options, ActivityLogFn log)
    : state_(std::make_shared<State>(fs, std::move(path), options, std::move(log))) {
  HM_ASSERT(state_->log);
  HM_ASSERT(options.block_bytes >= kMinBlockBytes && options.block_bytes <= kMaxBlockBytes);
  HM_ASSERT((options.block_bytes & (options.block_bytes - 1)) == 0);
  HM_ASSERT(options.extent_bytes >= options.block_bytes && options.extent_bytes % options.block_bytes == 0);
  HM_ASSERT(options.extent_bytes / options.block_bytes <= kMaxBlocksPerExtent);
  // One op must always fit: a write of kMaxWriteOpBytes spans this many extents, a
  // rename two names.
  HM_ASSERT(options.max_active >= std::max<std::uint64_t>(2, kMaxWriteOpBytes / options.extent_bytes + 2));
  HM_ASSERT(options.max_active <= kMaxActiveExtents);
  HM_ASSERT(options.extents_ahead <= kMaxExtentsAhead);  // keeps the record within kMaxActivityRecordBytes
}

ActivityLog::~ActivityLog() = default;

void ActivityLog::State::loaded_record(io::Result<io::Bytes> read, bool expect_record, LoadedActivity& result) {
  auto distrust = [&](RecordState state, const std::string& why) {
    result.state = state;
    result.dirty.mark_everything();
    everything_pinned = true;
    log("activity record " + file.path() + " is " + std::string(record_state_name(state)) + " (" + why +
        "): treating everything as dirty");
  };
  if (!read) {
    if (read.error() == io::Error::not_found && !expect_record) return void(result.state = RecordState::missing);
    if (read.error() == io::Error::not_found) return distrust(RecordState::missing, "a record was expected");
    if (read.error() == io::Error::invalid_argument) return distrust(RecordState::damaged, "too large");
    return distrust(RecordState::unreadable, std::string(io::error_name(read.error())));
  }
  std::string why;
  const auto parsed = parse_record(read.value(), why);
  if (!parsed) return distrust(RecordState::damaged, why);

  result.state = RecordState::loaded;
  result.entries = parsed->keys.size();
  // The marks use the extent size the record was written with.
  for (const ActiveKey& key : parsed->keys) mark_whole_entry(result.dirty, key, parsed->extent_bytes);
  if (parsed->everything) {
    result.dirty.mark_everything();
    everything_pinned = true;
  }
  if (parsed->extent_bytes != options.extent_bytes) {
    // Its entries cannot be kept under this run's extent size; until released, a
    // second crash falls back to everything.
    log("activity record " + file.path() + " uses " + std::to_string(parsed->extent_bytes) + "-byte extents, this run " +
        std::to_string(options.extent_bytes) + ": its marks are kept as loaded, a second crash before release resyncs everything");
    everything_pinned = true;
    return;
  }
  for (const ActiveKey& key : parsed->keys) {
    Active& entry = active[key];
    entry.pinned = true;
    if (key.kind == ActiveKind::extent) entry.blocks.assign((blocks_per_extent + 63) / 64, ~std::uint64_t{0});
    if (key.kind == ActiveKind::tail) entry.tail_cut = key.index * options.extent_bytes;
    HM_ASSERT(durable.empty() || durable.back() < key);  // parse_record checked the order
    durable.push_back(key);
  }
}

void ActivityLog::load(bool expect_record, std::function<void(LoadedActivity)> done) {
  HM_ASSERT(done);
  HM_ASSERT(!state_->loaded && !state_->writing);
  std::weak_ptr<State> weak = state_;
  io::read_whole_file(state_->fs, state_->file.path(), kMaxActivityRecordBytes,
                      [weak, expect_record, done = std::move(done)](io::Result<io::Bytes> read) {
    const auto self = weak.lock();
    if (!self) return;
    LoadedActivity result{.state = RecordState::missing, .dirty = DirtyMap(self->options.block_bytes)};
    self->loaded_record(std::move(read), expect_record, result);
    self->loaded = true;
    done(std::move(result));
  });
}

void ActivityLog::release_recovered() {
  State& state = *state_;
  HM_ASSERT(state.loaded);
  state.everything_pinned = false;
  for (auto it = state.active.begin(); it != state.active.end();) {
    if (it->second.pinned && it->second.last_sequence == 0) {
      it = state.active.erase(it);
      continue;
    }
    it->second.pinned = false;
    ++it;
  }
  state.pump();
}

Admit ActivityLog::before_write(std::uint64_t sequence, const FileOp& op, GoFn go) {
  State& state = *state_;
  HM_ASSERT(state.loaded);
  HM_ASSERT(go);
  HM_ASSERT(sequence >= state.last_sequence);
  std::vector<Touch> touches = state.touches_of(op);
  const bool in_order = state.waiting.empty() && !state.releasing;
  if (in_order && state.all_safe(touches) && state.active.size() + state.new_keys(touches) <= state.options.max_active) {
    state.last_sequence = sequence;
    state.apply(touches, sequence);
    state.pump();  // records extents it named ahead, beside this op's data write
    return {Admission::proceed_now, io::Error::ok};
  }
  if (state.failure != io::Error::ok) return {Admission::refused, state.failure};
  if (state.waiting.size() >= kMaxWaitingOps) return {Admission::refused, io::Error::would_block};
  state.last_sequence = sequence;
  state.waiting.push_back({sequence, std::move(touches), std::move(go), false});
  state.pump();
  return {Admission::wait_for_go, io::Error::ok};
}

void ActivityLog::retire_through(std::uint64_t sequence) {
  State& state = *state_;
  // An op not yet admitted to the disk cannot be durable anywhere.
  HM_ASSERT(state.waiting.empty() || state.waiting.front().sequence > sequence);
  for (auto it = state.active.begin(); it != state.active.end();) {
    if (!it->second.pinned && it->second.last_sequence <= sequence) {
      it = state.active.erase(it);
    } else {
      ++it;
    }
  }
  state.pump();
}

void ActivityLog::keep_until_resync(const FileOp& op) {
  State& state = *state_;
  // Its entries are active: an op completes before any checkpoint through it. (Not
  // under the canary that records nothing while PRIM: nothing to keep then.)
  for (const Touch& touch : state.touches_of(op)) {
    const auto found = state.active.find(touch.key);
    if (found != state.active.end()) found->second.pinned = true;
  }
}

void ActivityLog::compact(io::FileSystem::DoneFn done) {
  State& state = *state_;
  HM_ASSERT(done);
  HM_ASSERT(state.loaded);
  HM_ASSERT(state.compact_next.size() < kMaxWaitingCompactions);
  state.compact_next.push_back(std::move(done));
  state.pump();
}

DirtyMap ActivityLog::uncertain() const {
  const State& state = *state_;
  DirtyMap dirty(state.options.block_bytes);
  if (state.everything_pinned) dirty.mark_everything();
  for (const auto& [key, entry] : state.active) {
    if (key.kind == ActiveKind::tail) {
      dirty.mark_from(key.file, entry.tail_cut);
      continue;
    }
    if (key.kind != ActiveKind::extent) {
      mark_whole_entry(dirty, key, state.options.extent_bytes);
      continue;
    }
    // Runs of written blocks.
    const std::uint64_t base = key.index * state.blocks_per_extent;
    std::uint64_t bit = 0;
    while (bit < state.blocks_per_extent) {
      auto set = [&](std::uint64_t b) { return (entry.blocks[b / 64] >> (b % 64)) & 1; };
      if (!set(bit)) {
        ++bit;
        continue;
      }
      std::uint64_t end = bit;
      while (end < state.blocks_per_extent && set(end)) ++end;
      dirty.mark_blocks(key.file, {base + bit, base + end});
      bit = end;
    }
  }
  return dirty;
}

std::size_t ActivityLog::active_count() const { return state_->active.size(); }
std::size_t ActivityLog::waiting_ops() const { return state_->waiting.size(); }
bool ActivityLog::failed() const { return state_->failure != io::Error::ok; }
void ActivityLog::set_failure_listener(std::function<void(io::Error)> listener) {
  state_->failure_listener = std::move(listener);
}
std::uint64_t ActivityLog::record_writes() const { return state_->writes; }
const ActivityOptions& ActivityLog::options() const { return state_->options; }

bool ActivityLog::full() const {
  const State& state = *state_;
  return !state.waiting.empty() && !state.waiting.back().admitted;
}

std::vector<ActiveKey> ActivityLog::active_keys() const {
  std::vector<ActiveKey> keys;
  for (const auto& [key, entry] : state_->active) keys.push_back(key);
  return keys;
}

std::vector<ActiveKey> ActivityLog::keys_of(const FileOp& op) const {
  std::vector<ActiveKey> keys;
  for (const Touch& touch : state_->touches_of(op)) keys.push_back(touch.key);
  return keys;
}

}  // namespace hamirror::core
