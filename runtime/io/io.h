// The node's I/O bundle: everything protocol code may use to touch the world.
// A node receives one in its constructor; each simulated node gets its own. The
// bundle does not own its parts (the backend that built it does).
#pragma once

#include "io/clock.h"
#include "io/filesystem.h"
#include "io/network.h"
#include "io/process.h"
#include "io/random.h"
#include "io/virtual_ip.h"

namespace hamirror::io {

struct Io {
  Clock& clock;
  Prng& random;
  Network& network;
  FileSystem& fs;
  Processes& processes;
  Services& services;
  VirtualIp& vip;
};

}  // namespace hamirror::io
