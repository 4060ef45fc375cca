// The stream handshake, as pure functions (secure_stream.cpp drives it).
//
// Both ends send at once:  hello = "HMAUTH02" | nonce (32 random bytes)
// Once an end has the peer's hello, it sends:
//                          proof = HMAC(cluster key, "hamirror-v2 proof" | role | client nonce | server nonce)
// and checks the peer's proof, computed with the peer's role. Both nonces are in both
// proofs, so a proof recorded from another connection never matches, and the role
// byte keeps a server's proof from being reflected back to it as a client's.
// Then both ends hold the per-connection session key
//                          HMAC(cluster key, "hamirror-v2 session" | client nonce | server nonce)
// the AES-256 key of the records' GMAC (record.h). The key itself never crosses the wire.
// Version 1 ("HMAUTH01") tagged records with HMAC-SHA256: a v1 peer is refused with a
// reason of its own (is_version_1_hello), not as a stranger.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "auth/cluster_key.h"
#include "auth/gmac.h"
#include "auth/hmac.h"
#include "io/bytes.h"

namespace hamirror::auth {

enum class Role : std::uint8_t { client = 1, server = 2 };

constexpr std::size_t kNonceBytes = 32;
using Nonce = std::array<std::uint8_t, kNonceBytes>;

constexpr std::array<std::uint8_t, 8> kHelloMagic = {'H', 'M', 'A', 'U', 'T', 'H', '0', '2'};
constexpr std::array<std::uint8_t, 8> kVersion1HelloMagic = {'H', 'M', 'A', 'U', 'T', 'H', '0', '1'};
constexpr std::size_t kHelloBytes = kHelloMagic.size() + kNonceBytes;
constexpr std::size_t kProofBytes = kTagBytes;

io::Bytes encode_hello(const Nonce& nonce);
// The peer's nonce, or nullopt when the bytes do not start with the magic (a peer
// without authentication, or not hamirror at all). `hello` is kHelloBytes long.
std::optional<Nonce> decode_hello(io::ByteView hello);
// True when `hello` (kHelloBytes long) is an older hamirror's, which records cannot talk to.
bool is_version_1_hello(io::ByteView hello);

Tag handshake_proof(const ClusterKey& key, Role prover, const Nonce& client, const Nonce& server);
GmacKey session_key(const ClusterKey& key, const Nonce& client, const Nonce& server);

}  // namespace hamirror::auth
