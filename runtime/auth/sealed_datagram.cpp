#include "auth/sealed_datagram.h"

#include "auth/big_endian.h"

namespace hamirror::auth {
namespace {

constexpr std::string_view kLabel = "hamirror-v1 datagram";

Tag datagram_tag(const ClusterKey& key, io::ByteView header, io::ByteView payload) {
  return hmac_sha256(key.view(), {io::as_bytes(kLabel), header, payload});
}

}  // namespace

io::Bytes seal_datagram(const ClusterKey& key, const DatagramHeader& header, io::ByteView payload) {
  io::Bytes out;
  out.reserve(kDatagramOverheadBytes + payload.size());
  for (const std::uint64_t field : {header.boot_id, header.counter, header.time_ms}) {
    const auto bytes = big_endian(field);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  out.insert(out.end(), payload.begin(), payload.end());
  const Tag tag = datagram_tag(key, io::ByteView(out).first(kDatagramHeaderBytes), payload);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

std::optional<OpenedDatagram> open_datagram(const ClusterKey& key, io::ByteView datagram) {
  if (datagram.size() < kDatagramOverheadBytes) return std::nullopt;
  const auto header = datagram.first(kDatagramHeaderBytes);
  const auto payload = datagram.subspan(kDatagramHeaderBytes, datagram.size() - kDatagramOverheadBytes);
  const auto tag = datagram.last(kTagBytes);
  if (!tags_equal(datagram_tag(key, header, payload), tag)) return std::nullopt;
  return OpenedDatagram{.header = {.boot_id = read_big_endian<std::uint64_t>(header),
                                   .counter = read_big_endian<std::uint64_t>(header.subspan(8)),
                                   .time_ms = read_big_endian<std::uint64_t>(header.subspan(16))},
                        .payload = payload};
}

}  // namespace hamirror::auth
