// Internal to runtime/auth: logs refused datagrams at most once per interval per
// sender, with the count refused in between, so a flood cannot flood the log. Tracks
// at most kMaxTrackedSenders addresses; refusals from further ones are only counted.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "auth/auth_context.h"

namespace hamirror::auth {

class RefusalLog {
 public:
  RefusalLog(AuthContext& context) : context_(context) {}
  void refused(const io::Address& from, const std::string& why);

 private:
  struct Sender {
    std::int64_t last_logged_ns = 0;
    std::uint64_t unlogged = 0;
  };
  bool make_room(std::int64_t now_ns);

  AuthContext& context_;
  std::map<io::Address, Sender> senders_;
};

}  // namespace hamirror::auth
