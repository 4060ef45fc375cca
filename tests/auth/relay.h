// A man in the middle for the tests: a plain (unauthenticated) TCP relay on the inner
// network. It forwards each connection it accepts to `target`, records the bytes
// going client -> server, and lets a test alter them on the way or inject bytes of
// its own towards the server: what an attacker on the wire can do.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/network.h"

namespace hamirror::test {

class Relay {
 public:
  // Called on each client -> server chunk with the offset of its first byte in the
  // connection; may change the chunk in place.
  using AlterFn = std::function<void(std::size_t offset, io::Bytes& chunk)>;

  Relay(io::Network& network, const std::string& host, io::Address target);
  ~Relay();

  io::Address address() const { return listener_->local_address(); }
  void alter(AlterFn alter) { alter_ = std::move(alter); }
  // Connections accepted so far, in order; each records its client -> server bytes.
  std::size_t connections() const { return links_.size(); }
  const io::Bytes& client_bytes(std::size_t connection) const;
  // Sends `bytes` to the server on connection `connection`, as if the client sent them.
  void inject(std::size_t connection, io::ByteView bytes);

 private:
  struct Link;
  void on_accept(std::unique_ptr<io::StreamConnection> client);

  io::Network& network_;
  io::Address target_;
  AlterFn alter_;
  std::vector<std::unique_ptr<Link>> links_;
  std::unique_ptr<io::StreamListener> listener_;
};

}  // namespace hamirror::test
