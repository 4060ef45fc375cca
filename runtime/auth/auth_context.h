// Internal to runtime/auth: what every authenticated stream, listener and endpoint of
// one AuthenticatedNetwork shares. Held by shared_ptr so that they may outlive it.
#pragma once

#include <string>

#include "auth/authenticated_network.h"

namespace hamirror::auth {

struct AuthContext {
  io::Network& inner;
  ClusterKey key;
  NonceSource& nonces;
  io::Clock& clock;
  LogFn log;
  AuthOptions options;
  AuthCounters counters;

  void say(const std::string& line) const {
    if (log) log(line);
  }
};

}  // namespace hamirror::auth
