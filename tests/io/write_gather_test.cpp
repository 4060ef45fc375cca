// StreamConnection::write_gather's default, for a backend that does not send from
// two buffers: head and tail joined into one owned write.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/network.h"

namespace hamirror::io {
namespace {

// Records owned writes; refuses them while `refuse` is set.
class RecordingStream final : public StreamConnection {
 public:
  void set_handlers(DataFn, CloseFn) override {}
  Error write(ByteView bytes, WriteDoneFn) override {
    if (refuse != Error::ok) return refuse;
    written.emplace_back(bytes.begin(), bytes.end());
    return Error::ok;
  }
  Error write_owned(Bytes& bytes, WriteDoneFn) override {
    if (refuse != Error::ok) return refuse;
    written.push_back(std::move(bytes));
    return Error::ok;
  }
  std::size_t pending_write_bytes() const override { return 0; }
  void pause_reading() override {}
  void resume_reading() override {}
  void close() override {}
  Address local_address() const override { return {}; }
  Address remote_address() const override { return {}; }

  Error refuse = Error::ok;
  std::vector<Bytes> written;
};

TEST(WriteGather, the_default_writes_head_and_tail_as_one_owned_buffer) {
  RecordingStream stream;
  Bytes head{'h', 'e', 'a', 'd'};
  ASSERT_EQ(stream.write_gather(head, SharedBytes(Bytes{'t', 'a', 'i', 'l'}), nullptr), Error::ok);
  ASSERT_EQ(stream.written.size(), 1u);
  EXPECT_EQ(as_text(stream.written[0]), "headtail");
  EXPECT_FALSE(stream.set_shared_handlers(nullptr, nullptr)) << "views unless a backend says otherwise";
}

TEST(WriteGather, a_refused_default_write_leaves_the_head_as_it_was) {
  RecordingStream stream;
  stream.refuse = Error::would_block;
  Bytes head{'h', 'e', 'a', 'd'};
  EXPECT_EQ(stream.write_gather(head, SharedBytes(Bytes(1000, 'x')), nullptr), Error::would_block);
  EXPECT_EQ(as_text(head), "head");
  EXPECT_TRUE(stream.written.empty());
}

}  // namespace
}  // namespace hamirror::io
