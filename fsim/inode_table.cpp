#include "fsim/inode_table.h"

#include <set>
#include <vector>
#include <utility>

#include "io/assert.h"

namespace hamirror::fsim {
namespace {

using Entries = std::map<std::string, InodeId, std::less<>>;

const Entries& entries_of(const Inode& dir, View view) {
  return view == View::current ? dir.entries : dir.durable_entries;
}

}  // namespace

InodeTable::InodeTable(std::int64_t root_mtime_ns) {
  Inode root;
  root.id = kRootId;
  root.kind = io::FileKind::directory;
  root.mtime_ns = root_mtime_ns;
  root.mode = kDirectoryMode;
  // The root has no parent entry; one pseudo-link of each kind keeps it forever.
  root.links = 1;
  root.durable_links = 1;
  inodes_.resize(kRootId + 1);
  inodes_[kRootId] = std::make_unique<Inode>(std::move(root));
  live_ = 1;
}

Inode& InodeTable::at(InodeId id) {
  HM_ASSERT(contains(id));
  return *inodes_[id];
}

const Inode& InodeTable::at(InodeId id) const {
  HM_ASSERT(contains(id));
  return *inodes_[id];
}

io::Result<InodeId> InodeTable::lookup(const ParsedPath& path, std::size_t count, View view) const {
  HM_ASSERT(count <= path.size());
  InodeId current = kRootId;
  auto name = path.begin();
  for (std::size_t i = 0; i < count; ++i, ++name) {
    const Inode& dir = at(current);
    if (dir.kind != io::FileKind::directory) return io::Error::not_directory;
    const auto& entries = entries_of(dir, view);
    auto found = entries.find(*name);
    if (found == entries.end()) return io::Error::not_found;
    current = found->second;
  }
  return current;
}

io::Result<InodeId> InodeTable::lookup_parent(const ParsedPath& path) const {
  HM_ASSERT(!path.empty());
  auto dir = lookup(path, path.size() - 1, View::current);
  if (!dir) return dir;
  if (at(*dir).kind != io::FileKind::directory) return io::Error::not_directory;
  return dir;
}

InodeId InodeTable::create(io::FileKind kind, std::int64_t mtime_ns, std::uint32_t mode) {
  HM_ASSERT(inodes_.size() < kMaxInodes);
  HM_ASSERT(kind == io::FileKind::regular || kind == io::FileKind::directory);
  Inode inode;
  inode.id = next_id_++;
  inode.kind = kind;
  inode.mtime_ns = mtime_ns;
  inode.mode = mode;
  const InodeId id = inode.id;
  HM_ASSERT(id == inodes_.size());
  inodes_.push_back(std::make_unique<Inode>(std::move(inode)));
  ++live_;
  return id;
}

void InodeTable::link(InodeId dir, std::string_view name, InodeId target) {
  Inode& parent = at(dir);
  HM_ASSERT(parent.kind == io::FileKind::directory);
  auto [where, added] = parent.entries.emplace(std::string(name), target);
  HM_ASSERT(added);
  ++at(target).links;
}

void InodeTable::unlink(InodeId dir, std::string_view name) {
  Inode& parent = at(dir);
  auto found = parent.entries.find(name);
  HM_ASSERT(found != parent.entries.end());
  const InodeId target = found->second;
  parent.entries.erase(found);
  Inode& inode = at(target);
  HM_ASSERT(inode.links > 0);
  --inode.links;
  release_if_unreferenced(target);
}

void InodeTable::sync_entries(InodeId dir) {
  Inode& parent = at(dir);
  HM_ASSERT(parent.kind == io::FileKind::directory);
  // Make the durable entries equal to the current ones by applying the differences
  // only (most names are unchanged between two syncs: copying the whole map cost an
  // allocation per name per fsync_dir). Both maps are sorted by name: one merge pass.
  // New durable names are counted before any old one is dropped, so that an inode
  // named in both is never seen unreferenced in between.
  // Targets of durable names that went, in name order (in a kept buffer: no
  // allocation per fsync_dir).
  std::vector<InodeId> dropped = std::move(dropped_buffer_);
  dropped.clear();
  auto& durable = parent.durable_entries;
  auto current = parent.entries.begin();
  auto kept = durable.begin();
  while (current != parent.entries.end() || kept != durable.end()) {
    if (kept == durable.end() || (current != parent.entries.end() && current->first < kept->first)) {
      ++at(current->second).durable_links;  // a new name
      durable.emplace_hint(kept, current->first, current->second);
      ++current;
    } else if (current == parent.entries.end() || kept->first < current->first) {
      dropped.push_back(kept->second);  // a name that went
      kept = durable.erase(kept);
    } else {
      if (current->second != kept->second) {  // the name now points elsewhere
        ++at(current->second).durable_links;
        dropped.push_back(kept->second);
        kept->second = current->second;
      }
      ++current;
      ++kept;
    }
  }
  for (const InodeId target : dropped) {
    Inode& inode = at(target);
    HM_ASSERT(inode.durable_links > 0);
    --inode.durable_links;
    release_if_unreferenced(target);
  }
  dropped_buffer_ = std::move(dropped);
}

void InodeTable::sync_data(InodeId file) {
  Inode& inode = at(file);
  HM_ASSERT(inode.kind == io::FileKind::regular);
  inode.durable_data = inode.data;  // shares the pages: no byte is copied
  inode.unsynced.clear();
}

void InodeTable::sync_all() {
  // By id; syncing a directory's entries may free an inode only its durable entries
  // still named, which is then skipped.
  for (InodeId id = kRootId; id < inodes_.size(); ++id) {
    if (!contains(id)) continue;
    if (at(id).kind == io::FileKind::directory) {
      sync_entries(id);
    } else if (at(id).kind == io::FileKind::regular) {
      sync_data(id);
    }
  }
}

void InodeTable::add_handle(InodeId id) { ++at(id).open_handles; }

void InodeTable::drop_handle(InodeId id) {
  Inode& inode = at(id);
  HM_ASSERT(inode.open_handles > 0);
  --inode.open_handles;
  release_if_unreferenced(id);
}

void InodeTable::release_if_unreferenced(InodeId id) {
  // Most calls (every close) find the inode still referenced: no work list then.
  if (const Inode& first = at(id); first.links > 0 || first.durable_links > 0 || first.open_handles > 0) return;
  // A freed directory's durable entries held its old children: release them in turn.
  // The work list is bounded by the number of inodes.
  std::vector<InodeId> work = std::move(work_buffer_);  // kept: no allocation per release
  work.assign(1, id);
  while (!work.empty()) {
    HM_ASSERT(work.size() <= live_);
    const InodeId next = work.back();
    work.pop_back();
    const Inode& inode = at(next);
    if (inode.links > 0 || inode.durable_links > 0 || inode.open_handles > 0) continue;
    HM_ASSERT(next != kRootId);
    // Unreferenced means nobody names it now, so rmdir already emptied it.
    HM_ASSERT(inode.entries.empty());
    for (const auto& [name, child] : inode.durable_entries) {
      Inode& child_inode = at(child);
      HM_ASSERT(child_inode.durable_links > 0);
      --child_inode.durable_links;
      work.push_back(child);
    }
    inodes_[next].reset();
    --live_;
  }
  work_buffer_ = std::move(work);
}

void InodeTable::walk(View view, const Visit& visit) const {
  struct Item {
    std::string path;
    InodeId parent;
    std::string name;
    InodeId id;
  };
  std::vector<Item> stack;
  std::set<InodeId> seen_directories{kRootId};
  auto push_children = [&](const std::string& dir_path, InodeId dir) {
    const auto& entries = entries_of(at(dir), view);
    // Reverse order onto the stack pops them in name order.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      stack.push_back(Item{dir_path == "/" ? "/" + it->first : dir_path + "/" + it->first, dir, it->first, it->second});
    }
  };
  push_children("/", kRootId);
  while (!stack.empty()) {
    HM_ASSERT(stack.size() <= kMaxInodes);
    Item item = std::move(stack.back());
    stack.pop_back();
    const Inode& inode = at(item.id);
    if (inode.kind == io::FileKind::directory && !seen_directories.insert(item.id).second) continue;
    visit(item.path, item.parent, item.name, inode);
    if (inode.kind == io::FileKind::directory) push_children(item.path, item.id);
  }
}

