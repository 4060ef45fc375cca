#include "core/reintegration/reintegration_source.h"

#include <algorithm>
#include <utility>

#include "core/reintegration/block_checksum.h"
#include "io/assert.h"

namespace hamirror::core {

bool is_namespace_op(OpKind kind) {
  switch (kind) {
    case OpKind::create:
    case OpKind::mkdir:
    case OpKind::rename:
    case OpKind::unlink:
    case OpKind::rmdir:
    case OpKind::set_mode: return true;  // a listing carries the modes of directories
    case OpKind::write:
    case OpKind::truncate:
    case OpKind::set_mtime:
    case OpKind::fsync: return false;
  }
  return true;
}

namespace {

std::string child_path(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::uint64_t blocks_in(std::uint64_t bytes) { return (bytes + kResyncBlockBytes - 1) / kResyncBlockBytes; }

// Stats paths[index..] one after the other into stats, then runs `done()`.
// Callers guarantee the objects they capture outlive the chain (the alive token).
void stat_each(io::FileSystem& fs, std::shared_ptr<std::vector<std::string>> paths, std::size_t index,
               std::shared_ptr<std::vector<io::Result<io::FileStat>>> stats, std::function<void()> done) {
  if (index == paths->size()) return done();
  fs.stat((*paths)[index], [&fs, paths, index, stats, done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    (*stats)[index] = std::move(stat);
    stat_each(fs, std::move(paths), index + 1, std::move(stats), std::move(done));
  });
}

}  // namespace

ReintegrationSource::ReintegrationSource(io::FileSystem& fs, const io::Clock& clock, std::vector<std::string> roots,
                                         const GenerationInfo& generation, LocalSubmitFn local_submit, Listener listener,
                                         std::size_t parallel_reads)
    : fs_(fs),
      clock_(clock),
      roots_(std::move(roots)),
      generation_(generation.current),
      history_(generation.history),
      local_submit_(std::move(local_submit)),
      listener_(std::move(listener)),
      parallel_reads_(parallel_reads) {
  HM_ASSERT(!roots_.empty() && roots_.size() <= kMaxReplicatedDirectories);
  HM_ASSERT(parallel_reads_ >= 1 && parallel_reads_ <= kMaxParallelResyncReads);
  HM_ASSERT(generation_ != 0);
  HM_ASSERT(local_submit_ && listener_.on_synchronised && listener_.on_failed);
}

ReintegrationSource::~ReintegrationSource() { *alive_ = false; }

void ReintegrationSource::start(wire::FramedConnection& link, ResyncMode mode) {
  HM_ASSERT(state_ == State::idle);
  outbox_.attach(&link);
  state_ = State::running;
  start_ns_ = clock_.now_ns();
  // First in the stream: the target marks itself inconsistent before any change.
  outbox_.send(ResyncBegin{mode, static_cast<std::uint32_t>(roots_.size())});
}

void ReintegrationSource::start_full(wire::FramedConnection& link) {
  start(link, ResyncMode::full);
  for (std::uint32_t d = 0; d < roots_.size(); ++d) enqueue({.kind = WorkKind::list_dir, .directory = d, .recursive = true});
  pump();
}

void ReintegrationSource::start_fast(wire::FramedConnection& link, FastResyncInput plan) {
  start(link, ResyncMode::fast);
  for (ResyncDirectory& dir : plan.changed_directories) {
    HM_ASSERT(dir.directory < roots_.size() && is_valid_resync_dir(dir.path));
    enqueue({.kind = WorkKind::list_dir, .directory = dir.directory, .path = std::move(dir.path), .recursive = false});
  }
  for (ResyncFileRanges& file : plan.files) {
    HM_ASSERT(file.directory < roots_.size() && is_valid_relative_path(file.path));
    std::uint64_t bytes = 0;
    for (const ByteRange& range : file.ranges) {
      HM_ASSERT(range.offset + range.length <= file.stale_from);
      bytes += range.length;
    }
    add_to_do(bytes);
    const bool stale_tail = file.stale_from != kNothingStale;
    // Even without a range the file goes (its size is set), unless its tail does that.
    if (!file.ranges.empty() || !stale_tail) {
      enqueue({.kind = WorkKind::send_ranges, .directory = file.directory, .path = file.path, .budget = bytes,
               .ranges = std::move(file.ranges)});
    }
    if (stale_tail) {
      enqueue({.kind = WorkKind::send_ranges, .directory = file.directory, .path = std::move(file.path),
               .offset = file.stale_from, .to_end = true});
    }
  }
  pump();
}

void ReintegrationSource::detach() {
  outbox_.detach();
  if (state_ != State::synchronised) state_ = State::stopped;
  reads_.clear();
}

void ReintegrationSource::enqueue(Work work, bool front) {
  std::deque<Work>& queue = work.kind == WorkKind::list_dir || work.kind == WorkKind::recheck ? dirs_ : files_;
  HM_ASSERT(dirs_.size() + files_.size() < kMaxQueuedResyncWork);
  if (front) {
    queue.push_front(std::move(work));
  } else {
    queue.push_back(std::move(work));
  }
}

void ReintegrationSource::add_to_do(std::uint64_t bytes) { progress_.bytes_to_do += bytes; }

void ReintegrationSource::add_done(std::uint64_t bytes) {
  progress_.bytes_done += bytes;
  HM_ASSERT(progress_.bytes_done <= progress_.bytes_to_do);
}

std::uint64_t ReintegrationSource::send_id(Unanswered unanswered) {
  const std::uint64_t id = next_id_++;
  unanswered_.emplace(id, std::move(unanswered));
  progress_.unanswered_max = std::max<std::uint64_t>(progress_.unanswered_max, unanswered_.size());
  return id;
}

ResyncProgress ReintegrationSource::progress() const {
  ResyncProgress out = progress_;
  const std::int64_t elapsed_ms = std::max<std::int64_t>(1, (clock_.now_ns() - start_ns_) / io::kNsPerMs);
  out.rate_bytes_per_s = state_ == State::idle ? 0 : progress_.bytes_done * 1000 / static_cast<std::uint64_t>(elapsed_ms);
  return out;
}

// --- the work loop -------------------------------------------------------------

void ReintegrationSource::pump() {
  // Work items that finish at once would otherwise recurse through pump().
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    pump_once();
  } while (pump_again_);
  pumping_ = false;
}

void ReintegrationSource::pump_once() {
  if (state_ != State::running && state_ != State::switching) return;
  while (start_one()) {
  }
  read_ahead();
  if (busy_ > 0 || !dirs_.empty() || !files_.empty()) return;  // each finishing item pumps again
  if (unanswered_.size() >= kMaxUnansweredResyncMessages) return;
  if (recheck_everything_ || !recheck_.empty()) {
    take_rechecks();
    pump_again_ = true;
    return;
  }
  if (!unanswered_.empty()) return;  // an answer may still ask for blocks or a recheck
  maybe_switch();
}

// Starts the next work item when the bounds allow it; false when none started.
bool ReintegrationSource::start_one() {
  if (busy_ >= parallel_reads_ || exclusive_busy_) return false;
  const bool directory_work = !dirs_.empty();
  if (!directory_work && files_.empty()) return false;
  if (directory_work && busy_ > 0) return false;  // a listing waits for the file reads to end, then runs alone
  std::deque<Work>& queue = directory_work ? dirs_ : files_;
  // Each item sends at least one message: together they stay within the target's bound.
  if (busy_ + unanswered_.size() >= window_for(queue.front())) return false;
  if (!quiet_for(queue.front())) return false;  // a local apply completing pumps again
  // One item may always start: a message's worth is below the bound.
  const std::uint64_t planned = bytes_read_by(queue.front());
  if (busy_ + unanswered_.size() > 0 && bytes_in_flight_ + planned > kMaxResyncBytesInFlight) return false;
  state_ = State::running;  // new work (a recheck) cancels a switch under way
  Work work = std::move(queue.front());
  queue.pop_front();
  work.reserved = planned;
  bytes_in_flight_ += planned;
  progress_.bytes_in_flight_max = std::max(progress_.bytes_in_flight_max, bytes_in_flight_);
  ++busy_;
  exclusive_busy_ = directory_work;
  switch (work.kind) {
    case WorkKind::list_dir: do_list_dir(std::move(work)); break;
    case WorkKind::compare_file: do_compare(std::move(work)); break;
    case WorkKind::send_ranges: do_send_ranges(std::move(work)); break;
    case WorkKind::recheck: do_recheck(std::move(work)); break;
  }
  return true;
}

// Hints the ranges of the queued files within kReadAheadFiles and kReadAheadBytes of
// the front that were not hinted yet, a batch at a time (or what is left once the
// queue's end is within reach), so that one hint covers many files.
void ReintegrationSource::read_ahead() {
  std::vector<Work*> unhinted;
  std::uint64_t bytes = 0;
  std::size_t files = 0;
  bool queue_end_in_reach = true;
  for (Work& work : files_) {
    if (files == kReadAheadFiles || bytes >= kReadAheadBytes) {
      queue_end_in_reach = false;
      break;
    }
    ++files;
    if (work.kind != WorkKind::send_ranges || work.ranges.empty()) continue;  // whole files: the OS reads ahead itself
    for (std::size_t i = 0; i < work.ranges.size() && i < io::kMaxReadRanges; ++i) bytes += work.ranges[i].length;
    if (!work.read_ahead) unhinted.push_back(&work);
  }
  if (unhinted.empty() || (unhinted.size() < kReadAheadBatch && !queue_end_in_reach)) return;
  for (std::size_t first = 0; first < unhinted.size(); first += kReadAheadBatch) {
    std::vector<io::ReadAhead> hint;
    for (std::size_t i = first; i < unhinted.size() && i < first + kReadAheadBatch; ++i) {
      Work& work = *unhinted[i];
      work.read_ahead = true;
      io::ReadAhead file{.path = native(work.directory, work.path)};
      for (std::size_t r = 0; r < work.ranges.size() && r < io::kMaxReadRanges; ++r) {
        file.ranges.push_back({work.ranges[r].offset, work.ranges[r].length});
      }
      hint.push_back(std::move(file));
    }
    fs_.will_read(std::move(hint));
  }
}

void ReintegrationSource::take_rechecks() {
  if (recheck_everything_) {
    for (std::uint32_t d = 0; d < roots_.size(); ++d) enqueue({.kind = WorkKind::list_dir, .directory = d, .recursive = true});
  } else {
    for (const auto& [directory, path] : recheck_) enqueue({.kind = WorkKind::recheck, .directory = directory, .path = path});
  }
  recheck_everything_ = false;
  recheck_.clear();
}

bool ReintegrationSource::quiet_for(const Work& work) const {
  if (namespace_ops_applying_ > 0) return false;
  if (work.kind == WorkKind::list_dir || work.kind == WorkKind::recheck) return true;
  return !file_ops_applying_.contains({work.directory, work.path});
}

std::uint64_t ReintegrationSource::begin_read(const Work& work, bool listing) {
  HM_ASSERT(quiet_for(work));
  HM_ASSERT(reads_.size() < parallel_reads_);
  const std::uint64_t id = next_read_id_++;
  reads_.emplace(id, Read{work.directory, work.path, listing, false});
  progress_.reads_in_flight_max = std::max<std::uint64_t>(progress_.reads_in_flight_max, reads_.size());
  return id;
}

bool ReintegrationSource::end_read(std::uint64_t id) {
  const auto found = reads_.find(id);
  HM_ASSERT(found != reads_.end());
  const bool valid = !found->second.invalidated;
  reads_.erase(found);
  // Not raced: what was read is this copy after every op forwarded so far.
  read_watermark_ = live_sequence_;
  return valid;
}

std::size_t ReintegrationSource::window_for(const Work& work) {
  return work.kind == WorkKind::send_ranges ? kMaxUnansweredResyncDataMessages : kMaxUnansweredResyncMessages;
}

// At most what the item reads, which is what its messages may carry.
std::uint64_t ReintegrationSource::bytes_read_by(const Work& work) const {
  switch (work.kind) {
    case WorkKind::list_dir:
    case WorkKind::recheck: return 0;
    case WorkKind::compare_file: return kMaxResyncDataBytes;  // a whole file may be sent instead
    case WorkKind::send_ranges: {
      if (work.to_end) return kMaxResyncDataBytes;
      std::uint64_t bytes = 0;
      for (const ByteRange& chunk : next_chunks(work)) bytes += chunk.length;
      return bytes;
    }
  }
  return kMaxResyncDataBytes;
}

void ReintegrationSource::finish_work(bool redo, Work work) {
  HM_ASSERT(busy_ > 0);
  HM_ASSERT(bytes_in_flight_ >= work.reserved);
  bytes_in_flight_ -= work.reserved;
  --busy_;
  exclusive_busy_ = false;
  if (redo) {
    ++progress_.reads_redone;
    enqueue(std::move(work), true);
  }
  pump();
}

std::string ReintegrationSource::native(std::uint32_t directory, const std::string& path) const {
  return path.empty() ? roots_[directory] : native_path(roots_[directory], path);
}

void ReintegrationSource::recheck(std::uint32_t directory, const std::string& path) {
  ++progress_.rechecks;
  if (recheck_everything_) return;
  if (recheck_.size() >= kMaxRecheckPaths) {
    recheck_everything_ = true;
    recheck_.clear();
    return;
  }
  recheck_.insert({directory, path});
}

// A name that is no longer there (or no longer what it was) is the business of the
// live ops that changed it; any other error means this copy cannot be read, and a
// reintegration that skipped it would call an incomplete copy synchronised.
bool ReintegrationSource::gone(io::Error error) {
  return error == io::Error::not_found || error == io::Error::not_directory || error == io::Error::is_directory;
}

bool ReintegrationSource::target_failed(std::uint32_t directory, const std::string& path) {
  if (++target_failures_[{directory, path}] < kMaxTargetFailuresPerPath) {
    recheck(directory, path);
    return false;
  }
  // Seed 900: a target whose disk was full failed the same truncate at once, again and
  // again, without simulated time moving.
  state_ = State::stopped;
  listener_.on_failed("the target failed to take " + native(directory, path) + " " +
                      std::to_string(kMaxTargetFailuresPerPath) + " times (is its disk full or failing?)");
  return true;
}

void ReintegrationSource::fail_reading(const Work& work, io::Error error) {
  state_ = State::stopped;
  listener_.on_failed("cannot read " + native(work.directory, work.path) + " on this copy: " +
                      std::string(io::error_name(error)));
}

// --- listings ------------------------------------------------------------------

void ReintegrationSource::do_list_dir(Work work) {
  const std::uint64_t id = begin_read(work, true);
  fs_.readdir(native(work.directory, work.path), [this, alive = alive_, id, work](io::Result<std::vector<io::DirEntry>> listed) mutable {
    if (!*alive || !read_running(id)) return;
    if (!listed) {
      end_read(id);
      if (!gone(listed.error())) return fail_reading(work, listed.error());
      // Gone or replaced by a live op, which the target applies too (or rechecks).
      return finish_work(false, std::move(work));
    }
    auto entries = std::make_shared<std::vector<ListingEntry>>();
    auto paths = std::make_shared<std::vector<std::string>>();
    for (io::DirEntry& entry : *listed) {
      if (entry.kind != io::FileKind::regular && entry.kind != io::FileKind::directory) continue;  // not replicated
      if (!is_valid_entry_name(entry.name)) continue;
      paths->push_back(native(work.directory, child_path(work.path, entry.name)));
      entries->push_back({std::move(entry.name), entry.kind});
    }
    auto stats = std::make_shared<std::vector<io::Result<io::FileStat>>>(paths->size(), io::Error::not_found);
    // Read in the same race-free window as the names: the sizes size the progress, the
    // modes of directories travel in the listing.
    stat_each(fs_, paths, 0, stats, [this, alive, id, work = std::move(work), entries, stats]() mutable {
      if (!*alive || !read_running(id)) return;
      if (!end_read(id)) return finish_work(true, std::move(work));
      std::vector<std::uint64_t> sizes(entries->size(), 0);
      for (std::size_t i = 0; i < entries->size(); ++i) {
        const io::Result<io::FileStat>& stat = (*stats)[i];
        if (stat) sizes[i] = stat->size_bytes;
        if ((*entries)[i].kind != io::FileKind::directory) continue;  // a file's size only sizes the progress
        // Unraced, a directory just listed is still there: an error is this copy's.
        if (!stat) return gone(stat.error()) ? finish_work(true, std::move(work)) : fail_reading(work, stat.error());
        (*entries)[i].mode = stat->mode & kModeBits;
      }
      on_listed(std::move(work), std::move(*entries), sizes);
    });
  });
}

void ReintegrationSource::on_listed(Work work, std::vector<ListingEntry> entries, const std::vector<std::uint64_t>& sizes) {
  HM_ASSERT(entries.size() == sizes.size());
  const std::uint64_t watermark = read_watermark_;
  std::string after;
  std::size_t index = 0;
  do {  // at least one page: an empty directory empties the target's too
    ResyncDirListing page{.directory = work.directory, .path = work.path, .after = after, .watermark = watermark};
    const std::size_t end = std::min(entries.size(), index + kMaxListingEntriesPerPage);
    for (; index < end; ++index) page.entries.push_back(entries[index]);
    page.last = index == entries.size();
    if (!page.entries.empty()) after = page.entries.back().name;
    page.id = send_id({.work = work, .listing = true});
    outbox_.send(page);
    ++progress_.listings_sent;
  } while (index < entries.size());
  if (work.recursive) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string path = child_path(work.path, entries[i].name);
      if (entries[i].kind == io::FileKind::directory) {
        enqueue({.kind = WorkKind::list_dir, .directory = work.directory, .path = path, .recursive = true});
      } else {
        add_to_do(sizes[i]);
        enqueue({.kind = WorkKind::compare_file, .directory = work.directory, .path = path, .budget = sizes[i]});
      }
    }
  }
  finish_work(false, std::move(work));
}

