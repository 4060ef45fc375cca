#include "core/replication/file_op.h"

#include "io/filesystem.h"

namespace hamirror::core {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::create: return "create";
    case OpKind::write: return "write";
    case OpKind::truncate: return "truncate";
    case OpKind::mkdir: return "mkdir";
    case OpKind::rename: return "rename";
    case OpKind::unlink: return "unlink";
    case OpKind::rmdir: return "rmdir";
    case OpKind::set_mtime: return "set_mtime";
    case OpKind::fsync: return "fsync";
    case OpKind::set_mode: return "set_mode";
  }
  return "unknown";
}

bool carries_mode(OpKind kind) { return kind == OpKind::set_mode || kind == OpKind::create || kind == OpKind::mkdir; }

bool is_disk_failure(io::Error result) { return result == io::Error::io_error || result == io::Error::no_space; }

bool fails_alike_on_a_mirror(io::Error result) {
  switch (result) {
    case io::Error::not_found:
    case io::Error::already_exists:
    case io::Error::not_empty:
    case io::Error::is_directory:
    case io::Error::not_directory: return true;
    default: return false;
  }
}

bool is_valid_relative_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxRelativePathBytes) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    // Backslashes and colons would be separators or drive letters on Windows.
    if (part.find_first_of(std::string_view("\\:\0", 3)) != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

io::Error validate(const FileOp& op, std::size_t directory_count) {
  if (op.directory >= directory_count) return io::Error::invalid_argument;
  if (!is_valid_relative_path(op.path)) return io::Error::invalid_argument;
  if (op.kind == OpKind::rename && !is_valid_relative_path(op.target)) return io::Error::invalid_argument;
  if (op.kind != OpKind::rename && !op.target.empty()) return io::Error::invalid_argument;
  if (op.kind == OpKind::write && op.data.size() > kMaxWriteOpBytes) return io::Error::invalid_argument;
  if (op.kind != OpKind::write && !op.data.empty()) return io::Error::invalid_argument;
  if ((op.mode & ~kModeBits) != 0 || (!carries_mode(op.kind) && op.mode != 0)) return io::Error::invalid_argument;
  return io::Error::ok;
}

std::string native_path(const std::string& root, std::string_view relative) {
  const bool windows = root.find('\\') != std::string::npos && root.find('/') == std::string::npos;
  std::string converted(relative);
  if (windows) {
    for (char& c : converted) c = c == '/' ? '\\' : c;
  }
  return io::join_path(root, converted);
}

namespace {

// Four octal digits, as chmod takes them: "0750".
std::string mode_text(std::uint32_t mode) {
  std::string octal;
  for (int shift = 9; shift >= 0; shift -= 3) octal += static_cast<char>('0' + ((mode >> shift) & 7));
  return octal;
}

}  // namespace

std::string describe(const FileOp& op) {
  std::string text = std::string(op_kind_name(op.kind)) + " " + std::to_string(op.directory) + ":" + op.path;
  switch (op.kind) {
    case OpKind::write: text += " @" + std::to_string(op.offset) + " +" + std::to_string(op.data.size()); break;
    case OpKind::truncate: text += " to " + std::to_string(op.size_bytes); break;
    case OpKind::rename: text += " -> " + op.target; break;
    case OpKind::create: text += op.exclusive ? " (exclusive)" : ""; break;
    case OpKind::set_mode: text += " to " + mode_text(op.mode); break;
    default: break;
  }
  // Only when given: the trace of an op without one reads as before.
  if ((op.kind == OpKind::create || op.kind == OpKind::mkdir) && op.mode != 0) text += " mode " + mode_text(op.mode);
  return text;
}

}  // namespace hamirror::core
