#include "core/wire/message_codec.h"

#include <algorithm>
#include <exception>
#include <initializer_list>

#include <msgpack.hpp>

#include "io/assert.h"

namespace hamirror::core::wire {
namespace {

std::uint64_t read_be(const std::uint8_t* in, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = (value << 8) | in[i];
  return value;
}

// What one msgpack lead byte announces: `skip` bytes of its own (after the lead byte
// and its length field) and `children` values that follow it.
struct Lead {
  std::size_t length_bytes = 0;  // a big-endian length follows the lead byte
  std::uint64_t skip = 0;        // fixed payload bytes (ints, floats)
  bool length_is_payload = false;  // str/bin: the length counts bytes to skip
  bool length_is_count = false;    // array/map: the length counts elements
  std::uint64_t children = 0;      // fixarray/fixmap counts, doubled for maps
  bool container = false;          // an array or a map, even an empty one
  bool map = false;
  const char* refused = nullptr;  // why this lead byte is not allowed
};

Lead classify(std::uint8_t b) {
  Lead lead;
  if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) return lead;  // fixint, nil, bool
  if (b >= 0x80 && b <= 0x8f) {
    lead.children = 2u * (b & 0x0fu);
    lead.container = lead.map = true;
  } else if (b >= 0x90 && b <= 0x9f) {
    lead.children = b & 0x0fu;
    lead.container = true;
  } else if (b >= 0xa0 && b <= 0xbf) {
    lead.skip = b & 0x1fu;
  } else {
    switch (b) {
      case 0xc4: case 0xd9: lead.length_bytes = 1; lead.length_is_payload = true; break;  // bin8, str8
      case 0xc5: case 0xda: lead.length_bytes = 2; lead.length_is_payload = true; break;  // bin16, str16
      case 0xc6: case 0xdb: lead.length_bytes = 4; lead.length_is_payload = true; break;  // bin32, str32
      case 0xca: lead.skip = 4; break;                             // float32
      case 0xcb: lead.skip = 8; break;                             // float64
      case 0xcc: case 0xd0: lead.skip = 1; break;                  // (u)int8
      case 0xcd: case 0xd1: lead.skip = 2; break;                  // (u)int16
      case 0xce: case 0xd2: lead.skip = 4; break;                  // (u)int32
      case 0xcf: case 0xd3: lead.skip = 8; break;                  // (u)int64
      case 0xdc: lead.length_bytes = 2; lead.length_is_count = true; break;  // array16
      case 0xdd: lead.length_bytes = 4; lead.length_is_count = true; break;  // array32
      case 0xde: lead.length_bytes = 2; lead.length_is_count = true; lead.map = true; break;  // map16
      case 0xdf: lead.length_bytes = 4; lead.length_is_count = true; lead.map = true; break;  // map32
      case 0xc1: lead.refused = "the reserved byte 0xc1"; break;
      default: lead.refused = "an ext value"; break;  // 0xc7-0xc9, 0xd4-0xd8
    }
  }
  lead.container = lead.container || lead.length_is_count;
  return lead;
}

const char* type_name(const msgpack::object& value) {
  switch (value.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "a bool";
    case msgpack::type::POSITIVE_INTEGER: return "an unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER: return "a negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "a float";
    case msgpack::type::STR: return "a str";
    case msgpack::type::BIN: return "a bin";
    case msgpack::type::ARRAY: return "an array";
    case msgpack::type::MAP: return "a map";
    case msgpack::type::EXT: return "an ext";
  }
  return "an unknown msgpack type";
}

// Strings and bins point into the body instead of being copied into msgpack's zone.
bool reference_everything(msgpack::type::object_type, std::size_t, void*) { return true; }

}  // namespace