void ReintegrationSource::on_ack(const ResyncAck& ack) {
  auto found = unanswered_.find(ack.id);
  HM_ASSERT(found != unanswered_.end());
  Unanswered answered = std::move(found->second);
  unanswered_.erase(found);
  HM_ASSERT(bytes_in_flight_ >= answered.data_bytes);
  bytes_in_flight_ -= answered.data_bytes;
  const Work& work = answered.work;
  if (ack.failed && target_failed(work.directory, work.path)) return;
  add_done(answered.bytes);
  // A recursive listing already queued everything: files the target lacked are sent
  // whole rather than compared (do_compare). One that does not recurse (fast mode,
  // rechecks) fills in what the target lacked.
  if (answered.listing && work.recursive) {
    for (const ListingEntry& entry : ack.created) {
      if (entry.kind == io::FileKind::regular && lacking_.size() < kMaxQueuedResyncWork) {
        lacking_.insert({work.directory, child_path(work.path, entry.name)});
      }
    }
  }
  if (answered.listing && !work.recursive) {
    for (const ListingEntry& entry : ack.created) {
      const std::string path = child_path(work.path, entry.name);
      if (entry.kind == io::FileKind::directory) {
        enqueue({.kind = WorkKind::list_dir, .directory = work.directory, .path = path, .recursive = true});
      } else {
        enqueue({.kind = WorkKind::send_ranges, .directory = work.directory, .path = path, .to_end = true});
      }
    }
  }
}

