// The libuv side of the contract suite: one real loop, 127.0.0.1 only, a fresh
// temporary directory removed at the end.
#include <uv.h>

#include <filesystem>
#include <random>

#include "tests/io/backend_harness.h"
#include "tests/io/uv_programs.h"
#include "uv/uv_backend.h"

namespace hamirror::test {
namespace {

// Owns the loop. Destroyed last: it lets every handle the test closed finish closing,
// then closes the loop, which frees libuv's own allocations.
struct OwnedLoop {
  OwnedLoop() { uv_loop_init(&loop); }
  ~OwnedLoop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    const int closed = uv_loop_close(&loop);
    if (closed != 0) ADD_FAILURE() << "the test left libuv handles open: " << uv_strerror(closed);
  }
  uv_loop_t loop;
};

class UvHarness final : public BackendHarness {
 public:
  UvHarness() : backend_(&owned_.loop), io_(backend_.io()) {
    std::random_device random;  // test scaffolding only: names a unique scratch directory
    scratch_ = std::filesystem::temp_directory_path() / ("hamirror-contract-" + std::to_string(random()));
    std::filesystem::create_directories(scratch_);
  }
  ~UvHarness() override {
    std::error_code ignored;
    std::filesystem::remove_all(scratch_, ignored);
  }

  io::Io& node_a() override { return io_; }
  io::Io& node_b() override { return io_; }
  std::string host_a() const override { return "127.0.0.1"; }
  std::string host_b() const override { return "127.0.0.1"; }
  std::string scratch_dir() const override { return scratch_.string(); }
  io::ProcessSpec printing_program(const std::string& text, int exit_code) override {
    return uv_printing_program(text, exit_code);
  }
  io::ProcessSpec sleeping_program(std::int64_t duration_ms) override { return uv_sleeping_program(duration_ms); }
  bool run_until(const std::function<bool()>& done, std::int64_t bound_ms) override {
    return backend_.run_until(done, bound_ms);
  }
  void run_for(std::int64_t duration_ms) override {
    backend_.run_until([] { return false; }, duration_ms);
  }

 private:
  OwnedLoop owned_;  // first: the backend's handles live on it
  uv::UvBackend backend_;
  io::Io io_;
  std::filesystem::path scratch_;
};

}  // namespace

std::unique_ptr<BackendHarness> make_uv_harness() { return std::make_unique<UvHarness>(); }

}  // namespace hamirror::test
