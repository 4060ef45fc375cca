// MemFs: the calls that name a path. Errors follow Linux where POSIX leaves a choice.
#include <algorithm>

#include "fsim/mem_fs.h"
#include "fsim/path.h"
#include "io/assert.h"

namespace hamirror::fsim {
namespace {

bool is_inside(const ParsedPath& inner, const ParsedPath& outer) {
  return inner.size() > outer.size() && std::equal(outer.begin(), outer.end(), inner.begin());
}

}  // namespace

io::Result<InodeId> MemFs::resolve(const std::string& path, View view) const {
  auto parsed = parse_path(path);
  if (!parsed) return parsed.error();
  auto id = inodes_.lookup(*parsed, view);
  if (!id) return id;
  if (parsed->trailing_separator() && inodes_.at(*id).kind != io::FileKind::directory) return io::Error::not_directory;
  return id;
}

io::Error MemFs::rename_now(const std::string& from, const std::string& to) {
  auto source_path = parse_path(from);
  if (!source_path) return source_path.error();
  auto target_path = parse_path(to);
  if (!target_path) return target_path.error();
  if (source_path->empty() || target_path->empty()) return io::Error::busy;  // the root, as Linux

  auto source_dir = inodes_.lookup_parent(*source_path);
  if (!source_dir) return source_dir.error();
  const auto& source_entries = inodes_.at(*source_dir).entries;
  auto source = source_entries.find(source_path->back());
  if (source == source_entries.end()) return io::Error::not_found;
  const InodeId moved = source->second;
  const bool moved_is_dir = inodes_.at(moved).kind == io::FileKind::directory;
  if (!moved_is_dir && (source_path->trailing_separator() || target_path->trailing_separator())) {
    return io::Error::not_directory;
  }
  if (moved_is_dir && is_inside(*target_path, *source_path)) return io::Error::invalid_argument;

  auto target_dir = inodes_.lookup_parent(*target_path);
  if (!target_dir) return target_dir.error();
  const std::string_view target_name = target_path->back();
  const auto& target_entries = inodes_.at(*target_dir).entries;
  auto target = target_entries.find(target_name);
  if (target != target_entries.end() && target->second == moved) return io::Error::ok;  // POSIX: same file, nothing to do
  for (const InodeId changed : {*source_dir, *target_dir}) {
    if (const io::Error denied = check_owner_write(changed); denied != io::Error::ok) return denied;
  }
  if (target != target_entries.end()) {
    const Inode& replaced = inodes_.at(target->second);
    const bool replaced_is_dir = replaced.kind == io::FileKind::directory;
    if (!moved_is_dir && replaced_is_dir) return io::Error::is_directory;
    if (moved_is_dir && !replaced_is_dir) return io::Error::not_directory;
    if (replaced_is_dir && !replaced.entries.empty()) return io::Error::not_empty;
    inodes_.unlink(*target_dir, target_name);
  }
  // Link the new name before dropping the old one, so the inode is never unreferenced.
  inodes_.link(*target_dir, target_name, moved);
  inodes_.unlink(*source_dir, source_path->back());
  const std::int64_t now_ns = wall_now_ns();
  inodes_.at(*source_dir).mtime_ns = now_ns;
  inodes_.at(*target_dir).mtime_ns = now_ns;
  note_parts({}, "rename ", from, " -> ", to);
  return io::Error::ok;
}

io::Error MemFs::unlink_now(const std::string& path) {
  auto parsed = parse_path(path);
  if (!parsed) return parsed.error();
  if (parsed->empty()) return io::Error::is_directory;
  auto dir = inodes_.lookup_parent(*parsed);
  if (!dir) return dir.error();
  const auto& entries = inodes_.at(*dir).entries;
  auto found = entries.find(parsed->back());
  if (found == entries.end()) return io::Error::not_found;
  if (inodes_.at(found->second).kind == io::FileKind::directory) return io::Error::is_directory;  // Linux
  if (parsed->trailing_separator()) return io::Error::not_directory;
  if (const io::Error denied = check_owner_write(*dir); denied != io::Error::ok) return denied;
  inodes_.unlink(*dir, parsed->back());
  inodes_.at(*dir).mtime_ns = wall_now_ns();
  note_parts({}, "unlink ", path);
  return io::Error::ok;
}

io::Error MemFs::mkdir_now(const std::string& path) {
  auto parsed = parse_path(path);
  if (!parsed) return parsed.error();
  if (parsed->empty()) return io::Error::already_exists;
  auto dir = inodes_.lookup_parent(*parsed);
  if (!dir) return dir.error();
  if (inodes_.at(*dir).entries.contains(parsed->back())) return io::Error::already_exists;
  if (const io::Error denied = check_owner_write(*dir); denied != io::Error::ok) return denied;
  if (inodes_.size() >= kMaxInodes) return io::Error::no_space;
  const InodeId created = inodes_.create(io::FileKind::directory, wall_now_ns(), kDirectoryMode);
  inodes_.link(*dir, parsed->back(), created);
  inodes_.at(*dir).mtime_ns = wall_now_ns();
  note_parts({}, "mkdir ", path);
  return io::Error::ok;
}

io::Error MemFs::rmdir_now(const std::string& path) {
  auto parsed = parse_path(path);
  if (!parsed) return parsed.error();
  if (parsed->empty()) return io::Error::busy;  // the root, as Linux
  auto dir = inodes_.lookup_parent(*parsed);
  if (!dir) return dir.error();
  const auto& entries = inodes_.at(*dir).entries;
  auto found = entries.find(parsed->back());
  if (found == entries.end()) return io::Error::not_found;
  const Inode& removed = inodes_.at(found->second);
  if (removed.kind != io::FileKind::directory) return io::Error::not_directory;
  if (!removed.entries.empty()) return io::Error::not_empty;
  if (const io::Error denied = check_owner_write(*dir); denied != io::Error::ok) return denied;
  inodes_.unlink(*dir, parsed->back());
  inodes_.at(*dir).mtime_ns = wall_now_ns();
  note_parts({}, "rmdir ", path);
  return io::Error::ok;
}

io::Result<std::vector<io::DirEntry>> MemFs::readdir_now(const std::string& path) const {
  auto id = resolve(path, View::current);
  if (!id) return id.error();
  const Inode& dir = inodes_.at(*id);
  if (dir.kind != io::FileKind::directory) return io::Error::not_directory;
  std::vector<io::DirEntry> listing;
  listing.reserve(dir.entries.size());
  // std::map keeps names in byte order: the sorted listing the contract promises.
  for (const auto& [name, child] : dir.entries) listing.push_back(io::DirEntry{name, inodes_.at(child).kind});
  return listing;
}

io::Error MemFs::fsync_dir_now(const std::string& path) {
  auto id = resolve(path, View::current);
  if (!id) return id.error();
  if (inodes_.at(*id).kind != io::FileKind::directory) return io::Error::not_directory;
  inodes_.sync_entries(*id);
  note_parts({}, "fsync_dir ", path);
  return io::Error::ok;
}

// One disk: whatever path names, everything on it becomes durable.
io::Error MemFs::sync_file_system_now(const std::string& path) {
  auto id = resolve(path, View::current);
  if (!id) return id.error();
  inodes_.sync_all();
  note_parts({}, "syncfs ", path);
  return io::Error::ok;
}

io::Error MemFs::set_mtime_now(const std::string& path, std::int64_t mtime_ns) {
  auto id = resolve(path, View::current);
  if (!id) return id.error();
  inodes_.at(*id).mtime_ns = mtime_ns;
  note_parts({}, "set_mtime ", path, " ", mtime_ns);
  return io::Error::ok;
}

io::Error MemFs::check_owner_write(InodeId inode) const {
  constexpr std::uint32_t kOwnerWrite = 0200;
  if (!options_.enforce_owner_write_bits || (inodes_.at(inode).mode & kOwnerWrite) != 0) return io::Error::ok;
  return io::Error::permission_denied;
}

// The mode is metadata outside the durability model, like the mtime (see mem_fs.h).
io::Error MemFs::set_mode_now(const std::string& path, std::uint32_t mode) {
  if ((mode & ~kPermissionBits) != 0) return io::Error::invalid_argument;
  auto id = resolve(path, View::current);
  if (!id) return id.error();
  inodes_.at(*id).mode = mode;
  note_parts({}, "set_mode ", path, " ", mode);
  return io::Error::ok;
}

}  // namespace hamirror::fsim
