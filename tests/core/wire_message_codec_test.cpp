#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/wire/message_codec.h"
#include "core/wire/messages.h"
#include "io/random.h"

// Counts what operator new hands out while a test asks, to show that hostile sizes are
// refused before anything is allocated for them (check_body_shape(), whose refusals the
// tests below assert by their reasons; the reader then reads the body in place).
namespace {
bool g_counting = false;
std::size_t g_allocated_bytes = 0;
}  // namespace

// The replacements below pair malloc with free by design; GCC (mingw, -O2) cannot see
// that across its inlining of gtest's own new/delete and warns.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  if (g_counting) g_allocated_bytes += size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace hamirror::core::wire {
namespace {

// A message with nested structs, vectors, bins and signed fields, only for the tests.
struct Extent {
  std::uint64_t offset = 0;
  io::Bytes data;
  HM_WIRE_FIELDS(offset, data)
  friend bool operator==(const Extent&, const Extent&) = default;
};

enum class Mode : std::uint8_t { a = 1, b = 2 };

struct Sample {
  std::int32_t delta = 0;
  bool flag = false;
  Mode mode = Mode::a;
  std::array<std::uint8_t, 4> digest{};
  std::vector<Extent> extents;
  std::vector<std::string> names;
  HM_WIRE_MESSAGE(static_cast<MessageType>(999), "sample")
  HM_WIRE_FIELDS(delta, flag, mode, digest, extents, names)
  friend bool operator==(const Sample&, const Sample&) = default;
};

template <typename M>
std::string refusal(const io::Bytes& body) {
  const auto decoded = decode_body<M>(body);
  EXPECT_FALSE(decoded.ok());
  return decoded.ok() ? std::string() : decoded.error();
}

// Allocation by operator new during one decode.
template <typename M>
std::size_t allocated_while_decoding(const io::Bytes& body) {
  g_allocated_bytes = 0;
  g_counting = true;
  const bool ok = decode_body<M>(body).ok();
  g_counting = false;
  EXPECT_FALSE(ok);
  return g_allocated_bytes;
}

TEST(WireMessageCodec, hello_ping_and_pong_survive_encoding_and_decoding) {
  const Hello hello{kProtocolVersion, "node1", 0xdeadbeefcafe};
  const auto decoded_hello = decode_body<Hello>(encode_body(hello));
  ASSERT_TRUE(decoded_hello.ok()) << decoded_hello.error();
  EXPECT_EQ(decoded_hello.value(), hello);
  const auto ping = decode_body<Ping>(encode_body(Ping{42}));
  ASSERT_TRUE(ping.ok()) << ping.error();
  EXPECT_EQ(ping.value().nonce, 42u);
  const auto pong = decode_body<Pong>(encode_body(Pong{~std::uint64_t{0}}));
  ASSERT_TRUE(pong.ok()) << pong.error();
  EXPECT_EQ(pong.value().nonce, ~std::uint64_t{0});
}

TEST(WireMessageCodec, nested_structs_vectors_bins_enums_and_signed_fields_round_trip) {
  Sample sample;
  sample.delta = -123456;
  sample.flag = true;
  sample.mode = Mode::b;
  sample.digest = {1, 2, 3, 4};
  sample.extents = {{0, {1, 2, 3}}, {4096, {}}, {1ull << 40, io::Bytes(300, 9)}};
  sample.names = {"", "a", std::string(70000, 'n')};
  const auto decoded = decode_body<Sample>(encode_body(sample));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), sample);
}

TEST(WireMessageCodec, a_body_is_a_msgpack_array_of_the_declared_fields_in_order) {
  EXPECT_EQ(encode_body(Ping{5}), (io::Bytes{0x91, 0x05}));
  EXPECT_EQ(encode_body(Hello{1, "n", 2}), (io::Bytes{0x93, 0x01, 0xa1, 'n', 0x02}));
}

TEST(WireMessageCodec, every_truncation_of_a_body_is_refused) {
  const io::Bytes body = encode_body(Hello{1, "node-with-a-name", 123456789});
  for (std::size_t size = 0; size < body.size(); ++size) {
    const auto decoded = decode_body<Hello>(io::Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(size)));
    EXPECT_FALSE(decoded.ok()) << "truncated to " << size;
  }
}

