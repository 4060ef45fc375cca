// The byte format shared by the activity area's two state files (the activity log and
// the dirty map): fixed-width little-endian integers written byte by byte, so Linux
// and Windows read each other's files, inside a sealed envelope:
//
//   magic (8 bytes) | body length (u64) | body | checksum (u64, FNV-1a over all before it)
//
// The envelope exists to tell a damaged file from a good one. AtomicFile already keeps
// torn writes out of sight, but a file may still be truncated or flipped by a disk or
// an operator; whoever finds a damaged record must fall back to "everything dirty".
// FNV-1a catches every single-byte change (each step is a bijection of the state) and
// the length catches truncation; it is not meant to resist an adversary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/bytes.h"

namespace hamirror::core {

constexpr std::size_t kRecordMagicBytes = 8;

class RecordWriter {
 public:
  // Room for a body of about `bytes`, so that it is not grown value by value.
  void reserve(std::size_t bytes) { bytes_.reserve(bytes); }
  void u8(std::uint8_t value) { bytes_.push_back(value); }
  void u32(std::uint32_t value);
  void u64(std::uint64_t value);
  // A u32 length, then the bytes.
  void text(std::string_view value);
  // The envelope around everything written so far.
  io::Bytes seal(std::string_view magic) const;

 private:
  io::Bytes bytes_;
};

// Reads a body; every getter fails (false) once the body is exhausted, so a parser can
// chain them and check once.
class RecordReader {
 public:
  explicit RecordReader(io::ByteView body) : body_(body) {}
  bool u8(std::uint8_t& value);
  bool u32(std::uint32_t& value);
  bool u64(std::uint64_t& value);
  // Refuses lengths above max_bytes before copying anything.
  bool text(std::string& value, std::size_t max_bytes);
  bool at_end() const { return offset_ == body_.size(); }
  std::size_t remaining() const { return body_.size() - offset_; }

 private:
  io::ByteView body_;
  std::size_t offset_ = 0;
};

// The body inside a sealed record, or nullopt with why (wrong magic, bad length,
// checksum mismatch).
std::optional<io::ByteView> open_record(io::ByteView record, std::string_view magic, std::string& why);

std::uint64_t fnv1a64(io::ByteView bytes);

}  // namespace hamirror::core