std::string check_body_shape(io::ByteView body) {
  const std::uint8_t* data = body.data();
  const std::uint64_t size = body.size();
  // remaining[d]: values still expected at nesting level d (0 is the body itself).
  std::array<std::uint64_t, kMaxBodyDepth + 1> remaining{};
  std::size_t depth = 0;
  remaining[0] = 1;
  std::uint64_t pending = 1;  // sum of remaining[]: each needs at least one more byte
  std::uint64_t pos = 0;
  while (pending > 0) {
    while (remaining[depth] == 0) --depth;  // pending > 0, so some level has values left
    if (pos >= size) return "truncated: " + std::to_string(pending) + " more values expected";
    const std::uint8_t b = data[pos++];
    --remaining[depth];
    --pending;
    const Lead lead = classify(b);
    if (lead.refused != nullptr) return std::string("refused ") + lead.refused + " at byte " + std::to_string(pos - 1);
    std::uint64_t length = 0;
    if (lead.length_bytes > 0) {
      if (size - pos < lead.length_bytes) return "truncated length at byte " + std::to_string(pos);
      length = read_be(data + pos, lead.length_bytes);
      pos += lead.length_bytes;
    }
    const std::uint64_t skip = lead.length_is_payload ? length : lead.skip;
    if (skip > size - pos) {
      return "a value at byte " + std::to_string(pos) + " claims " + std::to_string(skip) + " bytes but only " +
             std::to_string(size - pos) + " follow";
    }
    pos += skip;
    if (!lead.container) continue;
    // Counted even when empty, as msgpack-c's own depth limit does.
    if (depth + 1 > kMaxBodyDepth) return "nested deeper than " + std::to_string(kMaxBodyDepth) + " levels";
    const std::uint64_t children = lead.length_is_count ? (lead.map ? 2 * length : length) : lead.children;
    if (children == 0) continue;
    if (children > size - pos || pending + children > size - pos) {
      const std::string what = std::string(lead.map ? "a map" : "an array") + " at byte " + std::to_string(pos) +
                               " claims " + std::to_string(children) + " values";
      if (children > size - pos) return what + " but only " + std::to_string(size - pos) + " bytes follow";
      return what + ", which with the " + std::to_string(pending) + " still expected exceed the " +
             std::to_string(size - pos) + " bytes that follow";
    }
    remaining[++depth] = children;
    pending += children;
  }
  if (pos != size) return std::to_string(size - pos) + " trailing bytes after the body";
  return {};
}

// --- BodyWriter --------------------------------------------------------------

// msgpack-c's packer writes through any type with write(const char*, size_t).
struct BodySink {
  BodyWriter& writer;
  void write(const char* data, std::size_t size) { writer.append(reinterpret_cast<const std::uint8_t*>(data), size); }
};

BodyWriter::BodyWriter(std::size_t prefix_bytes, std::size_t body_bytes) {
  HM_ASSERT(prefix_bytes <= kHeaderBytes + kMaxTailLengthBytes);
  bytes_.reserve(prefix_bytes + body_bytes);
  bytes_.resize(prefix_bytes);
}

BodyWriter BodyWriter::sizing() {
  BodyWriter writer;
  writer.count_only_ = true;
  return writer;
}

void BodyWriter::append(const std::uint8_t* data, std::size_t size) {
  body_bytes_ += size;
  if (!count_only_) bytes_.insert(bytes_.end(), data, data + size);
}

void BodyWriter::begin_array(std::size_t count) {
  HM_ASSERT(count <= kMaxFrameBytes);
  BodySink sink{*this};
  msgpack::packer<BodySink>(sink).pack_array(static_cast<std::uint32_t>(count));
}

void BodyWriter::write_bool(bool value) {
  BodySink sink{*this};
  msgpack::packer<BodySink> packer(sink);
  if (value) {
    packer.pack_true();
  } else {
    packer.pack_false();
  }
}

void BodyWriter::write_unsigned(std::uint64_t value) {
  BodySink sink{*this};
  msgpack::packer<BodySink>(sink).pack(value);
}