TEST(WireMessageCodec, a_field_of_the_wrong_type_is_refused_with_its_name) {
  EXPECT_EQ(refusal<Hello>({0x93, 0x01, 0x07, 0x02}), "hello: node_name: expected a str, got an unsigned integer");
  EXPECT_EQ(refusal<Hello>({0x93, 0x01, 0xc4, 0x01, 'n', 0x02}), "hello: node_name: expected a str, got a bin");
  EXPECT_EQ(refusal<Ping>({0x91, 0xff}), "ping: nonce: expected an unsigned integer, got a negative integer");
  EXPECT_EQ(refusal<Ping>({0xa1, 'x'}), "ping: expected an array, got a str");
  EXPECT_EQ(refusal<Sample>({0x96, 0x00, 0xc2, 0x01, 0xc4, 0x03, 1, 2, 3, 0x90, 0x90}),
            "sample: digest: expected a bin of 4 bytes, got 3");
  EXPECT_EQ(refusal<Sample>({0x96, 0x00, 0xc2, 0x01, 0xc4, 0x04, 1, 2, 3, 4, 0x91, 0x92, 0x00, 0x01, 0x90}),
            "sample: extents: [0]: data: expected a bin, got an unsigned integer");
}

TEST(WireMessageCodec, missing_extra_and_trailing_values_are_refused) {
  EXPECT_EQ(refusal<Hello>({0x92, 0x01, 0xa1, 'n'}), "hello: expected 3 fields, got 2");
  EXPECT_EQ(refusal<Hello>({0x94, 0x01, 0xa1, 'n', 0x02, 0x03}), "hello: expected 3 fields, got 4");
  EXPECT_EQ(refusal<Ping>({0x91, 0x05, 0x05}), "ping: 1 trailing bytes after the body");
  EXPECT_EQ(refusal<Ping>({}), "ping: truncated: 1 more values expected");
}

TEST(WireMessageCodec, integers_out_of_their_field_range_are_refused) {
  // protocol_version is a u32: 2^32 does not fit.
  EXPECT_EQ(refusal<Hello>({0x93, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0xa1, 'n', 0x02}),
            "hello: protocol_version: 4294967296 is above the maximum of 4294967295");
  // delta is an i32.
  EXPECT_EQ(refusal<Sample>({0x96, 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xc2, 0x01, 0xc4, 0x04, 1, 2, 3, 4, 0x90, 0x90}),
            "sample: delta: -9223372036854775808 is outside [-2147483648, 2147483647]");
}

TEST(WireMessageCodec, every_integer_encoding_reads_as_msgpack_c_typed_it) {
  // Another encoder may pick any width, and a signed one for a value >= 0: such a
  // value is an unsigned integer, a value < 0 a negative one, whatever its encoding.
  const std::vector<io::Bytes> sevens = {{0x07},       {0xcc, 7},       {0xcd, 0, 7},  {0xce, 0, 0, 0, 7},
                                         {0xd0, 7},    {0xd1, 0, 7},    {0xd2, 0, 0, 0, 7},
                                         {0xcf, 0, 0, 0, 0, 0, 0, 0, 7}, {0xd3, 0, 0, 0, 0, 0, 0, 0, 7}};
  for (const io::Bytes& seven : sevens) {
    io::Bytes body{0x91};
    body.insert(body.end(), seven.begin(), seven.end());
    const auto decoded = decode_body<Ping>(body);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded.value().nonce, 7u);
  }
  const std::vector<io::Bytes> minus_twos = {{0xfe}, {0xd0, 0xfe}, {0xd1, 0xff, 0xfe}, {0xd2, 0xff, 0xff, 0xff, 0xfe},
                                             {0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}};
  for (const io::Bytes& minus_two : minus_twos) {
    io::Bytes body{0x91};
    body.insert(body.end(), minus_two.begin(), minus_two.end());
    EXPECT_EQ(refusal<Ping>(body), "ping: nonce: expected an unsigned integer, got a negative integer");
    io::Bytes sample{0x96};  // delta, an i32, takes it
    sample.insert(sample.end(), minus_two.begin(), minus_two.end());
    sample.insert(sample.end(), {0xc2, 0x01, 0xc4, 0x04, 1, 2, 3, 4, 0x90, 0x90});
    const auto decoded = decode_body<Sample>(sample);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded.value().delta, -2);
  }
  EXPECT_EQ(refusal<Ping>({0x91, 0xc0}), "ping: nonce: expected an unsigned integer, got nil");
  EXPECT_EQ(refusal<Ping>({0x91, 0xca, 0, 0, 0, 0}), "ping: nonce: expected an unsigned integer, got a float");
  EXPECT_EQ(refusal<Ping>({0x91, 0x80}), "ping: nonce: expected an unsigned integer, got a map");
}