// --- file comparison -------------------------------------------------------------

void ReintegrationSource::read_file(const Work& work, std::vector<ByteRange> chunks, std::function<void(io::Result<FileRead>)> done) {
  HM_ASSERT(!chunks.empty() && chunks.size() <= io::kMaxReadRanges);
  // Open, fstat, the chunks' reads and close in one call: a backend may make it one
  // round trip through its thread pool instead of one per step. A source destroyed
  // while it runs is not touched (the FileSystem closes the file either way).
  std::vector<io::FileRange> ranges;
  ranges.reserve(chunks.size());
  for (const ByteRange& chunk : chunks) ranges.push_back({chunk.offset, chunk.length});
  ++progress_.file_reads;
  fs_.read_ranges(native(work.directory, work.path), std::move(ranges),
                  [alive = alive_, done = std::move(done)](io::Result<io::RangesRead> read) mutable {
                    if (!*alive) return;
                    if (!read) return done(read.error());
                    done(FileRead{.size = read->stat.size_bytes, .mode = read->stat.mode & kModeBits, .chunks = std::move(read->chunks)});
                  });
}

void ReintegrationSource::do_compare(Work work) {
  if (lacking_.erase({work.directory, work.path}) > 0 && work.offset == 0) {
    // Whole: the budget reserved for comparing it is what sending it will fill.
    work.kind = WorkKind::send_ranges;
    work.to_end = true;  // from offset 0
    return do_send_ranges(std::move(work));
  }
  const std::uint64_t id = begin_read(work, false);
  const std::uint64_t batch = kMaxChecksumsPerMessage * kResyncBlockBytes;
  read_file(work, {{work.offset, batch}}, [this, id, work](io::Result<FileRead> read) mutable {
    if (!read_running(id)) return;
    if (!end_read(id)) return finish_work(true, std::move(work));
    if (!read) {
      if (!gone(read.error())) return fail_reading(work, read.error());
      // Gone (a live unlink or rename, which the target applies or rechecks).
      add_done(work.budget);
      return finish_work(false, std::move(work));
    }
    const io::Bytes& data = read->chunks.front();
    const std::uint64_t length = data.size();
    if (work.offset > 0 && length == 0) {
      // It shrank below this batch since the last one: the live truncate that did it
      // reaches the target in order, and there is nothing left here to compare.
      add_done(work.budget);
      return finish_work(false, std::move(work));
    }
    const std::vector<std::uint64_t> sums = block_checksums(data, kResyncBlockBytes);
    const std::uint64_t first_block = work.offset / kResyncBlockBytes;
    // The file may have grown since it was listed: its budget grows with it.
    const std::uint64_t from_budget = std::min(work.budget, length);
    add_to_do(length - from_budget);
    work.budget -= from_budget;
    ResyncBlockChecksums message{.directory = work.directory, .path = work.path, .watermark = read_watermark_,
                                 .file_size = read->size, .first_block = first_block, .checksums = sums, .mode = read->mode};
    message.id = send_id({.work = work, .bytes = length, .first_block = first_block, .blocks = sums.size(), .answer = Answer::needs});
    outbox_.send(message);
    progress_.checksum_bytes_sent += sums.size() * sizeof(std::uint64_t);
    progress_.blocks_compared += sums.size();
    if (work.offset + length < read->size) {
      work.offset += length;
      enqueue(work, true);  // the rest of this file next
    } else {
      add_done(work.budget);  // it shrank since it was listed
    }
    finish_work(false, std::move(work));
  });
}

