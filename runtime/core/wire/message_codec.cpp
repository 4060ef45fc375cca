#include "core/wire/message_codec.h"

#include <algorithm>

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

struct BodyReader::Value {
  // The kinds msgpack-c told apart (its object types), as mask bits for take().
  enum Kind : unsigned {
    nil = 1u << 0,
    boolean = 1u << 1,
    positive = 1u << 2,  // any integer >= 0, whatever its encoding
    negative = 1u << 3,
    floating = 1u << 4,
    str = 1u << 5,
    bin = 1u << 6,
    array = 1u << 7,
    map = 1u << 8,
  };
  Kind kind = nil;
  std::uint64_t u64 = 0;               // positive
  std::int64_t i64 = 0;                // negative
  bool flag = false;                   // boolean
  const std::uint8_t* bytes = nullptr;  // str, bin: inside the body
  std::uint64_t size = 0;              // str, bin: bytes; array, map: entries
};

namespace {

const char* kind_name(unsigned kind) {
  using Value = BodyReader::Value;
  switch (kind) {
    case Value::nil: return "nil";
    case Value::boolean: return "a bool";
    case Value::positive: return "an unsigned integer";
    case Value::negative: return "a negative integer";
    case Value::floating: return "a float";
    case Value::str: return "a str";
    case Value::bin: return "a bin";
    case Value::array: return "an array";
    case Value::map: return "a map";
  }
  return "an unknown msgpack type";
}

// A signed integer of `size` big-endian bytes, typed as msgpack-c types it.
void set_signed(BodyReader::Value& value, const std::uint8_t* in, std::size_t size) {
  const unsigned shift = 64 - 8 * static_cast<unsigned>(size);
  const auto signed_value = static_cast<std::int64_t>(read_be(in, size) << shift) >> shift;
  if (signed_value >= 0) {
    value.kind = BodyReader::Value::positive;
    value.u64 = static_cast<std::uint64_t>(signed_value);
  } else {
    value.kind = BodyReader::Value::negative;
    value.i64 = signed_value;
  }
}

// Decodes the value whose lead byte is at body[pos] and moves pos past its own bytes
// (an array's or a map's entries follow it). The body passed check_body_shape, so
// every length fits and no ext or 0xc1 is left.
BodyReader::Value decode_at(io::ByteView body, std::size_t& pos) {
  using Value = BodyReader::Value;
  const std::uint8_t* data = body.data();
  const std::uint8_t b = data[pos++];
  Value value;
  const auto sized = [&](Value::Kind kind, std::size_t length_bytes) {
    value.kind = kind;
    value.size = read_be(data + pos, length_bytes);
    pos += length_bytes;
  };
  const auto payload = [&](Value::Kind kind, std::size_t length_bytes) {
    sized(kind, length_bytes);
    value.bytes = data + pos;
    pos += value.size;
  };
  if (b <= 0x7f) {
    value.kind = Value::positive;
    value.u64 = b;
  } else if (b >= 0xe0) {
    value.kind = Value::negative;
    value.i64 = static_cast<std::int8_t>(b);
  } else if (b <= 0x8f) {
    value.kind = Value::map;
    value.size = b & 0x0fu;
  } else if (b <= 0x9f) {
    value.kind = Value::array;
    value.size = b & 0x0fu;
  } else if (b <= 0xbf) {
    value.kind = Value::str;
    value.size = b & 0x1fu;
    value.bytes = data + pos;
    pos += value.size;
  } else {
    switch (b) {
      case 0xc0: value.kind = Value::nil; break;
      case 0xc2: case 0xc3: value.kind = Value::boolean; value.flag = b == 0xc3; break;
      case 0xc4: payload(Value::bin, 1); break;
      case 0xc5: payload(Value::bin, 2); break;
      case 0xc6: payload(Value::bin, 4); break;
      case 0xca: value.kind = Value::floating; pos += 4; break;
      case 0xcb: value.kind = Value::floating; pos += 8; break;
      case 0xcc: case 0xcd: case 0xce: case 0xcf: {
        const std::size_t size = std::size_t{1} << (b - 0xcc);
        value.kind = Value::positive;
        value.u64 = read_be(data + pos, size);
        pos += size;
        break;
      }
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        const std::size_t size = std::size_t{1} << (b - 0xd0);
        set_signed(value, data + pos, size);
        pos += size;
        break;
      }
      case 0xd9: payload(Value::str, 1); break;
      case 0xda: payload(Value::str, 2); break;
      case 0xdb: payload(Value::str, 4); break;
      case 0xdc: sized(Value::array, 2); break;
      case 0xdd: sized(Value::array, 4); break;
      case 0xde: sized(Value::map, 2); break;
      case 0xdf: sized(Value::map, 4); break;
      default: HM_ASSERT(false && "check_body_shape refuses ext values and 0xc1");
    }
  }
  HM_ASSERT(pos <= body.size());
  return value;
}

}  // namespace

