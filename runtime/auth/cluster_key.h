// The cluster key: 32 random bytes shared by both nodes (and the witness), kept as 64
// hex digits in a file only its owner can read. `hamirror genkey` makes one; the
// admin copies the file to the same path on every machine of the cluster.
//
//   auto loaded = auth::load_key("/etc/hamirror/cluster.key");
//   if (!loaded.key) { log(loaded.error); return exit_config; }
//   if (!loaded.warning.empty()) log(loaded.warning);
//   auth::AuthenticatedNetwork network(uv_network, *loaded.key, ...);
//
// Errors and warnings are complete sentences for users: which file, what is wrong,
// what to do.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "io/bytes.h"

namespace hamirror::auth {

constexpr std::size_t kClusterKeyBytes = 32;

struct ClusterKey {
  std::array<std::uint8_t, kClusterKeyBytes> bytes{};

  io::ByteView view() const { return bytes; }
};

struct KeyLoadResult {
  std::optional<ClusterKey> key;  // empty: `error` says why
  std::string error;
  std::string warning;  // set when the file is readable by other users (POSIX)
};

KeyLoadResult load_key(const std::string& path);

// A new key from the OS generator; nullopt if the OS generator failed.
std::optional<ClusterKey> generate_key();

// Writes `key` as hex to `path`, created readable by its owner only (mode 0600 on
// POSIX). An existing file is replaced only with `overwrite`. Returns an error
// sentence, or "" on success.
std::string write_key_file(const std::string& path, const ClusterKey& key, bool overwrite);

std::string to_hex(const ClusterKey& key);

}  // namespace hamirror::auth
