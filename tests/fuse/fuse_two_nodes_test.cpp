// Two real core::Node on one libuv loop (its own thread), 127.0.0.1 sockets, real
// directories, and a FUSE mount on the primary: what an application does through the
// mount — echo, dd with 1 MiB blocks, a rename and an unlink of open files, mkdir,
// rmdir, truncate, fsync, chmod — ends up byte for byte (and mode for mode) on the
// secondary's copy. A mount on
// the secondary is read-only and shows the replicated data.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/node/node.h"
#include "tests/daemon/free_port.h"
#include "tests/fuse/fuse_test_support.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;
using core::NodeState;

constexpr int kSettleMs = 20'000;

// What the daemon does: the node's write path, writable while ALONE or PRIM.
class NodeSink final : public fuse::WriteSink {
 public:
  io::Error submit(core::FileOp op, DoneFn done) override { return node->submit(std::move(op), std::move(done)); }
  bool writable() const override { return writable_now; }

  core::Node* node = nullptr;
  std::atomic<bool> writable_now{false};
};

class FuseOnTwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_FUSE();
    for (const std::string name : {"node1", "node2"}) {
      heartbeat_ports_[name] = free_udp_port();
      replication_ports_[name] = free_tcp_port();
      fs::create_directories(state(name));
      fs::create_directories(mount_point(name));
    }
    loop_.emplace();
    loop_->run([this] {
      backend_ = std::make_unique<uv::UvBackend>(loop_->loop());
      io_.emplace(backend_->io());
      for (const std::string name : {"node1", "node2"}) start_node(name);
    });
    ASSERT_TRUE(eventually([this] { return !settled_primary().empty(); }, kSettleMs)) << "no PRIM with a synchronised SECOND";
    primary_ = settled_primary();
    secondary_ = primary_ == "node1" ? "node2" : "node1";
  }

  void TearDown() override {
    if (!loop_) return;
    int stopped = 0;
    loop_->run([&] {
      mounts_.clear();
      for (auto& [name, node] : nodes_) node->stop([&stopped] { ++stopped; });
    });
    EXPECT_TRUE(eventually([&] { return on_loop<int>([&] { return stopped; }) == 2; }, kSettleMs));
    loop_->run([&] {
      nodes_.clear();
      sinks_.clear();
      io_.reset();
      backend_.reset();
    });
    loop_.reset();
    if (HasFailure()) {
      for (const auto& line : log_) std::printf("%s\n", line.c_str());
    }
  }

  fs::path data(const std::string& name) const { return dirs_.path(name + "/data"); }
  fs::path state(const std::string& name) const { return dirs_.path(name + "/state"); }
  fs::path mount_point(const std::string& name) const { return dirs_.path(name + "/mnt"); }
  std::string at(const std::string& name) const { return (mount_point(primary_) / name).string(); }

  void start_node(const std::string& name) {
    const std::string peer = name == "node1" ? "node2" : "node1";
    fs::create_directories(data(name));
    auto sink = std::make_unique<NodeSink>();
    NodeSink* sink_ptr = sink.get();
    sinks_[name] = std::move(sink);
    core::NodeConfig config{
        .name = name,
        .peer = peer,
        .heartbeat_networks = {{"default", {"127.0.0.1", heartbeat_ports_[name]}, {"127.0.0.1", heartbeat_ports_[peer]}}},
        .pulse_ms = 100,
        .timeout_ms = 1500,
        .replication_local = {"127.0.0.1", replication_ports_[name]},
        .replication_peer = {"127.0.0.1", replication_ports_[peer]},
        .roots = {data(name).string()},
        .state_dir = state(name).string(),
    };
    nodes_[name] = std::make_unique<core::Node>(
        *io_, std::move(config),
        core::Node::Listener{
            .on_state_change =
                [this, name, sink_ptr](NodeState from, NodeState to, const std::string& reason) {
                  sink_ptr->writable_now = to == NodeState::prim || to == NodeState::alone;
                  log_.push_back(name + ": " + std::string(core::node_state_name(from)) + " -> " +
                                 std::string(core::node_state_name(to)) + ": " + reason);
                },
            .on_log = [this, name](const std::string& line) { log_.push_back(name + ": " + line); }});
    sink_ptr->node = nodes_[name].get();
    nodes_[name]->start();
  }

  std::string settled_primary() {
    return on_loop<std::string>([this] {
      for (const auto& [name, node] : nodes_) {
        const std::string peer = name == "node1" ? "node2" : "node1";
        if (node->state() == NodeState::prim && nodes_.at(peer)->synchronised() && !node->reintegration_progress()) {
          return name;
        }
      }
      return std::string();
    });
  }

  std::string mount(const std::string& name) {
    std::string result;
    loop_->run([&] {
      auto mounted = std::make_unique<fuse::FuseMount>(loop_->loop(), mount_point(name).string(), data(name).string(), 0,
                                                       *sinks_.at(name),
                                                       [this, name](const std::string& line) { log_.push_back(name + ": " + line); });
      result = mounted->start();
      mounts_[name] = std::move(mounted);
    });
    return result;
  }

  template <typename T>
  T on_loop(const std::function<T()>& read) {
    T value{};
    loop_->run([&] { value = read(); });
    return value;
  }

  // The contents of the files kept for open descriptors after an unlink.
  static std::vector<std::string> hidden_files(const fs::path& copy) {
    std::vector<std::string> contents;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(copy / ".hamirror-unlinked", error)) {
      contents.push_back(read_file(entry.path()));
    }
    return contents;
  }

  void expect_identical_copies() {
    EXPECT_EQ(snapshot(data(primary_)), snapshot(data(secondary_)));
  }

  ScratchDirs dirs_;
  std::map<std::string, std::uint16_t> heartbeat_ports_;
  std::map<std::string, std::uint16_t> replication_ports_;
  std::optional<LoopThread> loop_;
  // Loop thread only.
  std::unique_ptr<uv::UvBackend> backend_;
  std::optional<io::Io> io_;
  std::map<std::string, std::unique_ptr<NodeSink>> sinks_;
  std::map<std::string, std::unique_ptr<core::Node>> nodes_;
  std::map<std::string, std::unique_ptr<fuse::FuseMount>> mounts_;
  std::vector<std::string> log_;
  std::string primary_;
  std::string secondary_;
};

