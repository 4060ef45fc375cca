#include "core/activity/dirty_record.h"

#include <utility>

#include "core/activity/record_codec.h"
#include "io/assert.h"
#include "io/atomic_file.h"

namespace hamirror::core {
namespace {

// Version 1 of the dirty record: u64 through_sequence, then the map (dirty_map.cpp).
constexpr std::string_view kDirtyRecordMagic = "HMDIRTY1";

}  // namespace

std::string_view record_state_name(RecordState state) {
  switch (state) {
    case RecordState::loaded: return "loaded";
    case RecordState::missing: return "missing";
    case RecordState::damaged: return "damaged";
    case RecordState::unreadable: return "unreadable";
  }
  return "unknown";
}

struct DirtyRecord::State : std::enable_shared_from_this<DirtyRecord::State> {
  io::FileSystem& fs;
  io::AtomicFile file;
  ActivityLogFn log;
  bool in_flight = false;
  bool next_pending = false;  // next_contents waits for the save in flight
  io::Bytes next_contents;
  std::vector<io::FileSystem::DoneFn> in_flight_done;
  std::vector<io::FileSystem::DoneFn> next_done;

  State(io::FileSystem& fs_, std::string path, ActivityLogFn log_)
      : fs(fs_), file(fs_, std::move(path)), log(std::move(log_)) {}

  void start(io::Bytes contents) {
    HM_ASSERT(!in_flight);
    in_flight = true;
    const io::Error queued = file.write(contents, [weak = weak_from_this()](io::Error result) {
      if (const auto self = weak.lock()) self->finished(result);
    });
    HM_ASSERT(queued == io::Error::ok);  // one write at a time: the AtomicFile queue is never full
  }

  void finished(io::Error result) {
    in_flight = false;
    auto done = std::move(in_flight_done);
    in_flight_done.clear();
    if (next_pending) {
      next_pending = false;
      in_flight_done = std::move(next_done);
      next_done.clear();
      start(std::move(next_contents));
    }
    for (auto& callback : done) callback(result);
  }
};

DirtyRecord::DirtyRecord(io::FileSystem& fs, std::string path, ActivityLogFn log)
    : state_(std::make_shared<State>(fs, std::move(path), std::move(log))) {
  HM_ASSERT(state_->log);
}

DirtyRecord::~DirtyRecord() = default;

io::Error DirtyRecord::save(const DirtyMap& map, std::uint64_t through_sequence, io::FileSystem::DoneFn done) {
  HM_ASSERT(done);
  RecordWriter body;
  body.u64(through_sequence);
  map.serialize(body);
  io::Bytes contents = body.seal(kDirtyRecordMagic);
  HM_ASSERT(contents.size() <= kMaxDirtyRecordBytes);  // the map's own bounds keep it smaller
  State& state = *state_;
  if (!state.in_flight) {
    state.in_flight_done.push_back(std::move(done));
    state.start(std::move(contents));
    return io::Error::ok;
  }
  if (state.next_done.size() >= kMaxWaitingSaves) return io::Error::would_block;
  state.next_pending = true;
  state.next_contents = std::move(contents);
  state.next_done.push_back(std::move(done));
  return io::Error::ok;
}

bool DirtyRecord::saving() const { return state_->in_flight; }

const std::string& DirtyRecord::path() const { return state_->file.path(); }

void DirtyRecord::load(bool expect_record, std::function<void(LoadedDirtyMap)> done) {
  HM_ASSERT(done);
  std::weak_ptr<State> weak = state_;
  const std::string path = state_->file.path();
  io::read_whole_file(state_->fs, path, kMaxDirtyRecordBytes,
                      [weak, path, expect_record, done = std::move(done)](io::Result<io::Bytes> read) {
    const auto self = weak.lock();
    if (!self) return;
    LoadedDirtyMap loaded;
    auto distrust = [&](RecordState state, const std::string& why) {
      loaded.state = state;
      loaded.map.mark_everything();
      self->log("dirty record " + path + " is " + std::string(record_state_name(state)) + " (" + why +
                "): treating everything as dirty");
    };
    if (!read) {
      if (read.error() == io::Error::not_found && !expect_record) {
        loaded.state = RecordState::missing;
      } else if (read.error() == io::Error::not_found) {
        distrust(RecordState::missing, "a record was expected");
      } else if (read.error() == io::Error::invalid_argument) {
        distrust(RecordState::damaged, "larger than " + std::to_string(kMaxDirtyRecordBytes) + " bytes");
      } else {
        distrust(RecordState::unreadable, std::string(io::error_name(read.error())));
      }
      return done(std::move(loaded));
    }
    std::string why;
    const auto body = open_record(read.value(), kDirtyRecordMagic, why);
    if (!body) {
      distrust(RecordState::damaged, why);
      return done(std::move(loaded));
    }
    RecordReader in(*body);
    std::uint64_t through = 0;
    auto map = in.u64(through) ? DirtyMap::parse(in, why) : std::nullopt;
    if (map && !in.at_end()) why = "trailing bytes after the map";
    if (!map || !in.at_end()) {
      distrust(RecordState::damaged, why.empty() ? "cut short" : why);
      return done(std::move(loaded));
    }
    loaded.state = RecordState::loaded;
    loaded.map = std::move(*map);
    // Read back after a restart, maybe after a crash that undid truncates and unlinks.
    loaded.map.distrust_cuts();
    loaded.through_sequence = through;
    done(std::move(loaded));
  });
}

}  // namespace hamirror::core