TEST(WireMessageCodec, a_message_check_refuses_what_the_types_allow) {
  EXPECT_EQ(refusal<Hello>(encode_body(Hello{1, "", 2})), "hello: empty node name");
  EXPECT_EQ(refusal<Hello>(encode_body(Hello{1, std::string(65, 'x'), 2})), "hello: node name longer than 64");
}

TEST(WireMessageCodec, a_body_over_the_message_limit_is_refused_before_it_is_parsed) {
  io::Bytes body = encode_body(Hello{1, "n", 2});
  body.resize(Hello::kMaxBodyBytes + 1, 0);
  EXPECT_EQ(refusal<Hello>(body), "hello: body of 257 bytes exceeds its limit of 256");
}

TEST(WireMessageCodec, a_str32_claiming_4_GiB_is_refused_without_allocation) {
  const io::Bytes body = {0x93, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff, 'n', 0x02};
  EXPECT_EQ(check_body_shape(body), "a value at byte 7 claims 4294967295 bytes but only 2 follow");
  EXPECT_EQ(refusal<Hello>(body), "hello: a value at byte 7 claims 4294967295 bytes but only 2 follow");
  EXPECT_LT(allocated_while_decoding<Hello>(body), 1024u);
}

TEST(WireMessageCodec, arrays_and_maps_claiming_more_elements_than_bytes_are_refused_without_allocation) {
  const io::Bytes array32 = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x00};
  const io::Bytes map32 = {0x91, 0xdf, 0x00, 0x10, 0x00, 0x00, 0x01, 0x02};
  const io::Bytes vector_of_a_million = {0x96, 0x00, 0xc2, 0x01, 0xc4, 0x04, 1,    2,
                                         3,    4,    0xdd, 0x00, 0x0f, 0x42, 0x40, 0x90};
  EXPECT_EQ(check_body_shape(array32), "an array at byte 5 claims 4294967295 values but only 1 bytes follow");
  EXPECT_EQ(check_body_shape(map32), "a map at byte 6 claims 2097152 values but only 2 bytes follow");
  EXPECT_EQ(check_body_shape(vector_of_a_million), "an array at byte 15 claims 1000000 values but only 1 bytes follow");
  EXPECT_LT(allocated_while_decoding<Sample>(array32), 1024u);
  EXPECT_LT(allocated_while_decoding<Sample>(map32), 1024u);
  EXPECT_LT(allocated_while_decoding<Sample>(vector_of_a_million), 1024u);
}

TEST(WireMessageCodec, nested_arrays_whose_claims_only_together_exceed_the_body_are_refused) {
  // Each array16 alone claims fewer values than the body has bytes, which msgpack-c's
  // per-container limit would let through, allocating 4000 objects per level before
  // reading any of them. Together they claim far more than the body holds.
  io::Bytes body;
  for (int level = 0; level < 16; ++level) body.insert(body.end(), {0xdc, 0x0f, 0xa0});  // array of 4000
  body.resize(body.size() + 4000, 0xc0);
  EXPECT_EQ(check_body_shape(body),
            "an array at byte 6 claims 4000 values, which with the 3999 still expected exceed the 4042 bytes that "
            "follow");
  EXPECT_LT(allocated_while_decoding<Sample>(body), 1024u);
}

