#include "core/reintegration/reintegration_target.h"

#include <algorithm>
#include <utility>

#include "core/canary.h"
#include "core/reintegration/block_checksum.h"
#include "core/reintegration/reintegration_source.h"
#include "io/assert.h"

namespace hamirror::core {

namespace {
std::string child_path(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Bits the target adds to an entry's mode while it works (see "read-only modes last"
// in the header): what a daemon that is not root needs to write a file, and to make,
// remove and reach the entries of a directory.
constexpr std::uint32_t kWorkingFileBits = 0600;
constexpr std::uint32_t kWorkingDirectoryBits = 0700;

std::size_t depth(const std::string& path) { return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')); }
}  // namespace

ReintegrationTarget::ReintegrationTarget(io::FileSystem& fs, std::vector<std::string> roots, PersistFn persist_generation,
                                         GenerationInfo local, Listener listener)
    : fs_(fs),
      roots_(roots),
      persist_generation_(std::move(persist_generation)),
      local_(std::move(local)),
      listener_(std::move(listener)),
      applier_(fs, roots) {
  for (std::size_t i = 0; i < kDataLanes; ++i) lanes_.push_back(std::make_unique<OpApplier>(fs, roots));
  HM_ASSERT(listener_.on_synchronised);
  HM_ASSERT(persist_generation_);
}

ReintegrationTarget::~ReintegrationTarget() { *alive_ = false; }

void ReintegrationTarget::attach(wire::FramedConnection& link) {
  link_ = &link;
  outbox_.attach(&link);
}

void ReintegrationTarget::detach() {
  link_ = nullptr;
  outbox_.detach();
  steps_.clear();
  if (state_ != State::synchronised) state_ = State::failed;
}

void ReintegrationTarget::fail(const std::string& reason) {
  state_ = State::failed;
  steps_.clear();
  if (link_ != nullptr) link_->fail(reason);
}

std::string ReintegrationTarget::native(std::uint32_t directory, const std::string& path) const {
  return path.empty() ? roots_[directory] : native_path(roots_[directory], path);
}

void ReintegrationTarget::apply(FileOp op, std::function<void(io::Error)> done) { apply_on(applier_, std::move(op), std::move(done)); }

void ReintegrationTarget::apply_on(OpApplier& applier, FileOp op, std::function<void(io::Error)> done) {
  const io::Error queued = applier.apply(std::move(op), std::move(done));
  // Messages were checked; one step at a time (a lane: kMaxDataStepsInFlight) keeps the queue short.
  HM_ASSERT(queued == io::Error::ok);
}

void ReintegrationTarget::keep_durable(OpApplier& applier, std::uint32_t directory, const std::string& path, io::FileKind kind) {
  const io::Error queued = applier.keep_durable(directory, path, kind);
  HM_ASSERT(queued == io::Error::ok);  // as apply_on()
}

void ReintegrationTarget::persist(GenerationInfo info, std::function<void(io::Error)> done) {
  persist_generation_(info, [alive = alive_, done = std::move(done)](io::Error result) {
    if (*alive) done(result);
  });
}

// --- the step queue ------------------------------------------------------------------

std::string ReintegrationTarget::push(Step step, std::optional<Key> data_file) {
  if (steps_.size() >= kMaxTargetSteps) return "more than " + std::to_string(kMaxTargetSteps) + " reintegration steps queued";
  steps_.push_back({std::move(step), std::move(data_file)});
  run_next();
  return {};
}

void ReintegrationTarget::run_next() {
  // A step that completes at once would otherwise recurse through run_next().
  if (in_run_) {
    run_again_ = true;
    return;
  }
  in_run_ = true;
  do {
    run_again_ = false;
    if (state_ == State::failed) break;
    // A started step may change the queue (fail() empties it): look again from the front.
    if (start_one()) run_again_ = true;
  } while (run_again_);
  in_run_ = false;
}

bool ReintegrationTarget::start_one() {
  if (barrier_running_ || steps_.empty()) return false;
  if (!steps_.front().data_file) {
    if (!data_running_.empty()) return false;  // after the block data before it
    start(steps_.begin());
    return true;
  }
  if (data_running_.size() >= kMaxDataStepsInFlight) return false;
  // Block data that no step in front of it must precede: the first of its file, up to
  // the first step that is not block data.
  std::set<Key> waiting;
  auto it = steps_.begin();
  for (std::size_t looked = 0; looked < kMaxStepsLookedAhead && it != steps_.end() && it->data_file; ++looked, ++it) {
    const Key& file = *it->data_file;
    if (!data_running_.contains(file) && !waiting.contains(file)) {
      start(it);
      return true;
    }
    waiting.insert(file);
  }
  return false;
}

void ReintegrationTarget::start(std::deque<Queued>::iterator queued) {
  Queued step = std::move(*queued);
  steps_.erase(queued);
  if (!step.data_file) {
    barrier_running_ = true;
    // It may rename or remove what the lanes' cached handles name.
    for (const auto& lane : lanes_) HM_ASSERT(lane->close_cached_handles() == io::Error::ok);
    return step.run([this, alive = alive_] {
      if (!*alive) return;
      barrier_running_ = false;
      run_next();
    });
  }
  const bool alone = data_running_.insert(*step.data_file).second;
  HM_ASSERT(alone);  // a file's block data in stream order, one at a time
  counters_.data_steps_in_flight_max = std::max<std::uint64_t>(counters_.data_steps_in_flight_max, data_running_.size());
  step.run([this, alive = alive_, file = *step.data_file] {
    if (!*alive) return;
    data_running_.erase(file);
    run_next();
  });
}

OpApplier& ReintegrationTarget::lane(std::uint32_t directory, const std::string& path) {
  return *lanes_[(std::hash<std::string>{}(path) + directory) % lanes_.size()];
}

// --- receiving -------------------------------------------------------------------------

std::string ReintegrationTarget::check_watermark(std::uint64_t watermark, std::uint32_t directory, const std::string* file) {
  if (directory >= roots_.size()) return "directory index out of range";
  if (watermark > last_live_sequence_) return "watermark ahead of the live ops received";
  if (watermark < last_watermark_) return "watermark went backwards";
  // The rule of reintegration_source.h: nothing read for resync may be older than a
  // live op on the same data that came before it.
  if (last_namespace_live_ > watermark) return "resync message older than a namespace op before it";
  if (file != nullptr) {
    const auto found = last_file_live_.find({directory, *file});
    if (found != last_file_live_.end() && found->second > watermark) return "resync block older than a live write before it";
  }
  ++counters_.ordering_checks;
  if (watermark > last_watermark_) {
    last_watermark_ = watermark;
    // Later messages carry a watermark at least this one: older ops can never matter.
    std::erase_if(last_file_live_, [watermark](const auto& entry) { return entry.second <= watermark; });
  }
  return {};
}

std::string ReintegrationTarget::on_frame(const wire::Frame& frame) {
  if (state_ == State::synchronised) return "reintegration frame after the switch";
  if (state_ == State::failed) return {};
  if (state_ == State::idle) {
    if (frame.header.type != wire::MessageType::resync_begin) return "reintegration frame before resync_begin";
    auto begin = wire::decode_message<ResyncBegin>(frame);
    if (!begin) return begin.error();
    if (begin.value().directory_count != roots_.size()) return "the peers replicate a different number of directories";
    state_ = State::running;
    if (listener_.on_begin) listener_.on_begin(begin.value().mode);
    return push([this](Next next) { begin_step(std::move(next)); });
  }
  switch (frame.header.type) {
    case wire::MessageType::resync_dir_listing: {
      auto listing = wire::decode_message<ResyncDirListing>(frame);
      if (!listing) return listing.error();
      if (std::string bad = check_watermark(listing.value().watermark, listing.value().directory, nullptr); !bad.empty()) return bad;
      return push([this, listing = std::move(listing).value()](Next next) mutable { listing_step(std::move(listing), std::move(next)); });
    }
    case wire::MessageType::resync_block_checksums: {
      auto sums = wire::decode_message<ResyncBlockChecksums>(frame);
      if (!sums) return sums.error();
      if (std::string bad = check_watermark(sums.value().watermark, sums.value().directory, &sums.value().path); !bad.empty()) return bad;
      return push([this, sums = std::move(sums).value()](Next next) mutable { checksums_step(std::move(sums), std::move(next)); });
    }
    case wire::MessageType::resync_block_data: {
      auto data = wire::decode_message<ResyncBlockData>(frame);
      if (!data) return data.error();
      if (std::string bad = check_watermark(data.value().watermark, data.value().directory, &data.value().path); !bad.empty()) return bad;
      Key file{data.value().directory, data.value().path};
      return push([this, data = std::move(data).value()](Next next) mutable { data_step(std::move(data), std::move(next)); },
                  std::move(file));
    }
    case wire::MessageType::resync_live_op: {
      auto live = wire::decode_message<ResyncLiveOp>(frame);
      if (!live) return live.error();
      ReplicateOp& op = live.value().op;
      if (op.sequence != last_live_sequence_ + 1) return "live op " + std::to_string(op.sequence) + " out of order";
      if (op.directory >= roots_.size()) return "directory index out of range";
      last_live_sequence_ = op.sequence;
      if (is_namespace_op(op.kind)) {
        last_namespace_live_ = op.sequence;
      } else {
        last_file_live_[{op.directory, op.path}] = op.sequence;
      }
      Step step = [this, op = std::move(op)](Next next) mutable { live_step(std::move(op), std::move(next)); };
      if (canary_planted(ProtocolCanary::resync_block_over_live_write) && steps_.size() < kMaxTargetSteps) {
        steps_.push_front({std::move(step), std::nullopt});  // CANARY: the live op overtakes the older resync blocks queued here
        run_next();
        return {};
      }
      return push(std::move(step));
    }
    case wire::MessageType::resync_done: {
      auto done = wire::decode_message<ResyncDone>(frame);
      if (!done) return done.error();
      if (done.value().last_live_sequence != last_live_sequence_) return "done does not follow the last live op";
      return push([this, done = done.value()](Next next) { done_step(done, std::move(next)); });
    }
    default:
      return "unexpected " + std::to_string(static_cast<int>(frame.header.type)) + " frame from the reintegration source";
  }
}

// --- steps ---------------------------------------------------------------------------------

void ReintegrationTarget::begin_step(Next next) {
  GenerationInfo marked = local_;
  marked.consistent = false;
  persist(marked, [this, marked, next = std::move(next)](io::Error result) {
    if (result != io::Error::ok) return fail("cannot mark this copy inconsistent: " + std::string(io::error_name(result)));
    local_ = marked;  // durable from here on: a crash leaves an unpromotable copy
    next();
  });
}

void ReintegrationTarget::listing_step(ResyncDirListing listing, Next next) {
  const std::string dir = native(listing.directory, listing.path);
  fs_.readdir(dir, [this, alive = alive_, listing = std::move(listing), next = std::move(next)](io::Result<std::vector<io::DirEntry>> own) mutable {
    if (!*alive) return;
    auto ack = std::make_shared<ResyncAck>();
    ack->id = listing.id;
    if (!own) {
      // The directory itself is missing here: an earlier failed live op the source
      // already rechecks, or a parent listing still to come.
      ack->failed = true;
      outbox_.send(*ack);
      return next();
    }
    ++counters_.listings_applied;
    sized_.clear();  // it may remove or replace files
    // Entries found right may have been made and never flushed: the checkpoint flushes
    // this directory too.
    keep_durable(applier_, listing.directory, listing.path, io::FileKind::directory);
    // The page speaks for names in (after, last entry] (or to the end).
    auto in_range = [&listing](const std::string& name) {
      if (!listing.after.empty() && !(listing.after < name)) return false;
      return listing.last || (!listing.entries.empty() && !(listing.entries.back().name < name));
    };
    auto actions = std::make_shared<std::vector<Action>>();
    std::map<std::string, io::FileKind> mine;
    for (const io::DirEntry& entry : *own) {
      if (in_range(entry.name) && entry.kind != io::FileKind::other) mine.emplace(entry.name, entry.kind);
    }
    for (const ListingEntry& wanted : listing.entries) {
      const auto found = mine.find(wanted.name);
      const bool present = found != mine.end() && found->second == wanted.kind;
      if (found != mine.end() && !present) {
        actions->push_back({Action::Do::remove, wanted.name, found->second});  // a file where a directory belongs, or back
      }
      if (found != mine.end()) mine.erase(found);
      if (!present) actions->push_back({Action::Do::create, wanted.name, wanted.kind});
      // Whether it was there or not: this copy cannot tell its mode from the listing.
      if (wanted.kind == io::FileKind::directory) {
        actions->push_back({Action::Do::set_mode, wanted.name, wanted.kind, wanted.mode | kWorkingDirectoryBits, wanted.mode});
      }
    }
    for (const auto& [name, kind] : mine) actions->insert(actions->begin(), Action{Action::Do::remove, name, kind});  // extras go first
    run_actions(actions, 0, listing.directory, listing.path, ack, std::move(next));
  });
}

void ReintegrationTarget::run_actions(std::shared_ptr<std::vector<Action>> actions, std::size_t index, std::uint32_t directory,
                                      std::string path, std::shared_ptr<ResyncAck> ack, Next next) {
  if (index == actions->size()) {
    outbox_.send(*ack);
    return next();
  }
  const Action action = (*actions)[index];
  const std::string child = child_path(path, action.name);
  auto after = [this, actions, index, directory, path, ack, next = std::move(next), action](io::Error result) mutable {
    if (result != io::Error::ok) ack->failed = true;
    if (result == io::Error::ok && action.what == Action::Do::create) {
      ++counters_.entries_created;
      ack->created.push_back({action.name, action.kind});
      // Empty, with whatever mode the create gave it: the first message about it sizes
      // it without asking the file system first.
      if (action.kind == io::FileKind::regular) remember_sized(directory, child_path(path, action.name), 0, kModeUnknown);
    }
    if (result == io::Error::ok && action.what == Action::Do::remove) ++counters_.entries_removed;
    run_actions(std::move(actions), index + 1, directory, std::move(path), std::move(ack), std::move(next));
  };
  if (action.what == Action::Do::remove) return remove_tree(directory, child, action.kind, std::move(after));
  if (action.what == Action::Do::set_mode) {
    // Deferred now, not when the page was read: removing a file in its place (an
    // action before this one) forgets every mode under its name.
    defer_mode(directory, child, action.final_mode, action.mode);
    return apply({.kind = OpKind::set_mode, .directory = directory, .path = child, .mode = action.mode}, std::move(after));
  }
  if (action.kind == io::FileKind::directory) {
    return apply({.kind = OpKind::mkdir, .directory = directory, .path = child}, std::move(after));
  }
  apply({.kind = OpKind::create, .directory = directory, .path = child}, std::move(after));
}

void ReintegrationTarget::remove_tree(std::uint32_t directory, std::string path, io::FileKind kind,
                                      std::function<void(io::Error)> done) {
  forget_modes_under(directory, path);
  if (kind != io::FileKind::directory) {
    return apply({.kind = OpKind::unlink, .directory = directory, .path = path}, std::move(done));
  }
  // Its entries go only while it is writable; it may be read-only here. A failure
  // shows in what follows.
  apply({.kind = OpKind::set_mode, .directory = directory, .path = path, .mode = kWorkingDirectoryBits},
        [this, directory, path, done = std::move(done)](io::Error) mutable {
          fs_.readdir(native(directory, path), [this, alive = alive_, directory, path, done = std::move(done)](io::Result<std::vector<io::DirEntry>> children) mutable {
            if (!*alive) return;
            if (!children) return done(children.error());
            auto list = std::make_shared<std::vector<io::DirEntry>>(std::move(children).value());
            remove_children(directory, std::move(path), std::move(list), 0, std::move(done));
          });
        });
}

void ReintegrationTarget::remove_children(std::uint32_t directory, std::string path, std::shared_ptr<std::vector<io::DirEntry>> children,
                                          std::size_t index, std::function<void(io::Error)> done) {
  if (index == children->size()) {
    return apply({.kind = OpKind::rmdir, .directory = directory, .path = path}, std::move(done));
  }
  const io::DirEntry& child = (*children)[index];
  remove_tree(directory, child_path(path, child.name), child.kind,
              [this, directory, path, children, index, done = std::move(done)](io::Error result) mutable {
                if (result != io::Error::ok) return done(result);
                remove_children(directory, std::move(path), std::move(children), index + 1, std::move(done));
              });
}

void ReintegrationTarget::ensure_file(OpApplier& applier, std::uint32_t directory, const std::string& path, std::uint64_t size,
                                      std::uint32_t mode, bool written_whole, std::function<void(io::Error)> done) {
  const auto sized = sized_.find({directory, path});
  if (sized != sized_.end()) {
    if (sized->second == Sized{size, mode}) return done(io::Error::ok);
    return size_file(applier, directory, path, size, mode, sized->second, written_whole, std::move(done));
  }
  // Usually (fast mode) the file is already there at that size and mode: one stat
  // instead of three applied ops. Everything before this step in the stream is
  // applied, so what the stat sees is this copy at this point of the stream.
  fs_.stat(native(directory, path), [this, alive = alive_, &applier, directory, path, size, mode, done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    if (!*alive) return;
    // A read-only mode goes through size_file: writable while data may follow, its
    // mode given at done.
    const bool writable_mode = (mode | kWorkingFileBits) == mode;
    if (stat && stat->kind == io::FileKind::regular && stat->size_bytes == size && (stat->mode & kModeBits) == mode &&
        writable_mode) {
      ++counters_.files_already_sized;
      remember_sized(directory, path, size, mode);
      return done(io::Error::ok);
    }
    size_file(applier, directory, path, size, mode, std::nullopt, false, std::move(done));
  });
}

void ReintegrationTarget::remember_sized(std::uint32_t directory, const std::string& path, std::uint64_t size, std::uint32_t mode) {
  if (sized_.size() >= kMaxSizedFiles) sized_.clear();
  sized_[{directory, path}] = Sized{size, mode};
}

void ReintegrationTarget::size_file(OpApplier& applier, std::uint32_t directory, const std::string& path, std::uint64_t size,
                                    std::uint32_t mode, std::optional<Sized> known, bool written_whole,
                                    std::function<void(io::Error)> done) {
  ++counters_.files_sized;
  // What `known` already gives is not done again: a file a listing just created is
  // there (empty, writable), and the data about to be written whole gives it its size.
  const bool create = !known;
  const bool truncate = !known || !(known->size == size || (written_whole && known->size <= size));
  const bool give_mode = !known || known->mode != mode;
  // Copies end mode-identical too: the mode travels with the size (a read-only one is
  // given at done, after the data).
  const std::uint32_t working = mode | kWorkingFileBits;
  auto moded = [this, directory, path, size, mode, working, done](io::Error result) {
    if (result == io::Error::ok) {
      defer_mode(directory, path, mode, working);
      remember_sized(directory, path, size, mode);
    }
    done(result);
  };
  auto truncated = [this, &applier, directory, path, working, give_mode, moded = std::move(moded)](io::Error result) mutable {
    if (result != io::Error::ok || !give_mode) return moded(result);
    apply_on(applier, {.kind = OpKind::set_mode, .directory = directory, .path = path, .mode = working}, std::move(moded));
  };
  auto created = [this, &applier, directory, path, size, truncate, truncated = std::move(truncated)](io::Error result) mutable {
    if (result != io::Error::ok || !truncate) return truncated(result);
    apply_on(applier, {.kind = OpKind::truncate, .directory = directory, .path = path, .size_bytes = size}, std::move(truncated));
  };
  if (!create) return created(io::Error::ok);
  // Not exclusive: usually the file is there (its listing created it); if an earlier
  // live op failed it is made here, and a missing parent fails (the source rechecks).
  create_writable(applier, directory, path, mode, std::move(created));
}

void ReintegrationTarget::create_writable(OpApplier& applier, std::uint32_t directory, const std::string& path, std::uint32_t mode,
                                          std::function<void(io::Error)> done) {
  apply_on(applier, {.kind = OpKind::create, .directory = directory, .path = path},
           [this, &applier, directory, path, mode, done = std::move(done)](io::Error created) mutable {
             if (created != io::Error::permission_denied) return done(created);
             // Read-only here already (a daemon that is not root cannot open it to write).
             apply_on(applier, {.kind = OpKind::set_mode, .directory = directory, .path = path, .mode = mode | kWorkingFileBits},
                      [this, &applier, directory, path, done = std::move(done)](io::Error writable) mutable {
                        if (writable != io::Error::ok) return done(writable);
                        apply_on(applier, {.kind = OpKind::create, .directory = directory, .path = path}, std::move(done));
                      });
           });
}

void ReintegrationTarget::defer_mode(std::uint32_t directory, const std::string& path, std::uint32_t mode,
                                     std::uint32_t working_mode) {
  if (mode == working_mode) {
    final_modes_.erase({directory, path});  // what it has now is final
  } else {
    final_modes_[{directory, path}] = mode;
  }
}

// The keys strictly under `path`: in std::map order they are exactly those in
// [path + "/", path + "0"), since '0' is the character right after '/'.
std::pair<ReintegrationTarget::FinalModes::iterator, ReintegrationTarget::FinalModes::iterator>
ReintegrationTarget::modes_under(std::uint32_t directory, const std::string& path) {
  return {final_modes_.lower_bound({directory, path + '/'}), final_modes_.lower_bound({directory, path + '0'})};
}

void ReintegrationTarget::forget_modes_under(std::uint32_t directory, const std::string& path) {
  final_modes_.erase({directory, path});
  const auto [first, last] = modes_under(directory, path);
  final_modes_.erase(first, last);
}

void ReintegrationTarget::move_modes(std::uint32_t directory, const std::string& from, const std::string& to) {
  if (from == to) return;  // rename(2) of a name onto itself changes nothing
  forget_modes_under(directory, to);  // replaced
  std::vector<FinalModes::node_type> moved;
  if (auto node = final_modes_.extract({directory, from}); !node.empty()) moved.push_back(std::move(node));
  for (auto [it, last] = modes_under(directory, from); it != last;) moved.push_back(final_modes_.extract(it++));
  for (FinalModes::node_type& node : moved) {
    node.key().second = to + node.key().second.substr(from.size());
    const auto inserted = final_modes_.insert(std::move(node));
    HM_ASSERT(inserted.inserted);  // everything at or under `to` was forgotten above
  }
}

// A live op moves, removes or sets modes the target would set at done.
void ReintegrationTarget::note_live_op(const FileOp& op) {
  switch (op.kind) {
    case OpKind::unlink:
    case OpKind::rmdir: return forget_modes_under(op.directory, op.path);
    case OpKind::rename: return move_modes(op.directory, op.path, op.target);
    default: return;
  }
}

void ReintegrationTarget::apply_final_modes(std::shared_ptr<std::vector<std::pair<Key, std::uint32_t>>> modes, std::size_t index,
                                            std::function<void(io::Error)> done) {
  if (index == modes->size()) return done(io::Error::ok);
  const auto& [key, mode] = (*modes)[index];
  apply({.kind = OpKind::set_mode, .directory = key.first, .path = key.second, .mode = mode},
        [this, modes, index, done = std::move(done)](io::Error result) mutable {
          // not_found: removed since by something no op here told apart; nothing to give.
          if (result != io::Error::ok && result != io::Error::not_found) return done(result);
          apply_final_modes(std::move(modes), index + 1, std::move(done));
        });
}

void ReintegrationTarget::checksums_step(ResyncBlockChecksums message, Next next) {
  const std::uint32_t directory = message.directory;
  const std::string path = message.path;
  const std::uint64_t size = message.file_size;
  const std::uint32_t mode = message.mode;
  ensure_file(applier_, directory, path, size, mode, false, [this, alive = alive_, message = std::move(message), next = std::move(next)](io::Error ready) mutable {
    if (!*alive) return;
    if (ready != io::Error::ok) {
      outbox_.send(ResyncBlockNeeds{message.id, true, {}});
      return next();
    }
    // Blocks found right may never have been synced: the checkpoint fsyncs the file
    // (once, whether blocks are written to it next or not).
    keep_durable(applier_, message.directory, message.path, io::FileKind::regular);
    const std::string file_path = native(message.directory, message.path);  // before message moves into the callback
    fs_.open(file_path, {.read = true}, [this, alive, message = std::move(message), next = std::move(next)](io::Result<io::FileHandle> opened) mutable {
      if (!*alive) return;  // the FileSystem may be gone too (see below)
      if (!opened) {
        outbox_.send(ResyncBlockNeeds{message.id, true, {}});
        return next();
      }
      const io::FileHandle file = *opened;
      const std::uint64_t offset = message.first_block * kResyncBlockBytes;
      const std::uint64_t length = message.checksums.size() * kResyncBlockBytes;
      fs_.read(file, offset, length, [this, alive, file, message = std::move(message), next = std::move(next)](io::Result<io::Bytes> bytes) mutable {
        // Destroyed meanwhile: so may be the FileSystem this member refers to (a node's
        // crash in the simulator takes its I/O stack with it); the handle goes with it.
        if (!*alive) return;
        fs_.close(file, [](io::Error) {});
        ResyncBlockNeeds needs{.id = message.id, .failed = !bytes.ok()};
        if (bytes) {
          const std::vector<std::uint64_t> mine = block_checksums(*bytes, kResyncBlockBytes);
          for (std::size_t i = 0; i < message.checksums.size(); ++i) {
            ++counters_.blocks_compared;
            if (i < mine.size() && mine[i] == message.checksums[i]) continue;
            ++counters_.blocks_differing;
            const std::uint64_t block = message.first_block + i;
            if (!needs.runs.empty() && needs.runs.back().first_block + needs.runs.back().count == block) {
              ++needs.runs.back().count;
            } else {
              needs.runs.push_back({block, 1});
            }
          }
        }
        outbox_.send(needs);
        next();
      });
    });
  });
}

void ReintegrationTarget::data_step(ResyncBlockData message, Next next) {
  const std::uint32_t directory = message.directory;
  const std::string path = message.path;
  const std::uint64_t size = message.file_size;
  const std::uint32_t mode = message.mode;
  // Sized in the file's lane too: files of different lanes side by side, not one after
  // the other through the main applier.
  OpApplier& writer = lane(directory, path);
  const bool written_whole = message.extents.size() == 1 && message.extents.front() == DataExtent{0, size};
  ensure_file(writer, directory, path, size, mode, written_whole, [this, alive = alive_, &writer, message = std::move(message), next = std::move(next)](io::Error ready) mutable {
    if (!*alive) return;
    ++counters_.data_messages_applied;
    if (ready != io::Error::ok || message.extents.empty()) {
      // A size found right may never have been synced either (a write adds nothing).
      if (ready == io::Error::ok) keep_durable(writer, message.directory, message.path, io::FileKind::regular);
      outbox_.send(ResyncAck{.id = message.id, .failed = ready != io::Error::ok});
      return next();
    }
    // Open, write and close in one call (one thread-pool job on libuv) rather than
    // three steps through the lane: nothing else writes this file meanwhile (its data
    // steps run one at a time, every other step waits for them).
    const std::uint64_t bytes = message.data.size();
    std::vector<io::RangeWrite> writes;
    std::uint64_t at = 0;
    for (const DataExtent& extent : message.extents) {
      writes.push_back({extent.offset, message.data.slice(at, extent.length)});
      at += extent.length;
    }
    const std::string file_path = native(message.directory, message.path);  // before path moves into the callback
    fs_.write_ranges(file_path, std::move(writes),
                     [this, alive, &writer, id = message.id, directory = message.directory, path = std::move(message.path), bytes,
                      next = std::move(next)](io::Error written) {
                       if (!*alive) return;  // the FileSystem may be gone too (see checksums_step)
                       // Noted once written, not before: an applier whose set of changed
                       // names fills up syncs what it holds at once, which must not be
                       // this file before its data is in it.
                       keep_durable(writer, directory, path, io::FileKind::regular);
                       if (written == io::Error::ok) counters_.data_bytes_written += bytes;
                       // Sized on the promise of this write (size_file skips the truncate
                       // of a file written whole): a failed one leaves the size unknown.
                       if (written != io::Error::ok) sized_.erase({directory, path});
                       outbox_.send(ResyncAck{.id = id, .failed = written != io::Error::ok});
                       next();
                     });
  });
}

void ReintegrationTarget::live_step(ReplicateOp op, Next next) {
  const std::uint64_t sequence = op.sequence;
  FileOp file_op = std::move(op).to_op();
  // Whatever it does to a file (a size, a name) the next resync message sets afresh.
  if (is_namespace_op(file_op.kind)) {
    sized_.clear();
  } else {
    sized_.erase({file_op.directory, file_op.path});
  }
  note_live_op(file_op);
  if (file_op.kind == OpKind::set_mode) {
    // Of a file or a directory: it keeps what either needs until done.
    const std::uint32_t working = file_op.mode | kWorkingDirectoryBits;
    defer_mode(file_op.directory, file_op.path, file_op.mode, working);
    file_op.mode = working;
  }
  apply(std::move(file_op), [this, sequence, next = std::move(next)](io::Error result) {
    ++counters_.live_ops_applied;
    if (result != io::Error::ok) ++counters_.live_ops_failed;
    outbox_.send(ResyncLiveAck{sequence, result});
    next();
  });
}

void ReintegrationTarget::done_step(ResyncDone done, Next next) {
  // Deepest first: a directory's own mode after everything in it (it may forbid
  // reaching them); key order among paths of one depth.
  auto modes = std::make_shared<std::vector<std::pair<Key, std::uint32_t>>>(final_modes_.begin(), final_modes_.end());
  final_modes_.clear();
  std::sort(modes->begin(), modes->end(), [](const auto& a, const auto& b) {
    const std::size_t depth_a = depth(a.first.second);
    const std::size_t depth_b = depth(b.first.second);
    return depth_a != depth_b ? depth_a > depth_b : a.first < b.first;
  });
  apply_final_modes(modes, 0, [this, alive = alive_, done, next = std::move(next)](io::Error moded) mutable {
    if (!*alive) return;
    if (moded != io::Error::ok) {
      outbox_.send(ResyncDoneAck{false});
      return fail("could not give the reintegrated copy its modes: " + std::string(io::error_name(moded)));
    }
    make_durable(done, std::move(next));
  });
}

void ReintegrationTarget::make_durable(ResyncDone done, Next next) {
  // After every change queued before it: done(ok) means all of them are durable, and a
  // sync that failed at any point of the reintegration is reported here (sticky).
  checkpoint_all([this, alive = alive_, done, next = std::move(next)](io::Error durable) mutable {
    if (!*alive) return;
    if (durable != io::Error::ok) {
      outbox_.send(ResyncDoneAck{false});
      return fail("could not make the reintegrated copy durable: " + std::string(io::error_name(durable)));
    }
    GenerationInfo synced = local_;
    // The primary's lineage, not this copy's former one: the witness grants a lease
    // to a copy whose history holds the generation it last recorded (property
    // counterexample 119600: a secondary that kept its own history was refused the
    // lease for good after its primary crashed).
    synced.current = done.generation;
    synced.history = done.history;
    synced.consistent = true;
    synced.outdated = false;
    synced.changes_alone = 0;
    synced.acknowledged_alone = false;
    synced.last_role = LastRole::secondary;
    persist(synced, [this, synced, next = std::move(next)](io::Error result) {
      if (result != io::Error::ok) {
        outbox_.send(ResyncDoneAck{false});
        return fail("cannot mark this copy consistent: " + std::string(io::error_name(result)));
      }
      local_ = synced;
      state_ = State::synchronised;
      outbox_.send(ResyncDoneAck{true});
      outbox_.detach();
      next();
      listener_.on_synchronised();
    });
  });
}

void ReintegrationTarget::checkpoint_all(std::function<void(io::Error)> done) {
  struct Gather {
    std::size_t waiting = 0;
    io::Error first_error = io::Error::ok;
    std::function<void(io::Error)> done;
  };
  auto gather = std::make_shared<Gather>(Gather{lanes_.size() + 1, io::Error::ok, std::move(done)});
  auto one_done = [gather](io::Error result) {
    if (result != io::Error::ok && gather->first_error == io::Error::ok) gather->first_error = result;
    if (--gather->waiting == 0) gather->done(gather->first_error);
  };
  // Done is a step of its own: every applier's queue holds at most that step's ops.
  HM_ASSERT(applier_.checkpoint(one_done) == io::Error::ok);
  for (const auto& lane : lanes_) HM_ASSERT(lane->checkpoint(one_done) == io::Error::ok);
}

}  // namespace hamirror::core
