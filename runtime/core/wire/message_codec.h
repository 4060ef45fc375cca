// Message bodies: msgpack arrays whose shape is declared by the message type itself.
//
// A message is a plain struct that names its type and lists its fields; encoding and
// decoding follow the list, in order, as one msgpack array (field names are not sent):
//
//   struct Ping {
//     std::uint64_t nonce = 0;
//     HM_WIRE_MESSAGE(MessageType::ping, "ping")
//     HM_WIRE_FIELDS(nonce)
//   };
//
// Field types: bool, integers and enums (range-checked on decode), std::string (msgpack
// str), io::Bytes, io::SharedBytes and std::array<std::uint8_t, N> (bin), std::vector<T>
// of any field type (array), and nested structs that declare HM_WIRE_FIELDS. An
// io::SharedBytes decoded from a body whose buffer has an owner (decode_body's `owner`,
// Frame::owner) is a view into that buffer, not a copy. Optional members:
//   static constexpr std::size_t kMaxBodyBytes = ...;   // a smaller bound for the body
//   std::string check() const;                          // why a decoded value is
//                                                       // unacceptable, "" when fine
// Decoding is strict: exactly the declared fields, each of exactly its type, nothing
// after the array. A field added later means a new protocol version.
//
// The tail: one io::SharedBytes field (a write's data) may be declared apart, after
// the others, with HM_WIRE_TAIL(field); it may be a member of a nested struct
// (HM_WIRE_TAIL(op.data)), which then leaves it out of its own field list. It travels
// as the frame's raw tail (frame.h, kFlagTail): encode_outgoing() gives it to the
// stream shared, not copied, and decode_message() sets it from Frame::tail. A frame
// of the type must carry a tail exactly when the message declares one.
//
// Hostile bodies: before a body is read, check_body_shape() walks it once without
// allocating and refuses anything whose declared sizes do not fit in the bytes that
// are there (a str32 claiming 4 GiB, an array claiming a million elements in three
// bytes), nesting deeper than kMaxBodyDepth, ext types, the reserved byte 0xc1 and
// trailing bytes. BodyReader then reads the checked bytes in place, value by value,
// without building a tree (msgpack-c's unpack allocated a zone and an object per value
// for every frame), with msgpack-c's typing: a signed encoding of a value >= 0 reads
// as unsigned. Decoding never throws: every failure is a Decoded error with a reason
// naming the message and field.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/wire/frame.h"
#include "io/assert.h"
#include "io/bytes.h"
#include "io/shared_bytes.h"

namespace hamirror::core::wire {

// Containers nested inside a body, the body's own array included.
constexpr std::size_t kMaxBodyDepth = 16;

// Declares a message's type number and its name (for logs and error reasons).
#define HM_WIRE_MESSAGE(type_value, name_text)                       \
  static constexpr ::hamirror::core::wire::MessageType kType = type_value; \
  static constexpr std::string_view kName = name_text;

// Declares the fields that go on the wire, in wire order.
#define HM_WIRE_FIELDS(...)                                        \
  static constexpr std::string_view kFieldNames = #__VA_ARGS__;   \
  auto wire_fields() { return std::tie(__VA_ARGS__); }             \
  auto wire_fields() const { return std::tie(__VA_ARGS__); }

// Declares the field that travels as the frame's tail (an io::SharedBytes).
#define HM_WIRE_TAIL(field)                                     \
  ::hamirror::io::SharedBytes& wire_tail() { return field; }       \
  const ::hamirror::io::SharedBytes& wire_tail() const { return field; }

template <typename T>
concept WireStruct = requires(T& value, const T& constant) {
  { T::kFieldNames } -> std::convertible_to<std::string_view>;
  value.wire_fields();
  constant.wire_fields();
};

template <typename T>
concept WireMessage = WireStruct<T> && requires {
  { T::kType } -> std::convertible_to<MessageType>;
  { T::kName } -> std::convertible_to<std::string_view>;
};

// The outcome of a decode: a value, or the reason it was refused.
template <typename T>
class Decoded {
 public:
  static Decoded success(T value) {
    Decoded out;
    out.value_.emplace(std::move(value));
    return out;
  }
  static Decoded failure(std::string reason) {
    Decoded out;
    out.error_ = reason.empty() ? "refused" : std::move(reason);
    return out;
  }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

template <typename T>
concept HasWireTail = requires(T& value) {
  { value.wire_tail() } -> std::same_as<io::SharedBytes&>;
};

// Checks that `body` is one complete msgpack value whose every declared size fits in
// the bytes present, nested at most kMaxBodyDepth deep, without ext types or trailing
// bytes. Allocates nothing; returns "" when the body is fine, else the reason.
std::string check_body_shape(io::ByteView body);

// Builds a body; the field templates below drive it.
class BodyWriter {
 public:
  BodyWriter() = default;
  // Starts the buffer with `prefix_bytes` zero bytes (room for a frame header) and
  // reserves room for `body_bytes` after them: with the body's exact size known, a large
  // bin is copied in once and never moved again by the buffer's growth.
  BodyWriter(std::size_t prefix_bytes, std::size_t body_bytes);
  // A writer that only counts the bytes it would write (the first of two passes).
  static BodyWriter sizing();