TEST(WireMessageCodec, deeply_nested_arrays_are_refused_without_allocation) {
  const io::Bytes deep(100'000, 0x91);  // [[[[...
  EXPECT_EQ(check_body_shape(deep), "nested deeper than 16 levels");
  EXPECT_LT(allocated_while_decoding<Sample>(deep), 1024u);
  io::Bytes sixteen(kMaxBodyDepth, 0x91);
  sixteen.push_back(0xc0);
  EXPECT_EQ(check_body_shape(sixteen), "");
  io::Bytes seventeen(kMaxBodyDepth + 1, 0x91);
  seventeen.push_back(0xc0);
  EXPECT_EQ(check_body_shape(seventeen), "nested deeper than 16 levels");
  // An empty innermost container counts as a level too, as it does for msgpack-c.
  io::Bytes sixteen_empty(kMaxBodyDepth - 1, 0x91);
  sixteen_empty.push_back(0x90);
  EXPECT_EQ(check_body_shape(sixteen_empty), "");
  io::Bytes seventeen_empty(kMaxBodyDepth, 0x91);
  seventeen_empty.push_back(0x80);
  EXPECT_EQ(check_body_shape(seventeen_empty), "nested deeper than 16 levels");
  // What the shape check lets through, the reader reads: the refusal is the schema's.
  EXPECT_EQ(refusal<Sample>(sixteen), "sample: expected 6 fields, got 1");
  EXPECT_EQ(refusal<Sample>(sixteen_empty), "sample: expected 6 fields, got 1");
}

TEST(WireMessageCodec, ext_values_and_the_reserved_byte_are_refused) {
  EXPECT_EQ(check_body_shape(io::Bytes{0xd4, 0x01, 0x02}), "refused an ext value at byte 0");
  EXPECT_EQ(check_body_shape(io::Bytes{0x91, 0xc1}), "refused the reserved byte 0xc1 at byte 1");
}

TEST(WireMessageCodec, the_shape_check_accepts_everything_the_encoder_writes) {
  io::Prng prng(5);
  for (int round = 0; round < 200; ++round) {
    Sample sample;
    sample.delta = static_cast<std::int32_t>(prng.between(-2'000'000'000, 2'000'000'000));
    sample.names.resize(prng.below(40));
    for (auto& name : sample.names) name.assign(prng.below(prng.chance(1, 20) ? 70'000 : 40), 'x');
    sample.extents.resize(prng.below(20));
    for (auto& extent : sample.extents) extent.data.resize(prng.below(300));
    const io::Bytes body = encode_body(sample);
    ASSERT_EQ(check_body_shape(body), "") << "round " << round;
    ASSERT_TRUE(decode_body<Sample>(body).ok()) << "round " << round;
  }
}

TEST(WireMessageCodec, random_bodies_never_crash_the_decoder_nor_throw) {
  io::Prng prng(77);
  const io::Bytes valid = encode_body(Sample{-5, true, Mode::b, {1, 2, 3, 4}, {{7, {1, 2}}}, {"x", "yz"}});
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    io::Bytes body;
    if (prng.chance(1, 2)) {  // a valid body with a few bytes changed or cut
      body = valid;
      for (int flips = static_cast<int>(prng.below(4)); flips >= 0; --flips) {
        body[prng.below(body.size())] = static_cast<std::uint8_t>(prng.below(256));
      }
      body.resize(prng.below(body.size() + 1));
    } else {
      body.resize(prng.below(64));
      for (auto& b : body) b = static_cast<std::uint8_t>(prng.below(256));
    }
    const auto decoded = decode_body<Sample>(body);
    if (decoded.ok()) {
      ++accepted;
    } else {
      EXPECT_FALSE(decoded.error().empty());
    }
    (void)decode_body<Hello>(body);
    (void)decode_body<Ping>(body);
  }
  SUCCEED() << accepted << " of 20000 random bodies decoded, the rest refused, nothing crashed";
}

}  // namespace
}  // namespace hamirror::core::wire
