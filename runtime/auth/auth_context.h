// Internal to runtime/auth: what every authenticated stream, listener and endpoint of
// one AuthenticatedNetwork shares. Held by shared_ptr so that they may outlive it.
#pragma once

#include <set>
#include <string>

#include "auth/authenticated_network.h"
#include "auth/handshake.h"

namespace hamirror::auth {

struct AuthContext {
  io::Network& inner;
  ClusterKey key;
  NonceSource& nonces;
  io::Clock& clock;
  LogFn log;
  AuthOptions options;
  AuthCounters counters;
  // The nonces of this network's live streams. A peer that presents one of
  // them is this very node, reached through someone relaying its own handshake back
  // to it (a reflection attack): refused.
  std::set<Nonce> own_nonces;

  void say(const std::string& line) const {
    if (log) log(line);
  }
};

}  // namespace hamirror::auth
