#include "auth/secure_stream.h"

#include <algorithm>

#include "io/assert.h"
#include "io/shared_bytes.h"

namespace hamirror::auth {
namespace {

// After a failed handshake: time for our last bytes to reach the peer before the
// connection is dropped for good.
constexpr std::int64_t kLingerNs = 2 * io::kNsPerS;
// Opened bytes are dropped from the front of the buffer once this many accumulated.
constexpr std::size_t kCompactAfterBytes = 64 * 1024;

std::string duration_text(std::int64_t ns) {
  if (ns % io::kNsPerS == 0) return std::to_string(ns / io::kNsPerS) + " s";
  return std::to_string(ns / io::kNsPerMs) + " ms";
}

}  // namespace

SecureStream::SecureStream(std::shared_ptr<AuthContext> context, std::unique_ptr<io::StreamConnection> inner, Role role)
    : context_(std::move(context)),
      inner_(std::move(inner)),
      role_(role),
      local_(inner_->local_address()),
      remote_(inner_->remote_address()),
      handshake_timer_(context_->clock.make_timer()),
      delivery_timer_(context_->clock.make_timer()) {}

// The nonce stays known while the stream lives, lingering included: the peer may read
// our hello after we already gave up on the handshake.
SecureStream::~SecureStream() { context_->own_nonces.erase(own_nonce_); }

std::string SecureStream::peer_description() const {
  return (role_ == Role::server ? "from " : "with ") + io::to_string(remote_);
}

void SecureStream::start_handshake(HandshakeDoneFn done, ReapFn reap) {
  HM_ASSERT(done && reap && phase_ == Phase::hello);
  handshake_done_ = std::move(done);
  reap_ = std::move(reap);
  context_->nonces.fill(own_nonce_);
  context_->own_nonces.insert(own_nonce_);
  inner_->set_handlers([this](io::ByteView chunk) { on_inner_data(chunk); },
                       [this](io::Error reason) { on_inner_close(reason); });
  handshake_timer_->start(context_->options.handshake_timeout_ns, 0, [this] {
    fail_handshake("no authentication handshake within " + duration_text(context_->options.handshake_timeout_ns) +
                       " (a peer without the cluster key, or not hamirror?)",
                   io::Error::timed_out);
  });
  const io::Error sent = inner_->write(encode_hello(own_nonce_), [](io::Error) {});
  if (sent != io::Error::ok) fail_handshake("cannot send the handshake: " + std::string(io::error_name(sent)), sent);
}

io::ByteView SecureStream::unread() const { return io::ByteView(rx_).subspan(rx_offset_); }

void SecureStream::consume(std::size_t bytes) {
  rx_offset_ += bytes;
  if (rx_offset_ == rx_.size()) {
    rx_.clear();
    rx_offset_ = 0;
  } else if (rx_offset_ >= kCompactAfterBytes) {
    rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(rx_offset_));
    rx_offset_ = 0;
  }
}