void BodyWriter::write_signed(std::int64_t value) {
  BodySink sink{*this};
  msgpack::packer<BodySink>(sink).pack(value);
}

void BodyWriter::write_string(std::string_view value) {
  HM_ASSERT(value.size() <= kMaxFrameBytes);
  BodySink sink{*this};
  msgpack::packer<BodySink> packer(sink);
  packer.pack_str(static_cast<std::uint32_t>(value.size()));
  packer.pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
}

void BodyWriter::write_bytes(io::ByteView value) {
  HM_ASSERT(value.size() <= kMaxFrameBytes);
  BodySink sink{*this};
  msgpack::packer<BodySink> packer(sink);
  packer.pack_bin(static_cast<std::uint32_t>(value.size()));
  packer.pack_bin_body(reinterpret_cast<const char*>(value.data()), static_cast<std::uint32_t>(value.size()));
}

// --- BodyReader --------------------------------------------------------------

struct BodyReader::State {
  struct Level {
    const msgpack::object* items = nullptr;
    std::uint32_t size = 0;
    std::uint32_t next = 0;
  };
  msgpack::object_handle handle;
  std::array<Level, kMaxBodyDepth + 1> levels{};
  std::size_t depth = 0;

  // The next value of the array being read, if it is one of `types`; else nullptr and
  // the reason in `why`.
  const msgpack::object* take(std::initializer_list<msgpack::type::object_type> types, const char* expected,
                              std::string& why) {
    Level& level = levels[depth];
    if (level.next == level.size) {
      why = std::string("expected ") + expected + ", found the end of the array";
      return nullptr;
    }
    const msgpack::object& value = level.items[level.next++];
    if (std::find(types.begin(), types.end(), value.type) == types.end()) {
      why = std::string("expected ") + expected + ", got " + type_name(value);
      return nullptr;
    }
    return &value;
  }
};

BodyReader::BodyReader(io::ByteView body) : BodyReader(body, nullptr) {}

BodyReader::BodyReader(io::ByteView body, std::shared_ptr<const io::Bytes> owner) : owner_(std::move(owner)) {
  HM_ASSERT(owner_ == nullptr || (body.data() >= owner_->data() && body.data() + body.size() <= owner_->data() + owner_->size()));
  std::string shape = check_body_shape(body);
  if (!shape.empty()) {
    fail(std::move(shape));
    return;
  }
  // The shape check already bounds every size by the body; these limits say the same
  // to msgpack-c, so a gap between the two checks still cannot make it allocate much.
  const std::size_t bound = std::min(body.size(), kMaxFrameBytes);
  const msgpack::unpack_limit limits(/*array=*/bound, /*map=*/bound / 2, /*str=*/bound, /*bin=*/bound, /*ext=*/0,
                                     /*depth=*/kMaxBodyDepth);
  try {
    auto state = std::make_unique<State>();
    std::size_t offset = 0;
    state->handle = msgpack::unpack(reinterpret_cast<const char*>(body.data()), body.size(), offset,
                                    reference_everything, nullptr, limits);
    if (offset != body.size() || state->handle.zone() == nullptr) {
      fail("msgpack-c stopped at byte " + std::to_string(offset) + " of " + std::to_string(body.size()));
      return;
    }
    state->levels[0] = State::Level{&state->handle.get(), 1, 0};
    state_ = std::move(state);
  } catch (const std::exception& e) {
    fail(std::string("msgpack-c refused the body: ") + e.what());
  }
}

BodyReader::~BodyReader() = default;

void BodyReader::fail(std::string reason) {
  if (failed()) return;  // the first reason is the one that explains
  error_ = reason.empty() ? "refused" : std::move(reason);
  state_.reset();
}

void BodyReader::add_context(std::string_view where) {
  HM_ASSERT(failed());
  error_ = std::string(where) + ": " + error_;
}