void ReintegrationSource::on_block_needs(const ResyncBlockNeeds& needs) {
  auto found = unanswered_.find(needs.id);
  HM_ASSERT(found != unanswered_.end() && found->second.answer == Answer::needs);
  Unanswered answered = std::move(found->second);
  unanswered_.erase(found);
  const Work& work = answered.work;
  if (needs.failed) {
    add_done(answered.bytes);
    target_failed(work.directory, work.path);
    return;
  }
  const std::uint64_t begin = answered.first_block * kResyncBlockBytes;
  const std::uint64_t end = begin + answered.bytes;
  Work send{.kind = WorkKind::send_ranges, .directory = work.directory, .path = work.path};
  for (const BlockRun& run : needs.runs) {
    const std::uint64_t from = run.first_block * kResyncBlockBytes;
    const std::uint64_t to = std::min(end, (run.first_block + run.count) * kResyncBlockBytes);
    HM_ASSERT(from >= begin && from < to);
    send.ranges.push_back({from, to - from});
    send.budget += to - from;
  }
  add_done(answered.bytes - send.budget);
  if (!send.ranges.empty()) enqueue(std::move(send), true);
}

std::vector<ByteRange> ReintegrationSource::next_chunks(const Work& work) const {
  // The end of a file sent to its end is not known before the read: its first chunk.
  if (work.to_end) return {{work.offset, kMaxResyncDataBytes}};
  if (work.ranges.empty()) return {{0, 0}};
  // The first range (up to one message's worth), then whole ranges while they fit in
  // one message's worth in all: one message carries them.
  std::vector<ByteRange> chunks{{work.ranges.front().offset, std::min<std::uint64_t>(work.ranges.front().length, kMaxResyncDataBytes)}};
  std::uint64_t bytes = chunks.front().length;
  for (std::size_t i = 1; i < work.ranges.size() && chunks.size() < kMaxChunksPerRead; ++i) {
    if (work.ranges[i].length > kMaxResyncDataBytes - bytes) break;
    chunks.push_back(work.ranges[i]);
    bytes += work.ranges[i].length;
  }
  return chunks;
}

