// io::FileSystem in memory, for the simulator: POSIX semantics and error values, and
// a durability model with power cuts.
//
// Semantics. Paths are POSIX-style and absolute (see path.h); "/" always exists.
// Files are inodes: a handle keeps its file across rename and unlink, so an open but
// unlinked file can still be read and written until closed. rename() replaces an
// existing target in one step. readdir() is sorted by name. Every call takes effect
// when it is made and completes through the scheduler (never inside the call).
//
// Durability (the fault model). Each file keeps its durable data apart from its
// unsynced writes and truncates; fsync() on a handle makes that file's changes so
// far durable. Each directory keeps its durable entries apart from its current ones;
// fsync_dir() makes all of them durable at once (creates, renames in and out,
// unlinks). crash() is a power cut: the tree becomes exactly what the durable entries
// reach from the root -- a new or renamed name survives only once its directory was
// fsynced, and a rename between directories needs both (if only the target directory
// was synced, the file is found under both names, like a hard link). Each surviving
// file is its durable data plus, for every unsynced change in order, an independent
// draw: survive, vanish, or tear (see crash_model.h). Unsynced directory changes are
// always lost. All handles become invalid (bad_handle) and completions not yet
// delivered are cancelled: the process that was waiting for them is gone. Fault
// wrappers stacked above must be destroyed (or their cancel_pending() called) too.
// mtime and mode are metadata outside the model: they keep their current values.
//
// Every mutating call and every crash decision is folded into the trace with the
// bytes involved, so the trace hash covers file contents (bytes of the runner's
// payload pool by their position in it: see sim::Trace::fold_by_position_within).
//
// A node's disk may have a NodeGate (set_gate): every call still takes effect when it
// is made, but its completion goes through the gate, so a frozen node's completions
// are held until it thaws (a write issued before the freeze is on the disk, as
// contents() shows; its callback runs after the thaw). crash() drops held ones too.
// A fault layer that chains calls to this disk (CapacityFs checks a size, then
// writes) waits for each held completion like the node: its next step comes after
// the thaw.
//
// Tests and checkers inspect the disk synchronously: contents(), durable_contents(),
// tree(), durable_tree(); install_file() prepares a durable file before a run.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fsim/crash_model.h"
#include "fsim/inode_table.h"
#include "fsim/path.h"
#include "fsim/pending_events.h"
#include "io/clock.h"
#include "io/filesystem.h"
#include "io/random.h"
#include "sim/scheduler.h"

