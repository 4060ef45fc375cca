// BackingDir on Windows: this node's copy read with Win32 (no POSIX layer), attributes
// in WinFsp's struct fuse_stat. Built only with the WinFsp SDK.
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>

#include "fuse_hl/backing_dir.h"
#include "platform/win/text.h"

namespace hamirror::fuse_hl {
namespace {

using platform::win::to_utf8;
using platform::win::to_wide;

// 100 ns ticks between 1601-01-01 (FILETIME) and 1970-01-01.
constexpr std::uint64_t kUnixEpochTicks = 116'444'736'000'000'000ULL;

int errno_from_win32(DWORD error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME: return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION: return EACCES;
    case ERROR_DIRECTORY: return ENOTDIR;
    case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
    default: return EIO;
  }
}

fuse_timespec to_timespec(const FILETIME& time) {
  const std::uint64_t ticks = (static_cast<std::uint64_t>(time.dwHighDateTime) << 32) | time.dwLowDateTime;
  const std::uint64_t since_epoch = ticks > kUnixEpochTicks ? ticks - kUnixEpochTicks : 0;
  fuse_timespec result{};
  result.tv_sec = static_cast<decltype(result.tv_sec)>(since_epoch / 10'000'000);
  result.tv_nsec = static_cast<decltype(result.tv_nsec)>((since_epoch % 10'000'000) * 100);
  return result;
}

void fill(api::Stat& attributes, DWORD file_attributes, DWORD size_high, DWORD size_low, const FILETIME& written,
          const FILETIME& accessed, const FILETIME& created) {
  attributes = api::Stat{};
  const bool directory = (file_attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  attributes.st_mode = directory ? (S_IFDIR | 0777) : (S_IFREG | 0666);
  attributes.st_nlink = 1;
  attributes.st_size = static_cast<fuse_off_t>((static_cast<std::uint64_t>(size_high) << 32) | size_low);
  attributes.st_mtim = to_timespec(written);
  attributes.st_atim = to_timespec(accessed);
  attributes.st_ctim = to_timespec(written);
  attributes.st_birthtim = to_timespec(created);
}

HANDLE as_handle(std::uint64_t handle) { return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(handle)); }

}  // namespace

std::string BackingDir::full_path(const std::string& relative) const {
  std::string path = root_;
  if (!relative.empty()) path += "\\" + relative;
  for (char& c : path) {
    if (c == '/') c = '\\';
  }
  return path;
}

int BackingDir::stat(const std::string& relative, api::Stat& attributes) const {
  const auto path = to_wide(full_path(relative));
  if (!path) return EINVAL;
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!::GetFileAttributesExW(path->c_str(), GetFileExInfoStandard, &data)) return errno_from_win32(::GetLastError());
  fill(attributes, data.dwFileAttributes, data.nFileSizeHigh, data.nFileSizeLow, data.ftLastWriteTime,
       data.ftLastAccessTime, data.ftCreationTime);
  return 0;
}

int BackingDir::open_read(const std::string& relative, std::uint64_t& handle) const {
  const auto path = to_wide(full_path(relative));
  if (!path) return EINVAL;
  // Shared for everything: the application's own sharing modes were already checked by
  // WinFsp, and replicated ops must be able to write, rename and delete the file.
  HANDLE file = ::CreateFileW(path->c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (file == INVALID_HANDLE_VALUE) return errno_from_win32(::GetLastError());
  handle = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(file));
  return 0;
}

int BackingDir::stat_open(std::uint64_t handle, api::Stat& attributes) const {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(as_handle(handle), &info)) return errno_from_win32(::GetLastError());
  fill(attributes, info.dwFileAttributes, info.nFileSizeHigh, info.nFileSizeLow, info.ftLastWriteTime, info.ftLastAccessTime,
       info.ftCreationTime);
  return 0;
}

int BackingDir::read(std::uint64_t handle, char* buffer, std::size_t size, std::uint64_t offset, std::size_t& got) const {
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  DWORD read_bytes = 0;
  if (!::ReadFile(as_handle(handle), buffer, static_cast<DWORD>(size), &read_bytes, &at)) {
    const DWORD error = ::GetLastError();
    if (error != ERROR_HANDLE_EOF) return errno_from_win32(error);
  }
  got = read_bytes;
  return 0;
}

void BackingDir::close(std::uint64_t handle) const { ::CloseHandle(as_handle(handle)); }

int BackingDir::list(const std::string& relative, std::vector<std::string>& names) const {
  const auto pattern = to_wide(full_path(relative) + "\\*");
  if (!pattern) return EINVAL;
  WIN32_FIND_DATAW found{};
  HANDLE search = ::FindFirstFileW(pattern->c_str(), &found);
  if (search == INVALID_HANDLE_VALUE) return errno_from_win32(::GetLastError());
  do {
    const std::string name = to_utf8(found.cFileName);
    if (name != "." && name != "..") names.push_back(name);
  } while (::FindNextFileW(search, &found));
  ::FindClose(search);
  return 0;
}

int BackingDir::statfs(api::StatVfs& stats) const {
  const auto root = to_wide(root_);
  if (!root) return EINVAL;
  ULARGE_INTEGER available{};
  ULARGE_INTEGER total{};
  ULARGE_INTEGER free{};
  if (!::GetDiskFreeSpaceExW(root->c_str(), &available, &total, &free)) return errno_from_win32(::GetLastError());
  constexpr std::uint64_t kBlockBytes = 4096;
  stats = api::StatVfs{};
  stats.f_bsize = kBlockBytes;
  stats.f_frsize = kBlockBytes;
  stats.f_blocks = total.QuadPart / kBlockBytes;
  stats.f_bfree = free.QuadPart / kBlockBytes;
  stats.f_bavail = available.QuadPart / kBlockBytes;
  stats.f_namemax = 255;
  return 0;
}

// NTFS finds the entry whatever the case; FindFirstFileW reports its stored name.
std::string BackingDir::stored_name(const std::string& dir, const std::string& name) const {
  const auto path = to_wide(full_path(dir.empty() ? name : dir + "/" + name));
  if (!path || name.find_first_of("*?") != std::string::npos) return name;
  WIN32_FIND_DATAW found{};
  HANDLE search = ::FindFirstFileW(path->c_str(), &found);
  if (search == INVALID_HANDLE_VALUE) return name;
  ::FindClose(search);
  return to_utf8(found.cFileName);
}

}  // namespace hamirror::fuse_hl
