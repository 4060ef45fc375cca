#include "core/heartbeat_codec.h"

#include <msgpack.hpp>

#include "io/assert.h"

namespace hamirror::core {

io::Bytes encode_heartbeat(const Heartbeat& heartbeat) {
  HM_ASSERT(heartbeat.node_name.size() <= kMaxNodeNameBytes);
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(7);
  packer.pack(kHeartbeatVersion);
  packer.pack(heartbeat.node_name);
  packer.pack(heartbeat.sequence);
  packer.pack(heartbeat.state);
  packer.pack(heartbeat.outdated);
  packer.pack(heartbeat.request_outdate);
  packer.pack(heartbeat.generation);
  const auto* data = reinterpret_cast<const std::uint8_t*>(buffer.data());
  return io::Bytes(data, data + buffer.size());
}

std::optional<Heartbeat> decode_heartbeat(io::ByteView datagram) {
  // Limits keep a hostile datagram from making msgpack allocate much: one array of
  // seven, one string of a node name's size, nothing else.
  const msgpack::unpack_limit limits(/*array=*/7, /*map=*/0, /*str=*/kMaxNodeNameBytes, /*bin=*/0, /*ext=*/0, /*depth=*/2);
  try {
    const auto handle = msgpack::unpack(reinterpret_cast<const char*>(datagram.data()), datagram.size(), nullptr,
                                        nullptr, limits);
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::ARRAY || root.via.array.size != 7) return std::nullopt;
    const msgpack::object* items = root.via.array.ptr;
    if (items[0].type != msgpack::type::POSITIVE_INTEGER || items[0].as<std::uint32_t>() != kHeartbeatVersion) {
      return std::nullopt;
    }
    if (items[1].type != msgpack::type::STR || items[2].type != msgpack::type::POSITIVE_INTEGER ||
        items[3].type != msgpack::type::POSITIVE_INTEGER || items[4].type != msgpack::type::BOOLEAN ||
        items[5].type != msgpack::type::BOOLEAN || items[6].type != msgpack::type::POSITIVE_INTEGER) {
      return std::nullopt;
    }
    const auto state = items[3].as<std::uint64_t>();
    if (state > 0xff) return std::nullopt;
    return Heartbeat{items[1].as<std::string>(), items[2].as<std::uint64_t>(), static_cast<std::uint8_t>(state),
                     items[4].as<bool>(), items[5].as<bool>(), items[6].as<std::uint64_t>()};
  } catch (const std::exception&) {
    return std::nullopt;  // malformed, truncated or over the limits
  }
}

}  // namespace hamirror::core
