// The primary's side of reintegration: brings a returning secondary (the target)
// back to a faithful copy while writers carry on, then hands the link to the
// Replicator in one step.
//
// Modes.
// - full: every replicated directory is walked. Each directory's listing is sent;
//   the target deletes what it has in excess, creates what it lacks and gives each
//   subdirectory its listed mode (files get theirs with their size, below). Each file is
//   hashed per block (XXH3-64, kResyncBlockBytes) and the checksums are sent; the
//   target hashes its own blocks and asks only for those that differ. A file the
//   target answered it lacked (its listing's ack) is sent whole instead, when its
//   comparison has not begun: nothing of it could match.
// - fast (the generations match, the activity record says what changed): only the
//   listed directories are compared by listing, and only the listed byte ranges are
//   sent, without checksums. Entries the target lacked are then sent whole.
//
// Live writes. While reintegration runs, the node submits writers' ops here
// (submit_live) instead of to its Replicator. The source applies each to this copy
// through the node's local submit function (the Replicator with policy local_only:
// the target is inconsistent until the switch, waiting for it would protect nothing)
// and forwards it, numbered, into the same ordered stream. The target applies
// listings, blocks and live ops strictly in stream order.
//
// The ordering argument (why a resync block never overwrites a newer live write).
// A live op is forwarded when it is submitted, before this copy applies it. The
// source reads for resync (a listing, or a run of one file's blocks) only when no
// live op that could change it is still being applied here: for a file, no op on
// that file and no namespace op (create, mkdir, rename, unlink, rmdir, and set_mode:
// a listing carries the modes of directories); for a listing, no namespace op. If
// such an op is submitted while the read runs, the read is thrown away and redone.
// So a read's result is exactly this copy after every op forwarded before it
// completed, and its message (sent the moment the read completes) lands on the
// target after those ops and before every later one. Each
// message carries that point (`watermark`), and the target checks it: a file's
// block whose watermark is older than a live op on that file it already applied is a
// protocol error, never written.
//
// Pipelining. Up to `parallel_reads` file reads (different files, or different parts
// of one) run at once, so the disk and the target work while the next file is read.
// One read may take several of a file's ranges (kMaxChunksPerRead, one message's
// worth of bytes in all) and sends them in one message when it completes.
// The argument above holds for each read on its own; the watermark is taken when a
// read completes, so messages leave with watermarks that never go backwards. A
// listing (or a recheck) runs alone: every message about a file leaves after the
// listings queued before it, as the target needs (it creates what a listing names).
//
// Checksums are compared at one point of the stream too: the target hashes its
// blocks when the checksum message reaches it, so equal checksums mean equal data at
// that point, and later live ops keep them equal. A live op the target fails (its
// file does not exist there yet) and every live rename (it may move data the target
// has not been given yet into a part already compared) put the paths involved on a
// recheck list, compared again before the end.
//
// The switch. When no work, recheck, unanswered message or unacknowledged live op is
// left, the source refuses new live ops (would_block: the node holds them) until the
// target has made its copy durable and persisted consistent=true (done / done_ack).
// Then on_synchronised runs; inside it the node attaches the Replicator with policy
// wait_for_secondary, and hands it the held ops. Nothing the primary acknowledged is
// missing from the target when it becomes consistent.
//
// Progress: bytes_to_do grows as work is discovered (listed file sizes, planned
// ranges); bytes_done grows as it is compared or sent and acknowledged; both only
// grow, and at the end they are equal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/reintegration/reintegration_messages.h"
#include "core/reintegration/resync_input.h"
#include "core/replication/frame_outbox.h"
#include "io/clock.h"
#include "io/filesystem.h"

