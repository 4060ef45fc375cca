#include "tests/auth/relay.h"

#include <gtest/gtest.h>

namespace hamirror::test {

struct Relay::Link {
  std::unique_ptr<io::StreamConnection> client;
  std::unique_ptr<io::StreamConnection> server;
  io::Bytes client_bytes;       // everything the client sent, as it sent it
  io::Bytes waiting_for_server;  // client bytes received before the server connection
  std::shared_ptr<const int> alive = std::make_shared<const int>(0);

  void to_server(io::ByteView bytes) {
    if (!server) {
      waiting_for_server.insert(waiting_for_server.end(), bytes.begin(), bytes.end());
      return;
    }
    EXPECT_EQ(server->write(bytes, [](io::Error) {}), io::Error::ok);
  }
};

Relay::Relay(io::Network& network, const std::string& host, io::Address target)
    : network_(network), target_(std::move(target)) {
  auto listening = network_.listen({host, 0}, [this](std::unique_ptr<io::StreamConnection> client) {
    on_accept(std::move(client));
  });
  EXPECT_TRUE(listening.ok()) << io::error_name(listening.error());
  listener_ = std::move(listening).value();
}

Relay::~Relay() = default;

const io::Bytes& Relay::client_bytes(std::size_t connection) const { return links_.at(connection)->client_bytes; }

void Relay::inject(std::size_t connection, io::ByteView bytes) { links_.at(connection)->to_server(bytes); }

void Relay::on_accept(std::unique_ptr<io::StreamConnection> client) {
  links_.push_back(std::make_unique<Link>());
  Link* link = links_.back().get();
  link->client = std::move(client);
  link->client->set_handlers(
      [this, link](io::ByteView chunk) {
        io::Bytes bytes(chunk.begin(), chunk.end());
        if (alter_) alter_(link->client_bytes.size(), bytes);
        link->client_bytes.insert(link->client_bytes.end(), chunk.begin(), chunk.end());
        link->to_server(bytes);
      },
      [link](io::Error) {
        if (link->server) link->server->close();
      });
  network_.connect(target_, [link, alive = std::weak_ptr<const int>(link->alive)](
                                io::Result<std::unique_ptr<io::StreamConnection>> server) {
    if (alive.expired()) return;
    ASSERT_TRUE(server.ok()) << io::error_name(server.error());
    link->server = std::move(server).value();
    link->server->set_handlers(
        [link](io::ByteView chunk) { EXPECT_EQ(link->client->write(chunk, [](io::Error) {}), io::Error::ok); },
        [link](io::Error) { link->client->close(); });
    io::Bytes waiting;
    waiting.swap(link->waiting_for_server);
    if (!waiting.empty()) link->to_server(waiting);
  });
}

}  // namespace hamirror::test