TEST_F(FuseOnTwoNodes, what_applications_do_through_the_primary_mount_ends_up_identical_on_the_secondary) {
  ASSERT_EQ(mount(primary_), "");
  ASSERT_EQ(std::system(("echo hello > " + at("hello.txt")).c_str()), 0);
  ASSERT_EQ(std::system(("dd if=/dev/urandom of=" + at("big.bin") + " bs=1M count=4 conv=fsync status=none").c_str()), 0);
  ASSERT_EQ(::mkdir(at("dir").c_str(), 0755), 0) << std::strerror(errno);
  ASSERT_EQ(::mkdir(at("gone").c_str(), 0755), 0);
  ASSERT_EQ(::rmdir(at("gone").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(::truncate(at("hello.txt").c_str(), 4), 0) << std::strerror(errno);

  // Renamed while open: written through the descriptor under its new name.
  const int renamed = ::open(at("draft.txt").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  ASSERT_GE(renamed, 0) << std::strerror(errno);
  ASSERT_EQ(::write(renamed, "draft ", 6), 6);
  ASSERT_EQ(::rename(at("draft.txt").c_str(), at("dir/final.txt").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(::write(renamed, "final", 5), 5);
  EXPECT_EQ(::fsync(renamed), 0) << std::strerror(errno);
  ::close(renamed);

  // Unlinked while open: still written and read, on both copies, until closed.
  const int doomed = ::open(at("doomed.txt").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  ASSERT_GE(doomed, 0);
  ASSERT_EQ(::unlink(at("doomed.txt").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(::write(doomed, "unlinked but open", 17), 17) << std::strerror(errno);
  char back[32] = {};
  EXPECT_EQ(::pread(doomed, back, sizeof back, 0), 17);
  EXPECT_STREQ(back, "unlinked but open");
  EXPECT_EQ(::fdatasync(doomed), 0) << std::strerror(errno);
  EXPECT_EQ(hidden_files(data(secondary_)), std::vector<std::string>{"unlinked but open"});
  EXPECT_EQ(hidden_files(data(primary_)), std::vector<std::string>{"unlinked but open"});
  ::close(doomed);

  EXPECT_EQ(read_file(at("hello.txt")), "hell");
  EXPECT_EQ(read_file(at("dir/final.txt")), "draft final");
  EXPECT_EQ(fs::file_size(at("big.bin")), 4u * 1024 * 1024);
  EXPECT_TRUE(eventually([&] { return hidden_files(data(primary_)).empty() && hidden_files(data(secondary_)).empty(); }))
      << "the unlink at the last close was not replicated";
  expect_identical_copies();
  EXPECT_EQ(snapshot(data(primary_)).size(), 5u);  // hello.txt big.bin dir dir/final.txt .hamirror-unlinked
}

TEST_F(FuseOnTwoNodes, a_chmod_on_the_primary_mount_gives_the_secondarys_copy_that_mode) {
  ASSERT_EQ(mount(primary_), "");
  write_file(at("file"), "data");
  ASSERT_EQ(std::system(("chmod 0750 " + at("file")).c_str()), 0);
  struct stat attr {};
  ASSERT_EQ(::stat((data(secondary_) / "file").c_str(), &attr), 0) << std::strerror(errno);
  EXPECT_EQ(attr.st_mode & 07777, 0750u) << "acknowledged by the secondary before chmod returned";
  expect_identical_copies();
}

TEST_F(FuseOnTwoNodes, a_file_created_0600_and_a_directory_made_0700_on_the_primary_mount_have_those_modes_on_the_secondary) {
  ASSERT_EQ(mount(primary_), "");
  const int key = ::open(at("key.pem").c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(key, 0) << std::strerror(errno);
  ASSERT_EQ(::write(key, "secret", 6), 6);
  ::close(key);
  ASSERT_EQ(::mkdir(at("private").c_str(), 0700), 0) << std::strerror(errno);
  for (const auto& [name, mode] : {std::pair<std::string, unsigned>{"key.pem", 0600}, {"private", 0700}}) {
    struct stat attr {};
    ASSERT_EQ(::stat((data(secondary_) / name).c_str(), &attr), 0) << name << ": " << std::strerror(errno);
    EXPECT_EQ(attr.st_mode & 07777, mode) << name << ": acknowledged by the secondary before the call returned";
  }
  expect_identical_copies();
}

TEST_F(FuseOnTwoNodes, a_mount_on_the_secondary_is_read_only_and_shows_the_replicated_data) {
  ASSERT_EQ(mount(primary_), "");
  ASSERT_EQ(mount(secondary_), "");
  write_file(at("shared.txt"), "from the primary");
  const fs::path on_secondary = mount_point(secondary_) / "shared.txt";
  EXPECT_EQ(read_file(on_secondary), "from the primary");
  EXPECT_EQ(::open(on_secondary.c_str(), O_WRONLY | O_CLOEXEC), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::mkdir((mount_point(secondary_) / "dir").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::chmod(on_secondary.c_str(), 0600), -1);
  EXPECT_EQ(errno, EROFS);
  expect_identical_copies();
}

}  // namespace
}  // namespace hamirror::test