void ReintegrationSource::send_chunks(Work& work, const std::vector<ByteRange>& chunks, FileRead& read) {
  ResyncBlockData message{.directory = work.directory, .path = work.path, .watermark = read_watermark_, .file_size = read.size,
                          .mode = read.mode};
  std::uint64_t counted = 0;  // added to bytes_done when the target answers
  std::uint64_t sent = 0;
  io::Bytes joined;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    io::Bytes& data = read.chunks[i];
    const std::uint64_t length = data.size();
    // The part of the chunk past the end of the file is done at once.
    const std::uint64_t consumed = work.ranges.empty() ? 0 : std::min(chunks[i].length, work.ranges.front().length);
    const std::uint64_t from_budget = std::min(work.budget, consumed);
    add_to_do(consumed - from_budget);
    work.budget -= from_budget;
    add_done(consumed - std::min(consumed, length));
    counted += std::min(consumed, length);
    if (length > 0) {
      message.extents.push_back({chunks[i].offset, length});
      progress_.blocks_sent += blocks_in(length);
      sent += length;
      if (chunks.size() == 1) {
        joined = std::move(data);  // a whole file's chunk travels as it was read
      } else {
        joined.insert(joined.end(), data.begin(), data.end());
      }
    }
    if (!work.ranges.empty()) {
      ByteRange& front = work.ranges.front();
      front.offset += consumed;
      front.length -= consumed;
      if (front.length == 0) work.ranges.erase(work.ranges.begin());
    }
  }
  message.data = io::SharedBytes(std::move(joined));
  message.id = send_id({.work = work, .bytes = counted, .data_bytes = sent});
  // The item's reservation becomes the message's: the target holds the data now.
  const std::uint64_t moved = std::min(work.reserved, sent);
  work.reserved -= moved;
  bytes_in_flight_ += sent - moved;
  progress_.bytes_in_flight_max = std::max(progress_.bytes_in_flight_max, bytes_in_flight_);
  outbox_.send(message);
  progress_.data_bytes_sent += sent;
}