namespace hamirror::core {

// Resync messages sent and not yet answered, with the work items under way that will
// send more; bounds the target's queue. Listings and comparisons start only within
// the first: their answers decide what is sent next (a listing's, which files the
// target lacks and gets whole rather than compared). Block data decides nothing and
// may fill the second: a fast reintegration's small messages are answered one round
// trip after they leave, and 16 of them left the disk and the target waiting.
constexpr std::size_t kMaxUnansweredResyncMessages = 16;
constexpr std::size_t kMaxUnansweredResyncDataMessages = 64;
// Data those messages carry and those items may read, at most: the target holds a
// message's data until it is applied, so 1 MiB messages stop at 16 in flight.
constexpr std::uint64_t kMaxResyncBytesInFlight = 16 * kMaxResyncDataBytes;
// Live ops forwarded and not yet acknowledged by the target.
constexpr std::size_t kMaxUnackedLiveOps = 1024;
// Paths waiting to be compared again; beyond it the whole tree is walked again.
constexpr std::size_t kMaxRecheckPaths = 4096;
// Times the target may fail to take one path before the reintegration gives up (a
// full or failing disk there would otherwise be retried at once, forever).
constexpr unsigned kMaxTargetFailuresPerPath = 4;
// Work items queued (directories and files found by listings).
constexpr std::size_t kMaxQueuedResyncWork = 1 << 20;
// Resync reads in flight at once; each holds at most kMaxResyncDataBytes.
constexpr std::size_t kMaxParallelResyncReads = 64;
// Dirty ranges of one file read under one open and sent in one message: the fast
// mode's scattered small ranges cost an open, fstat and close per file rather than per
// range, and the target writes them in one call.
constexpr std::size_t kMaxChunksPerRead = 8;
static_assert(kMaxChunksPerRead <= io::kMaxReadRanges && kMaxChunksPerRead <= kMaxExtentsPerBlockData);
// Read-ahead: the files next in the queue with known ranges (the fast mode's) are
// hinted to the disk (io::FileSystem::will_read) while `parallel_reads` files are
// read, so their cold ranges come in at the disk's own depth rather than a few at a
// time. At most this many files and bytes ahead of the reads, in hints of a batch of
// files each (one thread-pool job on libuv); the hint changes no byte and no order.
constexpr std::size_t kReadAheadFiles = 64;
constexpr std::uint64_t kReadAheadBytes = 16 * kMaxResyncDataBytes;
constexpr std::size_t kReadAheadBatch = 16;
static_assert(kReadAheadBatch <= kReadAheadFiles && kReadAheadBatch <= io::kMaxReadAheadFiles);

struct ResyncProgress {
  std::uint64_t bytes_to_do = 0;
  std::uint64_t bytes_done = 0;
  std::uint64_t data_bytes_sent = 0;      // file data in block_data messages
  std::uint64_t checksum_bytes_sent = 0;  // 8 per block hashed
  std::uint64_t blocks_compared = 0;
  std::uint64_t blocks_sent = 0;
  std::uint64_t listings_sent = 0;
  std::uint64_t live_ops_forwarded = 0;
  std::uint64_t live_ops_failed_on_target = 0;
  std::uint64_t reads_redone = 0;  // a live op raced a resync read (see the argument above)
  std::uint64_t reads_in_flight_max = 0;  // the most resync reads that ran at once
  std::uint64_t unanswered_max = 0;       // the most resync messages awaiting an answer at once
  std::uint64_t bytes_in_flight_max = 0;  // the most data held against kMaxResyncBytesInFlight
  std::uint64_t file_reads = 0;           // opens for resync reads (one may take several ranges)
  std::uint64_t rechecks = 0;
  std::uint64_t rate_bytes_per_s = 0;  // bytes_done over the time since start
  bool synchronised = false;
};

class ReintegrationSource {
 public:
  using DoneFn = std::function<void(io::Error)>;
  // Applies an op to this copy (the node's Replicator, policy local_only). ok: op and
  // done are consumed, done runs later with the result; otherwise both are left intact.
  using LocalSubmitFn = std::function<io::Error(FileOp&& op, DoneFn&& done)>;
  struct Listener {
    // The target is consistent and durable; attach the Replicator now, in this call.
    std::function<void()> on_synchronised;
    // The target could not make its copy durable: reintegration must start again.
    std::function<void(std::string reason)> on_failed;
  };

