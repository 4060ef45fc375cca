// Test support: file trees as plain values, and a reference implementation of
// applying a ResyncPlan (the semantics written in core/activity/resync_plan.h), so a
// test can check that a plan turns the receiver's copy into the sender's.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/activity/resync_plan.h"
#include "fsim/mem_fs.h"

namespace hamirror::core::testing {

struct Node {
  bool directory = false;
  io::Bytes data;
  friend bool operator==(const Node&, const Node&) = default;
};
// Paths relative to the replicated directory (directory index 0).
using Tree = std::map<std::string, Node>;

inline Tree tree_of(const fsim::MemFs& disk, const std::string& root) {
  Tree tree;
  const std::string prefix = root + "/";
  for (const fsim::TreeEntry& entry : disk.tree()) {
    if (!entry.path.starts_with(prefix)) continue;
    Node node{.directory = entry.kind == io::FileKind::directory};
    if (!node.directory) node.data = *disk.contents(entry.path);
    tree[entry.path.substr(prefix.size())] = std::move(node);
  }
  return tree;
}

inline SenderView view_of(const Tree& tree) {
  SenderView view;
  for (const auto& [path, node] : tree) {
    view[FileKey{0, path}] = {node.directory ? io::FileKind::directory : io::FileKind::regular, node.data.size()};
  }
  return view;
}

inline bool under(const std::string& path, const std::string& ancestor) {
  return path.size() > ancestor.size() && path.starts_with(ancestor) && path[ancestor.size()] == '/';
}

inline std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

inline void remove_subtree(Tree& tree, const std::string& path) {
  tree.erase(path);
  for (auto it = tree.upper_bound(path); it != tree.end() && (it->first.starts_with(path));) {
    if (under(it->first, path)) {
      it = tree.erase(it);
    } else {
      ++it;
    }
  }
}

// Applies the plan to `receiver`, reading sent bytes from `sender`. Fails the test when
// the plan is malformed: an entry whose parent does not exist yet, a range outside the
// sender's file.
inline void apply_plan(const ResyncPlan& plan, const Tree& sender, Tree& receiver) {
  ASSERT_FALSE(plan.everything);
  for (const PlanEntry& entry : plan.entries) {
    ASSERT_EQ(entry.key.directory, 0u);
    const std::string& path = entry.key.path;
    if (entry.action == PlanAction::remove) {
      remove_subtree(receiver, path);
      continue;
    }
    const std::string parent = parent_of(path);
    ASSERT_TRUE(parent.empty() || (receiver.contains(parent) && receiver.at(parent).directory))
        << "plan reaches " << path << " before its parent exists";
    const auto existing = receiver.find(path);
    const bool want_directory = entry.action == PlanAction::directory;
    if (entry.replace || (existing != receiver.end() && existing->second.directory != want_directory)) {
      remove_subtree(receiver, path);
    }
    Node& node = receiver[path];
    node.directory = want_directory;
    if (want_directory) continue;
    if (entry.cut_bytes != kNoCut) node.data.resize(entry.cut_bytes);
    node.data.resize(entry.size_bytes, 0);
    const auto source = sender.find(path);
    ASSERT_TRUE(source != sender.end() && !source->second.directory) << "plan sends " << path << ", which the sender lacks";
    for (const SendRange& range : entry.ranges) {
      ASSERT_LE(range.offset + range.size_bytes, source->second.data.size()) << path;
      std::copy_n(source->second.data.begin() + static_cast<std::ptrdiff_t>(range.offset), range.size_bytes,
                  node.data.begin() + static_cast<std::ptrdiff_t>(range.offset));
    }
  }
}

// "" when equal; otherwise the first difference, for the failure message.
inline std::string first_difference(const Tree& expected, const Tree& actual) {
  for (const auto& [path, node] : expected) {
    const auto found = actual.find(path);
    if (found == actual.end()) return path + " is missing";
    if (found->second.directory != node.directory) return path + " has the wrong kind";
    if (found->second.data.size() != node.data.size()) {
      return path + " has " + std::to_string(found->second.data.size()) + " bytes instead of " + std::to_string(node.data.size());
    }
    for (std::size_t i = 0; i < node.data.size(); ++i) {
      if (found->second.data[i] != node.data[i]) return path + " differs at byte " + std::to_string(i);
    }
  }
  for (const auto& [path, node] : actual) {
    if (!expected.contains(path)) return path + " should not exist";
  }
  return "";
}

}  // namespace hamirror::core::testing