void ReintegrationSource::do_send_ranges(Work work) {
  const std::uint64_t id = begin_read(work, false);
  std::vector<ByteRange> chunks = next_chunks(work);
  read_file(work, chunks, [this, id, work, chunks](io::Result<FileRead> read) mutable {
    if (!read_running(id)) return;
    if (!end_read(id)) return finish_work(true, std::move(work));
    if (!read) {
      if (!gone(read.error())) return fail_reading(work, read.error());
      add_done(work.budget);
      return finish_work(false, std::move(work));
    }
    if (work.to_end) {
      // Sized now: the rest of the file becomes a range, read in later chunks. A budget
      // already reserved (a comparison turned into a whole send) counts towards it.
      HM_ASSERT(work.ranges.empty());
      work.to_end = false;
      const std::uint64_t rest = read->size > work.offset ? read->size - work.offset : 0;
      const std::uint64_t reserved = std::min(work.budget, rest);
      add_to_do(rest - reserved);
      add_done(work.budget - reserved);
      work.budget = rest;
      if (rest > 0) work.ranges.push_back({work.offset, rest});
    }
    send_chunks(work, chunks, *read);
    if (!work.ranges.empty()) {
      enqueue(work, true);
    } else {
      add_done(work.budget);
    }
    finish_work(false, std::move(work));
  });
}

