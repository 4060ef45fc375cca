#include "core/node/fast_resync.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/activity/record_codec.h"

namespace hamirror::core {
namespace {

constexpr std::string_view kMarksMagic = "HMMARKS1";

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

bool is_under(const FileKey& key, const FileKey& directory) {
  return key.directory == directory.directory && key.path.size() > directory.path.size() &&
         key.path.compare(0, directory.path.size(), directory.path) == 0 && key.path[directory.path.size()] == '/';
}

}  // namespace

std::optional<FastResyncInput> to_fast_resync_input(const ResyncPlan& plan) {
  if (plan.everything) return std::nullopt;
  FastResyncInput input;
  // Listed in (directory, path) order, each once: parents are listed before children.
  std::set<std::pair<std::uint32_t, std::string>> listed;
  std::vector<FileKey> replaced_directories;
  for (const PlanEntry& entry : plan.entries) {
    if (entry.action == PlanAction::remove || entry.reconcile_name) {
      listed.insert({entry.key.directory, parent_of(entry.key.path)});
    }
    if (entry.action == PlanAction::directory && entry.replace) {
      listed.insert({entry.key.directory, entry.key.path});
      replaced_directories.push_back(entry.key);
    }
    if (entry.action != PlanAction::file) continue;

    bool below_replaced = false;
    for (const FileKey& directory : replaced_directories) below_replaced = below_replaced || is_under(entry.key, directory);
    ResyncFileRanges file{.directory = entry.key.directory, .path = entry.key.path};
    if (entry.replace || entry.cut_bytes == 0 || below_replaced) {
      file.stale_from = 0;
    } else {
      // Past the cut the sender holds only marked bytes or zeros: the zeros travel too,
      // since the receiver's copy still has its old bytes there, up to the end the
      // file has when it is sent. Ranges stay disjoint.
      for (const SendRange& range : entry.ranges) {
        if (range.offset >= entry.cut_bytes) break;
        file.ranges.push_back({range.offset, std::min(range.size_bytes, entry.cut_bytes - range.offset)});
      }
      if (entry.cut_bytes != kNoCut) file.stale_from = entry.cut_bytes;
      // Even without a range the file goes: the engine sets the receiver's size to the
      // sender's.
    }
    input.files.push_back(std::move(file));
  }
  for (const auto& [directory, path] : listed) input.changed_directories.push_back({directory, path});
  return input;
}

io::Bytes seal_marks(const DirtyMap& marks) {
  RecordWriter body;
  marks.serialize(body);
  io::Bytes sealed = body.seal(kMarksMagic);
  if (sealed.size() <= kMaxHelloMarksBytes) return sealed;
  DirtyMap everything(marks.block_bytes());
  everything.mark_everything();
  RecordWriter small;
  everything.serialize(small);
  return small.seal(kMarksMagic);
}

std::optional<DirtyMap> open_marks(io::ByteView sealed, std::string& why) {
  const auto body = open_record(sealed, kMarksMagic, why);
  if (!body) return std::nullopt;
  RecordReader in(*body);
  auto marks = DirtyMap::parse(in, why);
  if (marks && !in.at_end()) {
    why = "bytes after the marks";
    return std::nullopt;
  }
  return marks;
}

}  // namespace hamirror::core
