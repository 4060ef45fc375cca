// Internal to runtime/auth: one authenticated stream over an inner StreamConnection.
// It runs the handshake (handshake.h) and reports its outcome once; after success it
// is an io::StreamConnection whose bytes travel as records (record.h).
//
// Before the handshake succeeded nobody outside runtime/auth sees it. After success
// the inner stream's reading is paused until set_handlers(), so no record is read
// before someone wants it. After a failure the stream lingers (the inner one closing,
// so our last handshake bytes still reach the peer and it can log its own reason)
// until `reap` runs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/auth_context.h"
#include "auth/handshake.h"
#include "auth/record.h"

namespace hamirror::auth {

class SecureStream final : public io::StreamConnection {
 public:
  using HandshakeDoneFn = std::function<void(io::Error result)>;
  using ReapFn = std::function<void()>;

  SecureStream(std::shared_ptr<AuthContext> context, std::unique_ptr<io::StreamConnection> inner, Role role);
  ~SecureStream() override;

  // Sends the hello and starts the handshake timeout. `done` runs once (unless this is
  // destroyed first): ok, or the error after a failure, which is logged; `reap` runs
  // after a failure once lingering is over: the owner then destroys this.
  void start_handshake(HandshakeDoneFn done, ReapFn reap);

  void set_handlers(DataFn on_data, CloseFn on_close) override;
  io::Error write(io::ByteView bytes, WriteDoneFn on_done) override;
  // Seals head and tail into records, sending the tail's bytes from the tail itself:
  // the records' framing and the head are the only bytes copied.
  io::Error write_gather(io::Bytes& head, io::SharedBytes tail, WriteDoneFn on_done) override;
  std::size_t pending_write_bytes() const override { return pending_write_bytes_; }
  void pause_reading() override;
  void resume_reading() override;
  void close() override;
  io::Address local_address() const override { return local_; }
  io::Address remote_address() const override { return remote_; }

 private:
  enum class Phase { hello, proof, established, ended };

  // ok when `size` payload bytes may be written now; else why not.
  io::Error room_for(std::size_t size) const;
  Direction outgoing() const;  // of the records this end seals
  Direction incoming() const;  // of the records this end opens
  // The completion of a write's last inner write: takes the write's `size` back from
  // the pending count (added once every record was queued), then runs on_done.
  WriteDoneFn pending_done(std::size_t size, WriteDoneFn on_done);
  void on_inner_data(io::ByteView chunk);
  void on_inner_close(io::Error reason);
  void advance_handshake();
  void fail_handshake(const std::string& why, io::Error result);
  void deliver_records();
  // Opens and hands on the records at the start of `bytes` while delivery may go on;
  // the bytes they took, or nothing when this failed or was destroyed meanwhile.
  std::optional<std::size_t> open_and_deliver(io::ByteView bytes);
  void fail_records(const std::string& why);
  void schedule_delivery();
  io::ByteView unread() const;
  void consume(std::size_t bytes);
  std::string peer_description() const;

  std::shared_ptr<AuthContext> context_;
  std::unique_ptr<io::StreamConnection> inner_;
  const Role role_;
  const io::Address local_;
  const io::Address remote_;
  Phase phase_ = Phase::hello;
  HandshakeDoneFn handshake_done_;
  ReapFn reap_;
  Nonce own_nonce_{};
  Nonce peer_nonce_{};
  std::unique_ptr<Gmac> record_key_;  // made once the handshake succeeded
  std::uint64_t send_sequence_ = 0;
  std::uint64_t receive_sequence_ = 0;
  // Received, not yet opened bytes: rx_[rx_offset_..]: a record split across inner
  // chunks, or what came while delivery was paused. Bounded by one record plus one
  // inner chunk, because the inner stream is paused whenever delivery is.
  io::Bytes rx_;
  std::size_t rx_offset_ = 0;
  std::size_t pending_write_bytes_ = 0;
  DataFn on_data_;
  CloseFn on_close_;
  bool paused_ = false;
  std::optional<io::Error> inner_ended_;  // reported once the records before it are delivered
  std::unique_ptr<io::Timer> handshake_timer_;  // then the linger timer after a failure
  std::unique_ptr<io::Timer> delivery_timer_;   // delivers buffered records outside the caller's call
  // Callbacks that may destroy this check it afterwards.
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace hamirror::auth