BodyReader::BodyReader(io::ByteView body) : BodyReader(body, nullptr) {}

BodyReader::BodyReader(io::ByteView body, std::shared_ptr<const io::Bytes> owner) : body_(body), owner_(std::move(owner)) {
  HM_ASSERT(owner_ == nullptr || (body.data() >= owner_->data() && body.data() + body.size() <= owner_->data() + owner_->size()));
  std::string shape = check_body_shape(body);
  if (!shape.empty()) {
    fail(std::move(shape));
    return;
  }
  remaining_[0] = 1;
}

BodyReader::~BodyReader() = default;

void BodyReader::fail(std::string reason) {
  if (failed()) return;  // the first reason is the one that explains
  error_ = reason.empty() ? "refused" : std::move(reason);
}

void BodyReader::add_context(std::string_view where) {
  HM_ASSERT(failed());
  error_ = std::string(where) + ": " + error_;
}

bool BodyReader::take(Value& value, unsigned kinds, const char* expected) {
  if (failed()) return false;
  if (remaining_[depth_] == 0) {
    fail(std::string("expected ") + expected + ", found the end of the array");
    return false;
  }
  --remaining_[depth_];
  value = decode_at(body_, pos_);
  if ((value.kind & kinds) == 0) {
    fail(std::string("expected ") + expected + ", got " + kind_name(value.kind));
    return false;
  }
  return true;
}

bool BodyReader::enter_array(std::size_t& count) {
  Value value;
  if (!take(value, Value::array, "an array")) return false;
  if (depth_ + 1 >= remaining_.size()) {
    fail("nested deeper than " + std::to_string(kMaxBodyDepth) + " levels");
    return false;
  }
  remaining_[++depth_] = value.size;
  count = static_cast<std::size_t>(value.size);
  return true;
}

bool BodyReader::leave_array() {
  if (failed()) return false;
  HM_ASSERT(depth_ > 0);
  if (remaining_[depth_] != 0) {
    fail(std::to_string(remaining_[depth_]) + " unexpected extra values");
    return false;
  }
  --depth_;
  return true;
}

bool BodyReader::read_bool(bool& value) {
  Value item;
  if (!take(item, Value::boolean, "a bool")) return false;
  value = item.flag;
  return true;
}

bool BodyReader::read_unsigned(std::uint64_t& value, std::uint64_t max) {
  Value item;
  if (!take(item, Value::positive, "an unsigned integer")) return false;
  if (item.u64 > max) {
    fail(std::to_string(item.u64) + " is above the maximum of " + std::to_string(max));
    return false;
  }
  value = item.u64;
  return true;
}

bool BodyReader::read_signed(std::int64_t& value, std::int64_t min, std::int64_t max) {
  Value item;
  if (!take(item, Value::positive | Value::negative, "an integer")) return false;
  const bool negative = item.kind == Value::negative;
  const bool in_range = negative ? item.i64 >= min : max >= 0 && item.u64 <= static_cast<std::uint64_t>(max);
  if (!in_range) {
    fail((negative ? std::to_string(item.i64) : std::to_string(item.u64)) + " is outside [" + std::to_string(min) +
         ", " + std::to_string(max) + "]");
    return false;
  }
  value = negative ? item.i64 : static_cast<std::int64_t>(item.u64);
  return true;
}

bool BodyReader::read_string(std::string& value) {
  Value item;
  if (!take(item, Value::str, "a str")) return false;
  value.assign(reinterpret_cast<const char*>(item.bytes), item.size);
  return true;
}

bool BodyReader::read_bytes(io::Bytes& value) {
  Value item;
  if (!take(item, Value::bin, "a bin")) return false;
  value.assign(item.bytes, item.bytes + item.size);
  return true;
}

bool BodyReader::read_bytes(io::SharedBytes& value) {
  Value item;
  if (!take(item, Value::bin, "a bin")) return false;
  // The bin lies in the body: share it when someone owns the body.
  const io::ByteView bytes(item.bytes, item.size);
  value = owner_ != nullptr ? io::SharedBytes(owner_, bytes) : io::SharedBytes::copy_of(bytes);
  return true;
}

bool BodyReader::read_bytes(std::uint8_t* out, std::size_t size) {
  Value item;
  if (!take(item, Value::bin, "a bin")) return false;
  if (item.size != size) {
    fail("expected a bin of " + std::to_string(size) + " bytes, got " + std::to_string(item.size));
    return false;
  }
  std::copy_n(item.bytes, size, out);
  return true;
}

bool BodyReader::finish() {
  if (failed()) return false;
  HM_ASSERT(depth_ == 0);
  if (remaining_[0] != 0) {
    fail("the body was not read");
    return false;
  }
  return true;
}

}  // namespace hamirror::core::wire
