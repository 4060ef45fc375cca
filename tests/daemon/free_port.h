// Free 127.0.0.1 ports for tests: bound to port 0, read back, closed. Another program
// could take one before the test binds it again; on a test machine that is rare and
// shows as a clear "cannot listen" failure, not as a wrong result.
#pragma once

#include <cstdint>

namespace hamirror::test {

std::uint16_t free_tcp_port();
std::uint16_t free_udp_port();

}  // namespace hamirror::test