void ReintegrationSource::do_recheck(Work work) {
  fs_.stat(native(work.directory, work.path), [this, alive = alive_, work](io::Result<io::FileStat> stat) mutable {
    if (!*alive || state_ == State::stopped) return;
    if (!work.path.empty()) {
      enqueue({.kind = WorkKind::list_dir, .directory = work.directory, .path = parent_of(work.path), .recursive = false});
    }
    if (stat && stat->kind == io::FileKind::directory) {
      enqueue({.kind = WorkKind::list_dir, .directory = work.directory, .path = work.path, .recursive = true});
    } else if (stat && stat->kind == io::FileKind::regular) {
      add_to_do(stat->size_bytes);
      enqueue({.kind = WorkKind::compare_file, .directory = work.directory, .path = work.path, .budget = stat->size_bytes});
    }
    finish_work(false, std::move(work));
  });
}

// --- live ops ------------------------------------------------------------------------

io::Error ReintegrationSource::submit_live(FileOp&& op, DoneFn&& done) {
  HM_ASSERT(done);
  if (state_ == State::switching) return io::Error::would_block;
  if (state_ != State::running) return io::Error::bad_handle;
  if (const io::Error valid = validate(op, roots_.size()); valid != io::Error::ok) return valid;
  if (live_.size() >= kMaxUnackedLiveOps) return io::Error::would_block;
  const std::uint64_t sequence = live_sequence_ + 1;
  FileOp copy = op;
  // done is copied, not moved: when local_submit_ refuses, the caller keeps it.
  DoneFn applied = [this, alive = alive_, sequence, done](io::Error result) {
    if (!*alive) return done(result);
    on_live_applied(sequence, result, done);
  };
  const io::Error queued = local_submit_(std::move(op), std::move(applied));
  if (queued != io::Error::ok) return queued;
  done = nullptr;  // consumed: the wrapper holds it
  live_sequence_ = sequence;
  const bool names = is_namespace_op(copy.kind);
  if (names) {
    ++namespace_ops_applying_;
  } else {
    ++file_ops_applying_[{copy.directory, copy.path}];
  }
  // A read racing this op may have seen it half applied: it is redone.
  for (auto& [id, read] : reads_) {
    if (names || (!read.listing && read.directory == copy.directory && read.path == copy.path)) read.invalidated = true;
  }
  outbox_.send(ResyncLiveOp{ReplicateOp::from(sequence, copy)});
  ++progress_.live_ops_forwarded;
  if (copy.kind == OpKind::rename) {
    // It may carry data the target has not been given into a part already compared.
    recheck(copy.directory, copy.target);
    recheck(copy.directory, parent_of(copy.path));
  }
  if (copy.kind == OpKind::create) {
    // A create keeps a file already at its name. The target's may be one this resync
    // has yet to remove or bring up to date -- or never will, when a listing read after
    // the create sees the name taken on both sides (seed 639: the target kept a stale
    // file's bytes under a name created afresh here).
    recheck(copy.directory, copy.path);
  }
  live_.emplace(sequence, LiveInFlight{std::move(copy)});
  return io::Error::ok;
}