namespace hamirror::fsim {

// Open handles per disk; more fail with too_many_open (EMFILE).
constexpr std::size_t kMaxOpenFiles = 1024;
// Largest simulated file; writes or truncates past it fail with invalid_argument (the
// real call would give EFBIG). Keeps a runaway writer from eating the host's memory.
constexpr std::uint64_t kMaxFileBytes = std::uint64_t{1} << 30;
// Completions waiting in the scheduler for one disk.
constexpr std::size_t kMaxPendingCompletions = 100'000;

struct MemFsOptions {
  std::string trace_name = "fs";  // who the trace lines name, e.g. "node1.disk"
  CrashWeights crash_weights;     // odds of each fate for unsynced changes at a crash
  // Refuse what the owner's write bit (0200) forbids a user who is not root, as POSIX
  // does and as Windows does for a read-only file: opening a file for writing, and
  // making, removing or renaming an entry in a directory (permission_denied). Only
  // the owner's write bit: reads and path traversal are never refused. A handle
  // opened before the mode changed keeps writing, as on both systems. Off by default
  // (the daemon usually runs as root, which the bits do not stop); tests of code that
  // must also work for a user turn it on.
  bool enforce_owner_write_bits = false;
};

struct TreeEntry {
  std::string path;
  io::FileKind kind = io::FileKind::other;
  std::uint64_t size_bytes = 0;  // 0 for directories
  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

// One unsynced change's fate at a crash.
struct CrashDecision {
  std::string path;              // the file's first surviving name
  std::uint64_t change_index = 0;  // order among that file's unsynced changes
  UnsyncedChange::Kind kind = UnsyncedChange::Kind::write;
  CrashFate fate = CrashFate::kept;
  std::uint64_t bytes_kept = 0;   // writes only
  std::uint64_t bytes_total = 0;  // writes only
};

struct CrashReport {
  std::vector<CrashDecision> decisions;  // by path, then change order
};

class MemFs final : public io::FileSystem {
 public:
  // mtime comes from the scheduler's time plus sim::kSimEpochWallNs, or from clock.
  MemFs(sim::Scheduler& scheduler, io::Prng random, MemFsOptions options = {});
  MemFs(sim::Scheduler& scheduler, io::Prng random, const io::Clock& clock, MemFsOptions options = {});
  ~MemFs() override;

  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override;
  void close(io::FileHandle file, DoneFn done) override;
  void read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) override;
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override;
  // Keeps the bytes by reference (FileData's pieces): no copy.
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override;
  void fsync(io::FileHandle file, DoneFn done) override;
  void truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) override;
  void fstat(io::FileHandle file, StatFn done) override;
  void stat(const std::string& path, StatFn done) override;
  void rename(const std::string& from, const std::string& to, DoneFn done) override;
  void unlink(const std::string& path, DoneFn done) override;
  void mkdir(const std::string& path, DoneFn done) override;
  void rmdir(const std::string& path, DoneFn done) override;
  void readdir(const std::string& path, ReadDirFn done) override;
  void fsync_dir(const std::string& path, DoneFn done) override;
  void sync_file_system(const std::string& path, DoneFn done) override;
  void set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) override;
  void set_mode(const std::string& path, std::uint32_t mode, DoneFn done) override;

  // Completions go through `gate` (null: none). Set before the first call.
  void set_gate(sim::NodeGate* gate) { pending_.set_gate(gate); }

  // The power cut described at the top of this file.
  CrashReport crash();

  // Inspection, synchronous and outside the trace. nullopt: missing or a directory.
  std::optional<io::Bytes> contents(const std::string& path) const;
  // The same without materialising it (pieces shared): compare with ==, or look at
  // the pieces. nullopt: missing or a directory.
  std::optional<FileData> data_of(const std::string& path) const;
  // Permission bits of a file or directory; nullopt: missing.
  std::optional<std::uint32_t> mode_of(const std::string& path) const;
  // What the file would hold after a crash that loses every unsynced change.
  std::optional<io::Bytes> durable_contents(const std::string& path) const;
  std::vector<TreeEntry> tree() const;          // depth first, in name order; no root
  std::vector<TreeEntry> durable_tree() const;  // as above, through durable entries
  std::size_t open_file_count() const { return handles_.size(); }
  std::uint64_t crash_count() const { return crashes_; }

  // Setup before a run: creates path (and missing parent directories) as durable, as
  // if written, fsynced and its directories fsynced. Syncs those directories' other
  // entries too. Asserts that path is valid and not a directory.
  void install_file(const std::string& path, io::ByteView contents);
  void install_directory(const std::string& path);

 private:
  struct OpenFile {
    InodeId inode = 0;
    bool readable = false;
    bool writable = false;
    std::string path;  // as opened, for trace lines (the file may have moved since)
  };

  MemFs(sim::Scheduler& scheduler, io::Prng random, const io::Clock* clock, MemFsOptions options);

  io::Result<io::FileHandle> open_now(const std::string& path, io::OpenFlags flags);
  io::Result<io::Bytes> read_now(io::FileHandle file, std::uint64_t offset, std::uint64_t size) const;
  io::Result<std::uint64_t> write_now(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes);
  io::Error truncate_now(io::FileHandle file, std::uint64_t size_bytes);
  io::Error fsync_now(io::FileHandle file);
  io::Error rename_now(const std::string& from, const std::string& to);
  io::Error unlink_now(const std::string& path);
  io::Error mkdir_now(const std::string& path);
  io::Error rmdir_now(const std::string& path);
  io::Result<std::vector<io::DirEntry>> readdir_now(const std::string& path) const;
  io::Error fsync_dir_now(const std::string& path);
  io::Error sync_file_system_now(const std::string& path);
  io::Error set_mtime_now(const std::string& path, std::int64_t mtime_ns);
  io::Error set_mode_now(const std::string& path, std::uint32_t mode);
  // permission_denied where enforce_owner_write_bits forbids writing the inode (a file's
  // data, a directory's entries); ok otherwise.
  io::Error check_owner_write(InodeId inode) const;

  // The inode a whole path names (with POSIX's rule that "x/" must be a directory).
  io::Result<InodeId> resolve(const std::string& path, View view) const;
  const OpenFile* find_open(io::FileHandle file) const;
  io::FileStat stat_of(const Inode& inode) const;
  // Apply a write or truncate now and keep it as unsynced.
  void write_file(Inode& inode, std::uint64_t offset, io::SharedBytes bytes);
  void truncate_file(Inode& inode, std::uint64_t size_bytes);
  void keep_unsynced(Inode& inode, UnsyncedChange change);
  // Makes the path's first `count` names durable directories where missing.
  void create_durable_directories(const ParsedPath& path, std::size_t count);
  std::int64_t wall_now_ns() const;
  void note(std::string_view what, io::ByteView detail = {});
  void note(std::string_view what, std::span<const io::ByteView> details);
  // note() of the text the parts (strings, integers in decimal) make, built in a
  // buffer kept for it: the trace line of every call costs no allocation.
  template <typename... Parts>
  void note_parts(io::ByteView detail, const Parts&... parts) {
    line_.clear();
    (append_part(parts), ...);
    note(line_, detail);
  }
  void append_part(std::string_view text) { line_.append(text); }
  template <std::integral Number>
  void append_part(Number number) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
    line_.append(digits, end);
  }

  template <typename Fn, typename Value>
  void complete(Fn done, Value value) {
    pending_.after(0, [done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
  }

  sim::Scheduler& scheduler_;
  io::Prng random_;
  const io::Clock* clock_;  // null: scheduler time plus the sim epoch
  MemFsOptions options_;
  InodeTable inodes_;
  std::map<std::uint64_t, OpenFile> handles_;
  std::uint64_t next_handle_ = 1;  // never reused, so stale handles stay invalid
  std::uint64_t crashes_ = 0;
  PendingEvents pending_;
  std::string line_;  // note_parts's buffer
};

}  // namespace hamirror::fsim
