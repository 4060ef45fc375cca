#include "core/reintegration/reintegration_messages.h"

namespace hamirror::core {

bool is_valid_resync_dir(std::string_view path) { return path.empty() || is_valid_relative_path(path); }

bool is_valid_entry_name(std::string_view name) {
  return is_valid_relative_path(name) && name.find('/') == std::string_view::npos;
}

namespace {
std::string check_kind(io::FileKind kind) {
  return kind == io::FileKind::regular || kind == io::FileKind::directory ? "" : "entry kind is neither file nor directory";
}
}  // namespace

std::string ResyncDirListing::check() const {
  if (!is_valid_resync_dir(path)) return "path is not a directory inside the replicated one";
  if (!after.empty() && !is_valid_entry_name(after)) return "after is not an entry name";
  if (entries.size() > kMaxListingEntriesPerPage) return "page longer than " + std::to_string(kMaxListingEntriesPerPage);
  const std::string* previous = after.empty() ? nullptr : &after;
  for (const ListingEntry& entry : entries) {
    if (!is_valid_entry_name(entry.name)) return "entry name is not a single path component";
    if (std::string problem = check_kind(entry.kind); !problem.empty()) return problem;
    if ((entry.mode & ~kModeBits) != 0) return "entry mode has bits outside the permission bits 07777";
    if (entry.kind != io::FileKind::directory && entry.mode != 0) return "mode on a file entry (it travels with the file's data)";
    // Sorted and strictly after the previous page: the target merges by name.
    if (previous != nullptr && !(*previous < entry.name)) return "entries not sorted by name";
    previous = &entry.name;
  }
  return {};
}

std::string ResyncBlockChecksums::check() const {
  if (!is_valid_relative_path(path)) return "path is not a relative path";
  if (checksums.size() > kMaxChecksumsPerMessage) return "more than " + std::to_string(kMaxChecksumsPerMessage) + " checksums";
  if (first_block > file_size / kResyncBlockBytes + 1) return "first block beyond the file";
  if ((mode & ~kModeBits) != 0) return "mode has bits outside the permission bits 07777";
  return {};
}

std::string ResyncBlockData::check() const {
  if (!is_valid_relative_path(path)) return "path is not a relative path";
  if (data.size() > kMaxResyncDataBytes) return "more than " + std::to_string(kMaxResyncDataBytes) + " bytes";
  if (extents.size() > kMaxExtentsPerBlockData) return "more than " + std::to_string(kMaxExtentsPerBlockData) + " extents";
  std::uint64_t total = 0;
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    const DataExtent& extent = extents[i];
    if (extent.length == 0) return "an empty extent";
    if (i > 0 && extent.offset < end) return "extents out of order or overlapping";
    if (extent.offset > file_size || extent.length > file_size - extent.offset) return "data beyond the file size it was read with";
    end = extent.offset + extent.length;
    total += extent.length;
  }
  if (total != data.size()) return "extents that do not add up to the data";
  if ((mode & ~kModeBits) != 0) return "mode has bits outside the permission bits 07777";
  return {};
}

}  // namespace hamirror::core
