// MemFs: the power cut, synchronous inspection for tests and checkers, and setup.
#include <span>
#include <utility>
#include <vector>

#include "fsim/mem_fs.h"
#include "fsim/path.h"
#include "io/assert.h"

namespace hamirror::fsim {
namespace {

std::string_view fate_name(CrashFate fate) {
  switch (fate) {
    case CrashFate::kept: return "kept";
    case CrashFate::dropped: return "lost";
    case CrashFate::torn: return "torn";
  }
  return "?";
}

// What the trace folds of a file's contents: where its pieces lie, then each piece
// (by position when it is a slice of the payload pool, so no byte is hashed).
struct TraceDetails {
  std::vector<std::uint64_t> layout;  // offset and size of each piece
  std::vector<io::ByteView> views;
  operator std::span<const io::ByteView>() const { return views; }  // NOLINT(google-explicit-constructor)
};

TraceDetails trace_details(const FileData& data) {
  TraceDetails details;
  for (const FileData::Piece& piece : data.pieces()) {
    details.layout.push_back(piece.offset);
    details.layout.push_back(piece.bytes.size());
  }
  details.views.push_back(io::ByteView(reinterpret_cast<const std::uint8_t*>(details.layout.data()),
                                       details.layout.size() * sizeof(std::uint64_t)));
  for (const FileData::Piece& piece : data.pieces()) details.views.push_back(piece.bytes.view());
  return details;
}

std::string describe(const UnsyncedChange& change) {
  if (change.kind == UnsyncedChange::Kind::truncate) return "truncate to " + std::to_string(change.size_bytes);
  return "write @" + std::to_string(change.offset) + " +" + std::to_string(change.bytes.size());
}

}  // namespace

CrashReport MemFs::crash() {
  pending_.cancel_all();
  handles_.clear();
  ++crashes_;
  note("crash #" + std::to_string(crashes_) + ": power cut");
  CrashReport report;
  inodes_.rebuild_from_durable([&](const std::string& path, Inode& inode) {
    std::vector<ChangeFate> fates;
    inode.data = settle_after_crash(inode.durable_data, inode.unsynced.all(), options_.crash_weights, random_, fates);
    HM_ASSERT(fates.size() == inode.unsynced.size());
    for (std::size_t i = 0; i < fates.size(); ++i) {
      const UnsyncedChange& change = inode.unsynced[i];
      report.decisions.push_back(CrashDecision{path, i, change.kind, fates[i].fate, fates[i].bytes_kept, change.bytes.size()});
      std::string line = "crash " + path + " change " + std::to_string(i) + " (" + describe(change) + "): " +
                         std::string(fate_name(fates[i].fate));
      if (fates[i].fate == CrashFate::torn) line += " after " + std::to_string(fates[i].bytes_kept) + " bytes";
      note(line);
    }
    inode.durable_data = inode.data;  // what reached the platter is durable now
    inode.unsynced.clear();
    note("after crash " + path + " has " + std::to_string(inode.data.size()) + " bytes", trace_details(inode.data));
  });
  return report;
}

std::optional<io::Bytes> MemFs::contents(const std::string& path) const {
  auto id = resolve(path, View::current);
  if (!id || inodes_.at(*id).kind != io::FileKind::regular) return std::nullopt;
  return inodes_.at(*id).data.bytes();
}

std::optional<FileData> MemFs::data_of(const std::string& path) const {
  auto id = resolve(path, View::current);
  if (!id || inodes_.at(*id).kind != io::FileKind::regular) return std::nullopt;
  return inodes_.at(*id).data;
}

std::optional<std::uint32_t> MemFs::mode_of(const std::string& path) const {
  auto id = resolve(path, View::current);
  if (!id) return std::nullopt;
  return inodes_.at(*id).mode;
}

std::optional<io::Bytes> MemFs::durable_contents(const std::string& path) const {
  auto id = resolve(path, View::durable);
  if (!id || inodes_.at(*id).kind != io::FileKind::regular) return std::nullopt;
  return inodes_.at(*id).durable_data.bytes();
}

std::vector<TreeEntry> MemFs::tree() const {
  std::vector<TreeEntry> listing;
  inodes_.walk(View::current, [&](const std::string& path, InodeId, const std::string&, const Inode& inode) {
    listing.push_back(TreeEntry{path, inode.kind, inode.kind == io::FileKind::regular ? inode.data.size() : 0});
  });
  return listing;
}

std::vector<TreeEntry> MemFs::durable_tree() const {
  std::vector<TreeEntry> listing;
  inodes_.walk(View::durable, [&](const std::string& path, InodeId, const std::string&, const Inode& inode) {
    listing.push_back(TreeEntry{path, inode.kind, inode.kind == io::FileKind::regular ? inode.durable_data.size() : 0});
  });
  return listing;
}

void MemFs::create_durable_directories(const ParsedPath& path, std::size_t count) {
  HM_ASSERT(count <= path.size());
  InodeId dir = InodeTable::kRootId;
  auto name = path.begin();
  for (std::size_t i = 0; i < count; ++i, ++name) {
    auto& entries = inodes_.at(dir).entries;
    auto found = entries.find(*name);
    InodeId next = 0;
    if (found == entries.end()) {
      HM_ASSERT(inodes_.size() < kMaxInodes);
      next = inodes_.create(io::FileKind::directory, wall_now_ns(), kDirectoryMode);
      inodes_.link(dir, *name, next);
    } else {
      next = found->second;
      HM_ASSERT(inodes_.at(next).kind == io::FileKind::directory);
    }
    inodes_.sync_entries(dir);
    dir = next;
  }
}

void MemFs::install_directory(const std::string& path) {
  auto parsed = parse_path(path);
  HM_ASSERT(parsed.ok());
  create_durable_directories(*parsed, parsed->size());
  note("install directory " + path);
}

void MemFs::install_file(const std::string& path, io::ByteView contents) {
  auto parsed = parse_path(path);
  HM_ASSERT(parsed.ok() && !parsed->empty() && !parsed->trailing_separator());
  create_durable_directories(*parsed, parsed->size() - 1);
  const InodeId dir = inodes_.lookup(*parsed, parsed->size() - 1, View::current).value();
  const auto& entries = inodes_.at(dir).entries;
  auto found = entries.find(parsed->back());
  InodeId file = 0;
  if (found == entries.end()) {
    HM_ASSERT(inodes_.size() < kMaxInodes);
    file = inodes_.create(io::FileKind::regular, wall_now_ns(), kFileMode);
    inodes_.link(dir, parsed->back(), file);
  } else {
    file = found->second;
    HM_ASSERT(inodes_.at(file).kind == io::FileKind::regular);
  }
  inodes_.sync_entries(dir);
  Inode& inode = inodes_.at(file);
  // Durable at once, as if written and fsynced: no unsynced change to fold.
  inode.data = FileData(contents);
  inode.durable_data = inode.data;
  inode.unsynced.clear();
  inode.mtime_ns = wall_now_ns();
  note("install " + path, contents);
}

}  // namespace hamirror::fsim