  // generation: the primary's, whose current id and history the target adopts.
  // parallel_reads: file reads in flight at once (the configuration's nbrei), 1..kMaxParallelResyncReads.
  ReintegrationSource(io::FileSystem& fs, const io::Clock& clock, std::vector<std::string> roots, const GenerationInfo& generation,
                      LocalSubmitFn local_submit, Listener listener, std::size_t parallel_reads = 1);
  ~ReintegrationSource();
  ReintegrationSource(const ReintegrationSource&) = delete;
  ReintegrationSource& operator=(const ReintegrationSource&) = delete;

  void start_full(wire::FramedConnection& link);
  void start_fast(wire::FramedConnection& link, FastResyncInput plan);
  // The link is gone: everything stops; the target stays inconsistent. Live ops
  // still being applied here complete for their writers.
  void detach();

  // ok: applied here and forwarded; done runs after the local apply. would_block: the
  // switch is under way (or the bounds are reached); the node holds the op and
  // retries (after on_synchronised, through its Replicator). invalid_argument: as
  // FileOp validate(). bad_handle: no reintegration is running. op and done are
  // consumed only when the result is ok.
  io::Error submit_live(FileOp&& op, DoneFn&& done);

  // Returns why a frame breaks the protocol ("" if it does not).
  std::string on_frame(const wire::Frame& frame);
  void on_writable() { outbox_.flush(); }

  ResyncProgress progress() const;
  bool running() const { return state_ == State::running || state_ == State::switching; }
  // resync_done went out: from then on the target may hold this generation as a
  // consistent copy, whether or not its done_ack comes back.
  bool done_sent() const { return done_sent_; }
  // The target answered something: it applies nothing before it has durably marked
  // its copy inconsistent (its begin step), so from then on it cannot take over.
  bool target_answered() const { return target_answered_; }

 private:
  enum class State : std::uint8_t { idle, running, switching, synchronised, stopped };
  enum class WorkKind : std::uint8_t { list_dir, compare_file, send_ranges, recheck };
  struct Work {
    WorkKind kind = WorkKind::list_dir;
    std::uint32_t directory = 0;
    std::string path;
    bool recursive = true;           // list_dir: queue what the listing holds
    std::uint64_t offset = 0;        // compare_file: next block offset; send_ranges: to_end's start
    std::uint64_t budget = 0;        // bytes_to_do this item still owns
    std::vector<ByteRange> ranges;   // send_ranges: what is left to send
    bool to_end = false;             // send_ranges: [offset, the file's end when first read)
    std::uint64_t reserved = 0;      // bytes held against kMaxResyncBytesInFlight while under way
    bool read_ahead = false;         // send_ranges: its ranges were hinted (read_ahead())
  };
  enum class Answer : std::uint8_t { ack, needs };
  struct Unanswered {
    Work work;                 // what the message was about
    std::uint64_t bytes = 0;   // added to bytes_done when answered
    std::uint64_t data_bytes = 0;  // the data it carries, held by the target until applied
    std::uint64_t first_block = 0;
    std::uint64_t blocks = 0;
    bool listing = false;
    Answer answer = Answer::ack;
  };
  struct LiveInFlight {
    FileOp op;  // kept to recheck its paths if the copies' outcomes differ
    bool local_done = false;
    bool target_done = false;
    io::Error local_result = io::Error::ok;
    io::Error target_result = io::Error::ok;
  };
  struct Read {
    std::uint32_t directory = 0;
    std::string path;
    bool listing = false;  // any namespace op races a listing; a file read also races ops on that file
    bool invalidated = false;
  };
  struct FileRead {
    std::uint64_t size = 0;
    std::uint32_t mode = 0;           // permission bits, from the same fstat as size
    std::vector<io::Bytes> chunks;    // one per chunk asked for, cut at the end of the file
  };