bool BodyReader::enter_array(std::size_t& count) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* value = state_->take({msgpack::type::ARRAY}, "an array", why);
  if (value == nullptr) {
    fail(std::move(why));
    return false;
  }
  if (state_->depth + 1 >= state_->levels.size()) {
    fail("nested deeper than " + std::to_string(kMaxBodyDepth) + " levels");
    return false;
  }
  state_->levels[++state_->depth] = State::Level{value->via.array.ptr, value->via.array.size, 0};
  count = value->via.array.size;
  return true;
}

bool BodyReader::leave_array() {
  if (failed()) return false;
  HM_ASSERT(state_->depth > 0);
  const auto& level = state_->levels[state_->depth];
  if (level.next != level.size) {
    fail(std::to_string(level.size - level.next) + " unexpected extra values");
    return false;
  }
  --state_->depth;
  return true;
}

bool BodyReader::read_bool(bool& value) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item = state_->take({msgpack::type::BOOLEAN}, "a bool", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  value = item->via.boolean;
  return true;
}

bool BodyReader::read_unsigned(std::uint64_t& value, std::uint64_t max) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item = state_->take({msgpack::type::POSITIVE_INTEGER}, "an unsigned integer", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  if (item->via.u64 > max) {
    fail(std::to_string(item->via.u64) + " is above the maximum of " + std::to_string(max));
    return false;
  }
  value = item->via.u64;
  return true;
}

bool BodyReader::read_signed(std::int64_t& value, std::int64_t min, std::int64_t max) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item =
      state_->take({msgpack::type::POSITIVE_INTEGER, msgpack::type::NEGATIVE_INTEGER}, "an integer", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  // msgpack-c keeps non-negative values in u64, negative ones in i64.
  const bool negative = item->type == msgpack::type::NEGATIVE_INTEGER;
  const bool in_range = negative ? item->via.i64 >= min
                                 : max >= 0 && item->via.u64 <= static_cast<std::uint64_t>(max);
  if (!in_range) {
    fail((negative ? std::to_string(item->via.i64) : std::to_string(item->via.u64)) + " is outside [" +
         std::to_string(min) + ", " + std::to_string(max) + "]");
    return false;
  }
  value = negative ? item->via.i64 : static_cast<std::int64_t>(item->via.u64);
  return true;
}

bool BodyReader::read_string(std::string& value) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item = state_->take({msgpack::type::STR}, "a str", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  value.assign(item->via.str.ptr, item->via.str.size);
  return true;
}

bool BodyReader::read_bytes(io::Bytes& value) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item = state_->take({msgpack::type::BIN}, "a bin", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(item->via.bin.ptr);
  value.assign(bytes, bytes + item->via.bin.size);
  return true;
}

bool BodyReader::read_bytes(io::SharedBytes& value) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item = state_->take({msgpack::type::BIN}, "a bin", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  // reference_everything left the bin in the body: share it when someone owns the body.
  const io::ByteView bytes(reinterpret_cast<const std::uint8_t*>(item->via.bin.ptr), item->via.bin.size);
  value = owner_ != nullptr ? io::SharedBytes(owner_, bytes) : io::SharedBytes::copy_of(bytes);
  return true;
}

bool BodyReader::read_bytes(std::uint8_t* out, std::size_t size) {
  if (failed()) return false;
  std::string why;
  const msgpack::object* item = state_->take({msgpack::type::BIN}, "a bin", why);
  if (item == nullptr) {
    fail(std::move(why));
    return false;
  }
  if (item->via.bin.size != size) {
    fail("expected a bin of " + std::to_string(size) + " bytes, got " + std::to_string(item->via.bin.size));
    return false;
  }
  std::copy_n(reinterpret_cast<const std::uint8_t*>(item->via.bin.ptr), size, out);
  return true;
}

bool BodyReader::finish() {
  if (failed()) return false;
  HM_ASSERT(state_->depth == 0);
  if (state_->levels[0].next != 1) {
    fail("the body was not read");
    return false;
  }
  return true;
}

}  // namespace hamirror::core::wire
