#include "auth/pending_handshakes.h"

#include <algorithm>

#include "io/assert.h"

namespace hamirror::auth {

PendingHandshakes::Streams::iterator PendingHandshakes::find(const SecureStream* stream) {
  const auto found = std::find_if(streams_.begin(), streams_.end(), [stream](const auto& s) { return s.get() == stream; });
  HM_ASSERT(found != streams_.end());
  return found;
}

void PendingHandshakes::start(std::unique_ptr<io::StreamConnection> inner, Role role, ResultFn on_result) {
  streams_.push_back(std::make_unique<SecureStream>(context_, std::move(inner), role));
  SecureStream* stream = streams_.back().get();
  stream->start_handshake(
      [this, stream, on_result = std::move(on_result)](io::Error result) {
        if (result != io::Error::ok) return on_result(result);  // the stream lingers until reaped
        const auto found = find(stream);
        std::unique_ptr<io::StreamConnection> connection = std::move(*found);
        streams_.erase(found);
        on_result(std::move(connection));
      },
      [this, stream] { streams_.erase(find(stream)); });
}

}  // namespace hamirror::auth
