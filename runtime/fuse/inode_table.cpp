#include "fuse/inode_table.h"

#include <algorithm>
#include <vector>

#include "io/assert.h"

namespace hamirror::fuse {
namespace {

bool is_under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

}  // namespace

InodeTable::InodeTable() {
  entries_[kRootInode] = Entry{.path = "", .lookups = 1};
  by_path_[""] = kRootInode;
}

Inode InodeTable::remember(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (const auto found = by_path_.find(path); found != by_path_.end()) {
    ++entries_.at(found->second).lookups;
    return found->second;
  }
  const Inode inode = next_inode_++;
  entries_[inode] = Entry{.path = path, .lookups = 1};
  by_path_[path] = inode;
  return inode;
}

void InodeTable::forget(Inode inode, std::uint64_t count) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  if (entry == entries_.end() || inode == kRootInode) return;
  entry->second.lookups -= std::min(count, entry->second.lookups);
  drop_if_unused(entry);
}

std::optional<std::string> InodeTable::path_of(Inode inode) const {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  if (entry == entries_.end() || entry->second.removed) return std::nullopt;
  return entry->second.path;
}

std::optional<Inode> InodeTable::inode_at(const std::string& path) const {
  std::lock_guard lock(mutex_);
  const auto found = by_path_.find(path);
  if (found == by_path_.end()) return std::nullopt;
  return found->second;
}

void InodeTable::opened(Inode inode) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  HM_ASSERT(entry != entries_.end());
  ++entry->second.opens;
}

std::optional<std::string> InodeTable::released(Inode inode) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  if (entry == entries_.end() || entry->second.opens == 0) return std::nullopt;
  std::optional<std::string> to_remove;
  if (--entry->second.opens == 0 && entry->second.hidden && !entry->second.removed) {
    to_remove = entry->second.path;
    by_path_.erase(entry->second.path);
    entry->second.removed = true;
  }
  drop_if_unused(entry);
  return to_remove;
}

std::uint32_t InodeTable::open_count(Inode inode) const {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  return entry == entries_.end() ? 0 : entry->second.opens;
}

void InodeTable::moved(const std::string& from, const std::string& to) {
  if (from == to) return;  // rename(2) onto itself changes nothing
  std::lock_guard lock(mutex_);
  detach_path(to);  // a replaced target is gone
  // `from` itself, then its descendants (adjacent in the ordered map, after "from/").
  std::vector<std::pair<std::string, Inode>> moving;
  if (const auto self = by_path_.find(from); self != by_path_.end()) moving.emplace_back(*self);
  for (auto it = by_path_.upper_bound(from); it != by_path_.end() && it->first.compare(0, from.size(), from) == 0; ++it) {
    if (is_under(it->first, from)) moving.emplace_back(*it);
  }
  for (const auto& [old_path, inode] : moving) by_path_.erase(old_path);
  for (const auto& [old_path, inode] : moving) {
    const std::string new_path = to + old_path.substr(from.size());
    detach_path(new_path);
    entries_.at(inode).path = new_path;
    by_path_[new_path] = inode;
  }
}

void InodeTable::removed(const std::string& path) {
  std::lock_guard lock(mutex_);
  detach_path(path);
}

void InodeTable::hidden(Inode inode, const std::string& hidden_path) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  HM_ASSERT(entry != entries_.end());
  by_path_.erase(entry->second.path);
  entry->second.path = hidden_path;
  entry->second.hidden = true;
  by_path_[hidden_path] = inode;
}

void InodeTable::unhidden(Inode inode, const std::string& path) {
  std::lock_guard lock(mutex_);
  const auto entry = entries_.find(inode);
  if (entry == entries_.end()) return;
  by_path_.erase(entry->second.path);
  entry->second.path = path;
  entry->second.hidden = false;
  entry->second.removed = false;
  by_path_[path] = inode;
}

void InodeTable::detach_path(const std::string& path) {
  const auto found = by_path_.find(path);
  if (found == by_path_.end()) return;
  const auto entry = entries_.find(found->second);
  by_path_.erase(found);
  entry->second.removed = true;
  drop_if_unused(entry);
}

void InodeTable::drop_if_unused(std::unordered_map<Inode, Entry>::iterator entry) {
  if (entry->first == kRootInode || entry->second.lookups > 0 || entry->second.opens > 0) return;
  if (!entry->second.removed) by_path_.erase(entry->second.path);
  entries_.erase(entry);
}

}  // namespace hamirror::fuse