void SecureStream::on_inner_data(io::ByteView chunk) {
  if (phase_ == Phase::ended) return;
  // No view into rx_ is held here: every callback that got one has returned.
  if (phase_ != Phase::established) {
    rx_.insert(rx_.end(), chunk.begin(), chunk.end());
    return advance_handshake();
  }
  // Records that lie whole in the chunk are opened where they lie. Only a record split
  // across chunks is assembled in rx_, from the bytes that complete it: on a replicating
  // link most bytes are then copied once less on their way to the disk.
  const std::weak_ptr<const int> alive = alive_;
  while (!unread().empty() && !chunk.empty()) {
    const std::size_t missing = record_bytes_missing(unread());
    if (missing == 0) break;
    const std::size_t n = std::min(missing, chunk.size());
    rx_.insert(rx_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    chunk = chunk.subspan(n);
  }
  if (!unread().empty()) {
    deliver_records();
    if (alive.expired() || phase_ != Phase::established) return;
  }
  if (unread().empty() && !chunk.empty()) {
    const std::optional<std::size_t> used = open_and_deliver(chunk);
    if (!used || phase_ != Phase::established) return;
    chunk = chunk.subspan(*used);
  }
  rx_.insert(rx_.end(), chunk.begin(), chunk.end());  // a record's first part, or held while paused
}

void SecureStream::advance_handshake() {
  if (phase_ == Phase::hello && unread().size() >= kHelloBytes) {
    const auto nonce = decode_hello(unread().first(kHelloBytes));
    if (!nonce && is_version_1_hello(unread().first(kHelloBytes))) {
      return fail_handshake("the peer runs an older hamirror (authentication handshake hamirror-v1; this node speaks "
                            "hamirror-v2, whose records it cannot read): run the same hamirror version on both nodes",
                            io::Error::permission_denied);
    }
    if (!nonce) {
      return fail_handshake("the peer did not start the hamirror-v2 authentication handshake (hamirror without "
                            "authentication, an older version, or not hamirror at all)",
                            io::Error::permission_denied);
    }
    if (context_->own_nonces.contains(*nonce)) {
      return fail_handshake("the peer presented this node's own handshake: a connection to itself, or someone "
                            "relaying our handshake back to us",
                            io::Error::permission_denied);
    }
    peer_nonce_ = *nonce;
    consume(kHelloBytes);
    phase_ = Phase::proof;
    const Nonce& client = role_ == Role::client ? own_nonce_ : peer_nonce_;
    const Nonce& server = role_ == Role::client ? peer_nonce_ : own_nonce_;
    const Tag proof = handshake_proof(context_->key, role_, client, server);
    const io::Error sent = inner_->write(proof, [](io::Error) {});
    if (sent != io::Error::ok) return fail_handshake("cannot send the handshake: " + std::string(io::error_name(sent)), sent);
  }
  if (phase_ == Phase::proof && unread().size() >= kProofBytes) {
    const Role peer_role = role_ == Role::client ? Role::server : Role::client;
    const Nonce& client = role_ == Role::client ? own_nonce_ : peer_nonce_;
    const Nonce& server = role_ == Role::client ? peer_nonce_ : own_nonce_;
    if (!tags_equal(handshake_proof(context_->key, peer_role, client, server), unread().first(kProofBytes))) {
      return fail_handshake("the peer does not prove the same cluster key: wrong cluster key? (compare the key files "
                            "on both nodes)",
                            io::Error::permission_denied);
    }
    consume(kProofBytes);
    record_key_ = std::make_unique<Gmac>(session_key(context_->key, client, server));
    phase_ = Phase::established;
    handshake_timer_->stop();
    inner_->pause_reading();  // until set_handlers: nobody reads yet
    auto done = std::move(handshake_done_);
    done(io::Error::ok);  // may hand this away or destroy it: nothing after this line
  }
}

void SecureStream::fail_handshake(const std::string& why, io::Error result) {
  if (phase_ == Phase::established || phase_ == Phase::ended) return;
  phase_ = Phase::ended;
  ++context_->counters.handshakes_failed;
  context_->say("authentication failed " + peer_description() + ": " + why);
  inner_->close();  // flushes our hello and proof, so the peer can tell its own reason
  handshake_timer_->start(kLingerNs, 0, [this] {
    auto reap = std::move(reap_);
    reap();  // destroys this
  });
  auto done = std::move(handshake_done_);
  done(result);
}

void SecureStream::on_inner_close(io::Error reason) {
  if (phase_ == Phase::established) {
    inner_ended_ = reason;
    return deliver_records();
  }
  fail_handshake("the connection closed during the authentication handshake (" + std::string(io::error_name(reason)) +
                     "): the peer may have refused our cluster key",
                 reason);
}

void SecureStream::set_handlers(DataFn on_data, CloseFn on_close) {
  HM_ASSERT(on_data && on_close && !on_data_);
  HM_ASSERT(phase_ == Phase::established);
  on_data_ = std::move(on_data);
  on_close_ = std::move(on_close);
  resume_reading();
}

void SecureStream::pause_reading() {
  paused_ = true;
  if (phase_ == Phase::established) inner_->pause_reading();
}

void SecureStream::resume_reading() {
  paused_ = false;
  if (phase_ != Phase::established || !on_data_) return;
  inner_->resume_reading();
  schedule_delivery();  // records already buffered, or an end already seen
}

void SecureStream::schedule_delivery() {
  if (!unread().empty() || inner_ended_) delivery_timer_->start(0, 0, [this] { deliver_records(); });
}

void SecureStream::deliver_records() {
  const std::optional<std::size_t> used = open_and_deliver(unread());  // views into rx_: consumed only afterwards
  if (!used) return;
  consume(*used);
  if (phase_ == Phase::established && on_data_ && !paused_ && inner_ended_) {  // all delivered that came whole
    phase_ = Phase::ended;
    auto on_close = on_close_;
    on_close(*inner_ended_);
  }
}

std::optional<std::size_t> SecureStream::open_and_deliver(io::ByteView bytes) {
  const std::weak_ptr<const int> alive = alive_;
  std::size_t used = 0;
  while (phase_ == Phase::established && on_data_ && !paused_) {
    const OpenedRecord record = open_record(*record_key_, incoming(), receive_sequence_, bytes.subspan(used));
    if (record.status == RecordStatus::too_large) {
      fail_records("a record is larger than the bound");
      return std::nullopt;
    }
    if (record.status == RecordStatus::bad_tag) {
      fail_records("a record failed its authentication check (tampered, replayed or reordered data)");
      return std::nullopt;
    }
    if (record.status == RecordStatus::incomplete) break;
    ++receive_sequence_;
    used += record.consumed_bytes;
    if (!record.payload.empty()) {
      auto on_data = on_data_;
      on_data(record.payload);
      if (alive.expired()) return std::nullopt;
    }
  }
  return used;
}

void SecureStream::fail_records(const std::string& why) {
  ++context_->counters.records_refused;
  context_->say("authentication failed " + peer_description() + ": " + why + "; closing the connection");
  phase_ = Phase::ended;
  inner_->close();
  auto on_close = on_close_;
  on_close(io::Error::permission_denied);
}

io::Error SecureStream::room_for(std::size_t size) const {
  if (phase_ != Phase::established) return io::Error::connection_reset;
  const std::size_t wire_bytes = sealed_size(size);
  if (wire_bytes > io::kMaxPendingWriteBytes) return io::Error::message_too_large;
  if (inner_->pending_write_bytes() + wire_bytes > io::kMaxPendingWriteBytes) return io::Error::would_block;
  return io::Error::ok;
}

Direction SecureStream::outgoing() const {
  return role_ == Role::client ? Direction::client_to_server : Direction::server_to_client;
}

Direction SecureStream::incoming() const {
  return role_ == Role::client ? Direction::server_to_client : Direction::client_to_server;
}

io::StreamConnection::WriteDoneFn SecureStream::pending_done(std::size_t size, WriteDoneFn on_done) {
  return [this, size, on_done = std::move(on_done)](io::Error written) {
    pending_write_bytes_ -= size;
    if (on_done) on_done(written);
  };
}

// Both writes below: room for all the records was checked first, so only a broken
// stream refuses one: the first, normally; a later one would leave part of the write on
// the wire, so the stream is closed then (the caller gets the error, the peer sees the
// stream end).

io::Error SecureStream::write(io::ByteView bytes, WriteDoneFn on_done) {
  const io::Error room = room_for(bytes.size());
  if (room != io::Error::ok) return room;
  // One inner write per record: libuv writes the first at once, so the peer checks it
  // while the next one is sealed here (a large frame's tags overlap its transfer).
  std::size_t offset = 0;
  do {
    const io::ByteView payload = bytes.subspan(offset, std::min(kMaxRecordPayloadBytes, bytes.size() - offset));
    io::Bytes sealed;
    sealed.reserve(sealed_size(payload.size()));
    seal_record(*record_key_, outgoing(), send_sequence_++, payload, sealed);
    const bool first_record = offset == 0;
    offset += payload.size();
    const io::Error result =
        inner_->write_owned(sealed, offset == bytes.size() ? pending_done(bytes.size(), std::move(on_done)) : nullptr);
    if (result != io::Error::ok) {
      --send_sequence_;
      if (!first_record) close();
      return result;
    }
  } while (offset < bytes.size());
  pending_write_bytes_ += bytes.size();
  return io::Error::ok;
}

io::Error SecureStream::write_gather(io::Bytes& head, io::SharedBytes tail, WriteDoneFn on_done) {
  const std::size_t size = head.size() + tail.size();
  const io::Error room = room_for(size);
  if (room != io::Error::ok) return room;
  // The tail is not copied into the records (a write's data: on a primary, every byte
  // replicated): each record goes out as one gathered inner write, its framing and its
  // bytes from `head` owned, its slice of the tail shared; a record's tag rides at the
  // front of the next record's write, and the last tag alone.
  const io::ByteView first = head;
  io::Bytes owned;  // the previous record's tag, then this record's length and head bytes
  std::size_t offset = 0;  // into head, then tail, as if they were one buffer
  do {
    const std::size_t length = std::min(kMaxRecordPayloadBytes, size - offset);
    const std::size_t from_head = offset < first.size() ? std::min(length, first.size() - offset) : 0;
    const std::size_t tail_offset = std::max(offset + from_head, first.size()) - first.size();
    const io::ByteView head_part = first.subspan(std::min(offset, first.size()), from_head);
    const io::SharedBytes tail_part = tail.slice(tail_offset, length - from_head);
    const RecordFraming framing = frame_record(*record_key_, outgoing(), send_sequence_++, head_part, tail_part.view());
    owned.insert(owned.end(), framing.length.begin(), framing.length.end());
    owned.insert(owned.end(), head_part.begin(), head_part.end());
    const bool first_record = offset == 0;
    offset += length;
    const io::Error result = inner_->write_gather(owned, tail_part, nullptr);
    if (result != io::Error::ok) {
      --send_sequence_;
      if (!first_record) close();
      return result;
    }
    owned.assign(framing.tag.begin(), framing.tag.end());
  } while (offset < size);
  const io::Error result = inner_->write_owned(owned, pending_done(size, std::move(on_done)));
  if (result != io::Error::ok) {
    close();
    return result;
  }
  pending_write_bytes_ += size;
  head = io::Bytes();  // taken: its bytes are in the records
  return io::Error::ok;
}

void SecureStream::close() {
  if (phase_ != Phase::established) return;
  phase_ = Phase::ended;
  delivery_timer_->stop();
  inner_->close();
}

}  // namespace hamirror::auth