void InodeTable::rebuild_from_durable(const std::function<void(const std::string& path, Inode&)>& settle_file) {
  std::map<InodeId, Entries> kept_entries{{kRootId, {}}};
  std::map<InodeId, std::string> first_path_of_file;
  walk(View::durable, [&](const std::string& path, InodeId parent, const std::string& name, const Inode& inode) {
    kept_entries[parent].emplace(name, inode.id);
    if (inode.kind == io::FileKind::directory) kept_entries.try_emplace(inode.id);
    if (inode.kind == io::FileKind::regular) first_path_of_file.try_emplace(inode.id, path);
  });

  // The same slots, ids kept; what is not moved over is freed with the old table.
  std::vector<std::unique_ptr<Inode>> survivors(inodes_.size());
  std::size_t survivor_count = 0;
  for (auto& [id, entries] : kept_entries) {
    Inode& inode = at(id);
    inode.entries = std::move(entries);
    inode.durable_entries = inode.entries;
    survivors[id] = std::move(inodes_[id]);
    ++survivor_count;
  }
  for (const auto& [id, path] : first_path_of_file) {
    Inode& inode = at(id);
    settle_file(path, inode);
    HM_ASSERT(inode.unsynced.empty() && inode.data == inode.durable_data);
    survivors[id] = std::move(inodes_[id]);
    ++survivor_count;
  }

  // Recount what keeps each survivor alive: only names now, no handles.
  for (InodeId id = 0; id < survivors.size(); ++id) {
    if (Inode* inode = survivors[id].get()) {
      inode->links = id == kRootId ? 1 : 0;
      inode->durable_links = inode->links;
      inode->open_handles = 0;
    }
  }
  for (const auto& inode : survivors) {
    if (!inode) continue;
    for (const auto& [name, child] : inode->entries) {
      HM_ASSERT(child < survivors.size() && survivors[child] != nullptr);
      ++survivors[child]->links;
      ++survivors[child]->durable_links;
    }
  }
  inodes_ = std::move(survivors);
  live_ = survivor_count;
}

}  // namespace hamirror::fsim