  void begin_array(std::size_t count);
  void write_bool(bool value);
  void write_unsigned(std::uint64_t value);
  void write_signed(std::int64_t value);
  void write_string(std::string_view value);
  void write_bytes(io::ByteView value);
  io::Bytes take() {
    HM_ASSERT(!count_only_);
    return std::move(bytes_);
  }
  // Body bytes written (or counted) so far, the prefix excluded.
  std::size_t body_size() const { return body_bytes_; }

 private:
  void append(const std::uint8_t* data, std::size_t size);
  friend struct BodySink;

  io::Bytes bytes_;
  std::size_t body_bytes_ = 0;
  bool count_only_ = false;
};

// Walks a checked body value by value, in place. Every read takes the next value of
// the array being read; the first mismatch records a reason and makes every later call
// return false.
class BodyReader {
 public:
  explicit BodyReader(io::ByteView body);  // the body must outlive the reader
  // As above; `owner`, when not null, holds `body`, and a bin read into an
  // io::SharedBytes then shares it instead of being copied out.
  BodyReader(io::ByteView body, std::shared_ptr<const io::Bytes> owner);
  ~BodyReader();
  BodyReader(const BodyReader&) = delete;
  BodyReader& operator=(const BodyReader&) = delete;

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string reason);
  // Prefixes the reason with where it happened ("node_name: expected a str, ...").
  void add_context(std::string_view where);

  bool enter_array(std::size_t& count);
  bool leave_array();  // every value of the current array must have been read
  bool read_bool(bool& value);
  bool read_unsigned(std::uint64_t& value, std::uint64_t max);
  bool read_signed(std::int64_t& value, std::int64_t min, std::int64_t max);
  bool read_string(std::string& value);
  bool read_bytes(io::Bytes& value);
  bool read_bytes(io::SharedBytes& value);
  bool read_bytes(std::uint8_t* out, std::size_t size);  // a bin of exactly `size`
  bool finish();  // the whole body has been read

  struct Value;  // one decoded msgpack value, defined where it is decoded

 private:
  // Decodes the next value of the array being read into `value` if its kind is in
  // `kinds` (a mask of Value's kinds); else fails with "expected <expected>, ...".
  bool take(Value& value, unsigned kinds, const char* expected);

