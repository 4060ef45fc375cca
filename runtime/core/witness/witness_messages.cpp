#include "core/witness/witness_messages.h"

#include "io/assert.h"

namespace hamirror::core::witness {

std::string unframe_datagram(wire::FrameDecoder& decoder, io::ByteView datagram, wire::Frame& frame) {
  HM_ASSERT(decoder.frames_decoded() == 0 && !decoder.failed());
  io::ByteView input = datagram;
  switch (decoder.decode(input, frame)) {
    case wire::FrameDecoder::Status::failed:
      return decoder.error();
    case wire::FrameDecoder::Status::need_more:
      return "datagram of " + std::to_string(datagram.size()) + " bytes holds no whole frame";
    case wire::FrameDecoder::Status::frame:
      break;
  }
  if (!input.empty()) return std::to_string(input.size()) + " bytes after the frame";
  return {};
}

}  // namespace hamirror::core::witness