void ReintegrationSource::on_live_applied(std::uint64_t sequence, io::Error result, const DoneFn& done) {
  auto found = live_.find(sequence);
  HM_ASSERT(found != live_.end() && !found->second.local_done);
  LiveInFlight& entry = found->second;
  if (is_namespace_op(entry.op.kind)) {
    HM_ASSERT(namespace_ops_applying_ > 0);
    --namespace_ops_applying_;
  } else {
    auto count = file_ops_applying_.find({entry.op.directory, entry.op.path});
    HM_ASSERT(count != file_ops_applying_.end() && count->second > 0);
    if (--count->second == 0) file_ops_applying_.erase(count);
  }
  entry.local_done = true;
  entry.local_result = result;
  if (entry.target_done) settle_live(found);
  done(result);
  pump();
}

std::string ReintegrationSource::on_live_ack(const ResyncLiveAck& ack) {
  auto found = live_.find(ack.sequence);
  if (found == live_.end() || found->second.target_done) return "live_ack for op " + std::to_string(ack.sequence) + ", not awaited";
  found->second.target_done = true;
  found->second.target_result = ack.result;
  if (ack.result != io::Error::ok) ++progress_.live_ops_failed_on_target;
  if (found->second.local_done) settle_live(found);
  pump();
  return {};
}

void ReintegrationSource::settle_live(std::map<std::uint64_t, LiveInFlight>::iterator found) {
  const LiveInFlight& entry = found->second;
  HM_ASSERT(entry.local_done && entry.target_done);
  // The same failure on both copies changed neither; a different outcome means the
  // target is not what this copy is for these paths.
  if (entry.target_result != entry.local_result) {
    recheck(entry.op.directory, entry.op.path);
    if (entry.op.kind == OpKind::rename) recheck(entry.op.directory, entry.op.target);
  }
  live_.erase(found);
}

// --- the switch --------------------------------------------------------------------

void ReintegrationSource::maybe_switch() {
  HM_ASSERT(dirs_.empty() && files_.empty() && busy_ == 0 && unanswered_.empty());
  if (done_sent_) return;
  state_ = State::switching;  // new live ops wait: the last ones must reach the target
  if (!live_.empty()) return;
  done_sent_ = true;
  HM_ASSERT(progress_.bytes_done == progress_.bytes_to_do);
  outbox_.send(ResyncDone{generation_, live_sequence_, history_});
}

std::string ReintegrationSource::on_frame(const wire::Frame& frame) {
  if (state_ != State::running && state_ != State::switching) return "reintegration frame while none runs";
  target_answered_ = true;  // a frame that does not parse fails the link anyway
  switch (frame.header.type) {
    case wire::MessageType::resync_block_needs: {
      auto needs = wire::decode_message<ResyncBlockNeeds>(frame);
      if (!needs) return needs.error();
      const auto found = unanswered_.find(needs.value().id);
      if (found == unanswered_.end() || found->second.answer != Answer::needs) return "block_needs for no checksum message";
      for (const BlockRun& run : needs.value().runs) {
        const Unanswered& asked = found->second;
        if (run.count == 0 || run.first_block < asked.first_block || run.first_block + run.count > asked.first_block + asked.blocks) {
          return "block_needs outside the blocks asked about";
        }
      }
      on_block_needs(needs.value());
      break;
    }
    case wire::MessageType::resync_ack: {
      auto ack = wire::decode_message<ResyncAck>(frame);
      if (!ack) return ack.error();
      const auto found = unanswered_.find(ack.value().id);
      if (found == unanswered_.end() || found->second.answer != Answer::ack) return "ack for no listing or data";
      on_ack(ack.value());
      break;
    }
    case wire::MessageType::resync_live_ack: {
      auto ack = wire::decode_message<ResyncLiveAck>(frame);
      if (!ack) return ack.error();
      return on_live_ack(ack.value());
    }
    case wire::MessageType::resync_done_ack: {
      auto ack = wire::decode_message<ResyncDoneAck>(frame);
      if (!ack) return ack.error();
      if (!done_sent_) return "done_ack before done";
      return on_done_ack(ack.value());
    }
    default:
      return "unexpected " + std::to_string(static_cast<int>(frame.header.type)) + " frame from the reintegration target";
  }
  pump();
  return {};
}

std::string ReintegrationSource::on_done_ack(const ResyncDoneAck& ack) {
  outbox_.detach();  // empty: done was the last frame; the Replicator's outbox takes over
  if (!ack.consistent) {
    state_ = State::stopped;
    listener_.on_failed("the target could not make its copy durable");
    return {};
  }
  state_ = State::synchronised;
  progress_.synchronised = true;
  listener_.on_synchronised();
  return {};
}

}  // namespace hamirror::core
