// What an OpApplier changed since its last durable checkpoint: the names a checkpoint
// must fsync so that every op applied before it survives a power cut.
//
// Three kinds of names, by replicated directory and relative path ("" is the
// directory's root):
// - files whose data changed (create, write, truncate): fsync the file;
// - directories whose entries changed (the parent of a create, mkdir, rmdir, unlink,
//   and both parents of a rename): fsync_dir the directory;
// - names whose metadata changed (set_mtime, set_mode, a file or a directory; a
//   directory made with a mode): fsync whichever it is.
// Names are noted before their op is applied, whatever its result (a failed write may
// still have changed part of the file). Only a successful op forgets names: an unlink
// forgets its file, an rmdir everything under it, an fsync op its file and parent
// (that op made them durable). A successful rename moves every name at or under its
// source to its target, so data written under the old name is synced under the new.
// A name that no longer exists when the checkpoint runs is fine: whatever removed it
// also noted its parent.
//
// The bound: at most kMaxChangedNames names. The applier checks full() before each op
// (one op adds at most kMaxNamesPerOp) and, when it is, syncs and forgets every name
// noted so far before applying the op — an early, implicit checkpoint that keeps the
// set bounded without ever forgetting a name that was not synced.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "core/replication/file_op.h"
#include "io/assert.h"

namespace hamirror::core {

constexpr std::size_t kMaxChangedNames = 4096;
// A create notes its file and its parent, a mkdir with a mode its parent and itself,
// a rename both parents (a move merges names).
constexpr std::size_t kMaxNamesPerOp = 2;

struct ChangedName {
  std::uint32_t directory = 0;
  std::string path;  // relative; "" is the replicated directory's root
  friend auto operator<=>(const ChangedName&, const ChangedName&) = default;
  friend bool operator==(const ChangedName&, const ChangedName&) = default;
};

class ChangedSet {
 public:
  struct Names {
    std::set<ChangedName> files;        // fsync
    std::set<ChangedName> metadata;     // fsync the file, or fsync_dir the directory
    std::set<ChangedName> directories;  // fsync_dir
  };

  // Before op is applied.
  void note(const FileOp& op) {
    switch (op.kind) {
      case OpKind::create:
        names_.files.insert({op.directory, op.path});
        names_.directories.insert({op.directory, parent_of(op.path)});
        break;
      case OpKind::write:
      case OpKind::truncate: names_.files.insert({op.directory, op.path}); break;
      case OpKind::mkdir:
        names_.directories.insert({op.directory, parent_of(op.path)});
        if (op.mode != 0) names_.metadata.insert({op.directory, op.path});  // the new directory's own mode
        break;
      case OpKind::rmdir:
      case OpKind::unlink: names_.directories.insert({op.directory, parent_of(op.path)}); break;
      case OpKind::rename:
        names_.directories.insert({op.directory, parent_of(op.path)});
        names_.directories.insert({op.directory, parent_of(op.target)});
        break;
      case OpKind::set_mtime:
      case OpKind::set_mode: names_.metadata.insert({op.directory, op.path}); break;
      case OpKind::fsync: break;  // syncs; changes nothing
    }
    HM_ASSERT(size() <= kMaxChangedNames);
  }

  // After op was applied with `result`.
  void applied(const FileOp& op, io::Error result) {
    if (result != io::Error::ok) return;
    switch (op.kind) {
      case OpKind::unlink:
        names_.files.erase({op.directory, op.path});
        names_.metadata.erase({op.directory, op.path});
        break;
      case OpKind::rmdir:
        for (auto* names : {&names_.files, &names_.metadata, &names_.directories}) erase_tree(*names, op.directory, op.path);
        break;
      case OpKind::fsync:
        names_.files.erase({op.directory, op.path});
        names_.metadata.erase({op.directory, op.path});
        names_.directories.erase({op.directory, parent_of(op.path)});
        break;
      case OpKind::rename:
        for (auto* names : {&names_.files, &names_.metadata, &names_.directories}) move_tree(*names, op);
        break;
      default: break;
    }
  }

  // A name no op changed that must be durable all the same (OpApplier::keep_durable):
  // a file to fsync, or a directory whose entries to flush. Applied ops treat it as
  // any other name (a rename moves it, an unlink forgets it).
  void keep(ChangedName name, bool directory) {
    (directory ? names_.directories : names_.files).insert(std::move(name));
    HM_ASSERT(size() <= kMaxChangedNames);
  }

  std::size_t size() const { return names_.files.size() + names_.metadata.size() + names_.directories.size(); }
  bool empty() const { return size() == 0; }
  // Too full to note another op: sync and forget first.
  bool full() const { return size() + kMaxNamesPerOp > kMaxChangedNames; }
  // Everything noted so far; the set starts empty again.
  Names take() { return std::exchange(names_, Names{}); }
  const Names& names() const { return names_; }

  static std::string parent_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
  }

 private:
  static bool inside(const std::string& path, const std::string& tree) {
    return path == tree || (path.size() > tree.size() && path.starts_with(tree) && path[tree.size()] == '/');
  }

  // Names at or under `tree` sort together: they all start with it.
  static void erase_tree(std::set<ChangedName>& names, std::uint32_t directory, const std::string& tree) {
    for (auto it = names.lower_bound({directory, tree}); it != names.end() && it->directory == directory && it->path.starts_with(tree);) {
      it = inside(it->path, tree) ? names.erase(it) : std::next(it);
    }
  }

  static void move_tree(std::set<ChangedName>& names, const FileOp& rename) {
    std::set<ChangedName> moved;
    for (auto it = names.lower_bound({rename.directory, rename.path});
         it != names.end() && it->directory == rename.directory && it->path.starts_with(rename.path);) {
      if (!inside(it->path, rename.path)) {
        ++it;
        continue;
      }
      moved.insert({rename.directory, rename.target + it->path.substr(rename.path.size())});
      it = names.erase(it);
    }
    names.merge(moved);  // a name already present stays once: the set never grows here
  }

  Names names_;
};

}  // namespace hamirror::core
