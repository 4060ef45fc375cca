// What the authenticated-network tests share: two nodes, each with its own
// AuthenticatedNetwork over the backend's network (libuv on 127.0.0.1, or netsim) and
// a log, and a connected pair of authenticated streams.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticated_network.h"
#include "tests/io/await.h"
#include "tests/io/backend_harness.h"

namespace hamirror::test {

inline auth::ClusterKey test_key(std::uint8_t fill) {
  auth::ClusterKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(fill + i);
  return key;
}

struct AuthNode {
  std::vector<std::string> log;
  std::unique_ptr<auth::NonceSource> nonces;
  std::unique_ptr<auth::AuthenticatedNetwork> network;

  bool logged(const std::string& text) const {
    return std::any_of(log.begin(), log.end(), [&](const auto& line) { return line.find(text) != std::string::npos; });
  }
  std::string all_lines() const {
    std::string text;
    for (const auto& line : log) text += line + "\n";
    return text;
  }
  std::size_t lines_with(const std::string& text) const {
    return static_cast<std::size_t>(
        std::count_if(log.begin(), log.end(), [&](const auto& line) { return line.find(text) != std::string::npos; }));
  }
};

// Node A's and node B's ends of one authenticated connection, with what each received.
struct AuthPair {
  std::unique_ptr<io::StreamListener> listener;
  std::unique_ptr<io::StreamConnection> a_end;
  std::unique_ptr<io::StreamConnection> b_end;
  std::string a_received;
  std::string b_received;
  std::vector<io::Error> a_closes;
  std::vector<io::Error> b_closes;
  int accepted = 0;
  std::function<void()> after_b_data;  // runs after each delivery to B's end, if set
};

class AuthNetworkTest : public ContractTest {
 protected:
  void TearDown() override {
    a_node_.reset();
    b_node_.reset();
    ContractTest::TearDown();
  }

  // Simulated runs draw nonces from the run's seeded PRNG so that they replay; the
  // libuv runs use the OS generator as production does.
  std::unique_ptr<AuthNode> make_node(io::Io& io, const auth::ClusterKey& key, auth::AuthOptions options) {
    auto node = std::make_unique<AuthNode>();
    node->nonces = GetParam() == "uv" ? auth::make_os_nonce_source() : auth::make_simulated_nonce_source(io.random);
    AuthNode* raw = node.get();
    node->network = std::make_unique<auth::AuthenticatedNetwork>(
        io.network, key, *node->nonces, io.clock, [raw](const std::string& line) { raw->log.push_back(line); }, options);
    return node;
  }
  void make_nodes(const auth::ClusterKey& key_a, const auth::ClusterKey& key_b, auth::AuthOptions options = {}) {
    a_node_ = make_node(a(), key_a, options);
    b_node_ = make_node(b(), key_b, options);
  }
  AuthNode& node_a() { return *a_node_; }
  AuthNode& node_b() { return *b_node_; }

  // B listens (authenticated); its accepted end records what it receives.
  void listen_on_b(AuthPair& pair) {
    auto listener = b_node_->network->listen({harness().host_b(), 0}, [&pair](std::unique_ptr<io::StreamConnection> accepted) {
      ++pair.accepted;
      pair.b_end = std::move(accepted);
      pair.b_end->set_handlers([&pair](io::ByteView chunk) {
                                 pair.b_received += io::as_text(chunk);
                                 if (pair.after_b_data) pair.after_b_data();
                               },
                               [&pair](io::Error reason) { pair.b_closes.push_back(reason); });
    });
    ASSERT_TRUE(listener.ok()) << io::error_name(listener.error());
    pair.listener = std::move(listener).value();
  }

  // A connects (authenticated) to `target`; returns what connect() reported.
  io::Error connect_from_a(AuthPair& pair, const io::Address& target) {
    auto connected = await<io::Result<std::unique_ptr<io::StreamConnection>>>(
        harness(), [&](auto done) { a_node_->network->connect(target, done); });
    if (!connected.ok()) return connected.error();
    pair.a_end = std::move(connected).value();
    pair.a_end->set_handlers([&pair](io::ByteView chunk) { pair.a_received += io::as_text(chunk); },
                             [&pair](io::Error reason) { pair.a_closes.push_back(reason); });
    return io::Error::ok;
  }

  void connect_pair(AuthPair& pair) {
    ASSERT_NO_FATAL_FAILURE(listen_on_b(pair));
    ASSERT_EQ(connect_from_a(pair, pair.listener->local_address()), io::Error::ok);
    ASSERT_TRUE(run_until([&] { return pair.b_end != nullptr; }));
  }

 private:
  std::unique_ptr<AuthNode> a_node_;
  std::unique_ptr<AuthNode> b_node_;
};

}  // namespace hamirror::test