  void start(wire::FramedConnection& link, ResyncMode mode);
  void pump();
  void pump_once();
  bool start_one();
  void read_ahead();
  void take_rechecks();
  bool quiet_for(const Work& work) const;
  std::uint64_t begin_read(const Work& work, bool listing);  // the read's id
  bool read_running(std::uint64_t id) const { return reads_.contains(id); }
  bool end_read(std::uint64_t id);  // false: a live op raced the read; redo it
  void finish_work(bool redo, Work work);
  std::string native(std::uint32_t directory, const std::string& path) const;
  static bool gone(io::Error error);
  void fail_reading(const Work& work, io::Error error);
  // Reads chunks (offset, most bytes) of one file under one open and fstat.
  void read_file(const Work& work, std::vector<ByteRange> chunks, std::function<void(io::Result<FileRead>)> done);
  // What one send_ranges read takes from the front of work.ranges.
  std::vector<ByteRange> next_chunks(const Work& work) const;
  std::uint64_t bytes_read_by(const Work& work) const;
  static std::size_t window_for(const Work& work);
  // Sends what one read found for chunks (each the front of work.ranges in turn) as one
  // message: the file's size and mode, and an extent for each chunk's bytes.
  void send_chunks(Work& work, const std::vector<ByteRange>& chunks, FileRead& read);
  void do_list_dir(Work work);
  void on_listed(Work work, std::vector<ListingEntry> entries, const std::vector<std::uint64_t>& sizes);
  void do_compare(Work work);
  void do_send_ranges(Work work);
  void do_recheck(Work work);
  void on_block_needs(const ResyncBlockNeeds& needs);
  void on_ack(const ResyncAck& ack);
  std::string on_live_ack(const ResyncLiveAck& ack);
  std::string on_done_ack(const ResyncDoneAck& ack);
  void on_live_applied(std::uint64_t sequence, io::Error result, const DoneFn& done);
  void settle_live(std::map<std::uint64_t, LiveInFlight>::iterator found);
  void recheck(std::uint32_t directory, const std::string& path);
  // The target could not take this path: compared again, or, past
  // kMaxTargetFailuresPerPath, the reintegration fails. True if it failed.
  bool target_failed(std::uint32_t directory, const std::string& path);
  void enqueue(Work work, bool front = false);
  void add_to_do(std::uint64_t bytes);
  void add_done(std::uint64_t bytes);
  void maybe_switch();
  std::uint64_t send_id(Unanswered unanswered);

  io::FileSystem& fs_;
  const io::Clock& clock_;
  std::vector<std::string> roots_;
  std::uint64_t generation_;
  std::vector<std::uint64_t> history_;
  LocalSubmitFn local_submit_;
  Listener listener_;
  FrameOutbox outbox_;
  State state_ = State::idle;
  std::int64_t start_ns_ = 0;
  bool pumping_ = false;
  bool pump_again_ = false;
  bool done_sent_ = false;
  bool target_answered_ = false;

  std::deque<Work> dirs_;   // listings and rechecks first, so bytes_to_do is known early
  std::deque<Work> files_;  // then file comparisons and sends
  std::set<std::pair<std::uint32_t, std::string>> recheck_;
  std::map<std::pair<std::uint32_t, std::string>, unsigned> target_failures_;
  bool recheck_everything_ = false;
  std::size_t parallel_reads_;
  std::size_t busy_ = 0;           // work items under way (at most parallel_reads_)
  std::uint64_t bytes_in_flight_ = 0;  // reserved by items under way + data unanswered
  bool exclusive_busy_ = false;    // the one under way is a listing or a recheck
  std::map<std::uint64_t, Read> reads_;  // by id
  std::uint64_t next_read_id_ = 1;
  std::uint64_t read_watermark_ = 0;  // of the read that just ended
  // Files the target created empty at their listing, whose comparison has not begun.
  std::set<std::pair<std::uint32_t, std::string>> lacking_;
  std::map<std::uint64_t, Unanswered> unanswered_;
  std::uint64_t next_id_ = 1;

  std::uint64_t live_sequence_ = 0;  // last forwarded
  std::map<std::uint64_t, LiveInFlight> live_;
  // Live ops forwarded and not yet applied here: a resync read waits for them.
  std::size_t namespace_ops_applying_ = 0;
  std::map<std::pair<std::uint32_t, std::string>, std::size_t> file_ops_applying_;

  ResyncProgress progress_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Whether an op changes names, or the mode a listing carries for a directory
// (set_mode), and so races every listing and every file read.
bool is_namespace_op(OpKind kind);

}  // namespace hamirror::core