  io::ByteView body_;
  std::size_t pos_ = 0;  // the next value's lead byte
  // Values still to read in each array entered (0: the body itself, one value).
  std::array<std::uint64_t, kMaxBodyDepth + 1> remaining_{};
  std::size_t depth_ = 0;
  std::shared_ptr<const io::Bytes> owner_;
  std::string error_;
};

namespace detail {

template <typename T>
struct is_vector : std::false_type {};
template <typename T, typename A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <typename T>
struct is_byte_array : std::false_type {};
template <std::size_t N>
struct is_byte_array<std::array<std::uint8_t, N>> : std::true_type {};

template <typename T>
inline constexpr bool always_false = false;

// The index-th name of a stringized field list ("a, b, c").
constexpr std::string_view field_name(std::string_view names, std::size_t index) {
  for (; index > 0; --index) {
    const auto comma = names.find(',');
    if (comma == std::string_view::npos) return "?";
    names.remove_prefix(comma + 1);
  }
  names = names.substr(0, names.find(','));
  while (!names.empty() && names.front() == ' ') names.remove_prefix(1);
  while (!names.empty() && names.back() == ' ') names.remove_suffix(1);
  return names;
}

}  // namespace detail

template <typename T>
void write_value(BodyWriter& writer, const T& value);
template <typename T>
bool read_value(BodyReader& reader, T& value);

template <WireStruct T>
void write_struct(BodyWriter& writer, const T& value) {
  const auto fields = value.wire_fields();
  writer.begin_array(std::tuple_size_v<decltype(fields)>);
  std::apply([&writer](const auto&... field) { (write_value(writer, field), ...); }, fields);
}

template <WireStruct T>
bool read_struct(BodyReader& reader, T& value) {
  auto fields = value.wire_fields();
  constexpr std::size_t kCount = std::tuple_size_v<decltype(fields)>;
  std::size_t count = 0;
  if (!reader.enter_array(count)) return false;
  if (count != kCount) {
    reader.fail("expected " + std::to_string(kCount) + " fields, got " + std::to_string(count));
    return false;
  }
  auto read_one = [&reader](auto& field, std::size_t index) {
    if (read_value(reader, field)) return true;
    reader.add_context(detail::field_name(T::kFieldNames, index));
    return false;
  };
  std::size_t index = 0;
  const bool ok = std::apply([&](auto&... field) { return (read_one(field, index++) && ...); }, fields);
  return ok && reader.leave_array();
}

template <typename T>
void write_value(BodyWriter& writer, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    writer.write_bool(value);
  } else if constexpr (std::is_enum_v<T>) {
    write_value(writer, static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    writer.write_unsigned(value);
  } else if constexpr (std::is_integral_v<T>) {
    writer.write_signed(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    writer.write_string(value);
  } else if constexpr (std::is_same_v<T, io::Bytes> || std::is_same_v<T, io::SharedBytes> ||
                       detail::is_byte_array<T>::value) {
    writer.write_bytes(io::ByteView(value.data(), value.size()));
  } else if constexpr (detail::is_vector<T>::value) {
    writer.begin_array(value.size());
    for (const auto& item : value) write_value(writer, item);
  } else if constexpr (WireStruct<T>) {
    write_struct(writer, value);
  } else {
    static_assert(detail::always_false<T>, "no wire encoding for this field type");
  }
}

template <typename T>
bool read_value(BodyReader& reader, T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return reader.read_bool(value);
  } else if constexpr (std::is_enum_v<T>) {
    std::underlying_type_t<T> raw{};
    if (!read_value(reader, raw)) return false;
    value = static_cast<T>(raw);  // whether the value is known is the message's check()
    return true;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    std::uint64_t raw = 0;
    if (!reader.read_unsigned(raw, std::numeric_limits<T>::max())) return false;
    value = static_cast<T>(raw);
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    std::int64_t raw = 0;
    if (!reader.read_signed(raw, std::numeric_limits<T>::min(), std::numeric_limits<T>::max())) return false;
    value = static_cast<T>(raw);
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return reader.read_string(value);
  } else if constexpr (std::is_same_v<T, io::Bytes> || std::is_same_v<T, io::SharedBytes>) {
    return reader.read_bytes(value);
  } else if constexpr (detail::is_byte_array<T>::value) {
    return reader.read_bytes(value.data(), value.size());
  } else if constexpr (detail::is_vector<T>::value) {
    std::size_t count = 0;
    if (!reader.enter_array(count)) return false;
    value.clear();  // no reserve: only values actually decoded take memory
    for (std::size_t i = 0; i < count; ++i) {
      typename T::value_type item{};
      if (!read_value(reader, item)) {
        reader.add_context("[" + std::to_string(i) + "]");
        return false;
      }
      value.push_back(std::move(item));
    }
    return reader.leave_array();
  } else if constexpr (WireStruct<T>) {
    return read_struct(reader, value);
  } else {
    static_assert(detail::always_false<T>, "no wire decoding for this field type");
  }
}

// The largest body a message accepts: its own kMaxBodyBytes, else kMaxFrameBytes.
template <WireMessage M>
constexpr std::size_t max_body_bytes() {
  if constexpr (requires { M::kMaxBodyBytes; }) {
    static_assert(M::kMaxBodyBytes <= kMaxFrameBytes);
    return M::kMaxBodyBytes;
  } else {
    return kMaxFrameBytes;
  }
}

// The body's bytes after `prefix_bytes` zero bytes, in a buffer allocated once at its
// final size (a sizing pass first: packing the small fields twice costs far less than
// the buffer's growth moving a large bin).
template <WireMessage M>
io::Bytes encode_body_after(std::size_t prefix_bytes, const M& message) {
  BodyWriter sizer = BodyWriter::sizing();
  write_struct(sizer, message);
  BodyWriter writer(prefix_bytes, sizer.body_size());
  write_struct(writer, message);
  HM_ASSERT(writer.body_size() == sizer.body_size());
  return writer.take();
}

template <WireMessage M>
io::Bytes encode_body(const M& message) {
  return encode_body_after(0, message);
}

// The body after kHeaderBytes zero bytes (a frame's header room), for a message
// without a tail; encode_outgoing() is the whole frame.
template <WireMessage M>
io::Bytes encode_framed_body(const M& message) {
  static_assert(!HasWireTail<M>, "a message with a tail is sent with encode_outgoing()");
  return encode_body_after(kHeaderBytes, message);
}

// A message ready for FramedConnection::send_frame.
struct OutgoingFrame {
  MessageType type = MessageType::invalid;
  std::uint32_t flags = 0;  // kFlagTail when the message declares a tail
  io::Bytes head;           // kHeaderBytes of blank header room, then [tail length] and the body
  io::SharedBytes tail;     // the message's tail, shared with it
};

// The frame that carries `message`, built once: the body straight after the header's
// room, the tail (if any) not copied at all.
template <WireMessage M>
OutgoingFrame encode_outgoing(const M& message) {
  if constexpr (HasWireTail<M>) {
    const io::SharedBytes& tail = message.wire_tail();
    const std::size_t length_bytes = tail_length_bytes(tail.size());
    OutgoingFrame out{M::kType, kFlagTail, encode_body_after(kHeaderBytes + length_bytes, message), tail};
    write_tail_length(tail.size(), std::span<std::uint8_t>(out.head.data() + kHeaderBytes, length_bytes));
    return out;
  } else {
    return OutgoingFrame{M::kType, 0, encode_framed_body(message), {}};
  }
}

// The whole frame of `message` numbered `sequence`, in one buffer (its tail copied in):
// what the stream carries, for tests and datagrams.
template <WireMessage M>
io::Bytes encode_whole_frame(const M& message, std::uint64_t sequence) {
  OutgoingFrame frame = encode_outgoing(message);
  fill_header(FrameHeader{.type = frame.type, .flags = frame.flags, .sequence = sequence}, frame.head, frame.tail.size());
  frame.head.insert(frame.head.end(), frame.tail.begin(), frame.tail.end());
  return std::move(frame.head);
}

// The frame the peer decodes for `message`, built without a stream (tests, local
// loops): the body goes to `storage`, which the frame views; the tail is shared.
template <WireMessage M>
Frame frame_of(const M& message, io::Bytes& storage) {
  storage = encode_body(message);
  Frame frame{.header = {.type = M::kType, .payload_bytes = static_cast<std::uint32_t>(storage.size())},
              .payload = storage};
  if constexpr (HasWireTail<M>) {
    frame.tail = message.wire_tail();
    frame.header.flags = kFlagTail;
    frame.header.payload_bytes += static_cast<std::uint32_t>(tail_length_bytes(frame.tail.size()) + frame.tail.size());
  }
  return frame;
}

// `tail` is the frame's (kFlagTail), for a message that declares one.
template <WireMessage M>
Decoded<M> decode_body(io::ByteView body, std::shared_ptr<const io::Bytes> owner = nullptr, io::SharedBytes tail = {}) {
  const std::string name(M::kName);
  if (body.size() > max_body_bytes<M>()) {
    return Decoded<M>::failure(name + ": body of " + std::to_string(body.size()) + " bytes exceeds its limit of " +
                               std::to_string(max_body_bytes<M>()));
  }
  BodyReader reader(body, std::move(owner));
  M message{};
  if (!read_struct(reader, message) || !reader.finish()) return Decoded<M>::failure(name + ": " + reader.error());
  if constexpr (HasWireTail<M>) {
    message.wire_tail() = std::move(tail);
  } else {
    HM_ASSERT(tail.empty());
  }
  if constexpr (requires(const M& m) { { m.check() } -> std::convertible_to<std::string>; }) {
    std::string problem = message.check();
    if (!problem.empty()) return Decoded<M>::failure(name + ": " + problem);
  }
  return Decoded<M>::success(std::move(message));
}

// Decodes a frame's payload as M, refusing a frame of another type.
template <WireMessage M>
Decoded<M> decode_message(const Frame& frame) {
  if (frame.header.type != M::kType) {
    return Decoded<M>::failure("expected a " + std::string(M::kName) + " frame, got type " +
                               std::to_string(static_cast<unsigned>(frame.header.type)));
  }
  const bool has_tail = (frame.header.flags & kFlagTail) != 0;
  if (has_tail != HasWireTail<M>) {
    return Decoded<M>::failure(std::string(M::kName) + (has_tail ? ": a tail it does not have" : ": its tail is missing"));
  }
  return decode_body<M>(frame.payload, frame.owner, frame.tail);
}

}  // namespace hamirror::core::wire
