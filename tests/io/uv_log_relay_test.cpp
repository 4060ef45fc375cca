// LogRelay: lines the platform layer reports from other threads (the VIP's gratuitous
// ARP result) reach the backend owner's log on the loop thread, within a bound.
#include "uv/uv_log_relay.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace hamirror::uv {
namespace {

struct Logged {
  io::Severity severity;
  std::string line;
  std::thread::id thread;
};

class LogRelayTest : public ::testing::Test {
 protected:
  LogRelayTest() {
    uv_loop_init(&loop_);
    relay_ = std::make_unique<LogRelay>(&loop_, [this](io::Severity severity, const std::string& line) {
      logged_.push_back({severity, line, std::this_thread::get_id()});
    });
  }
  ~LogRelayTest() override {
    relay_->close();
    uv_run(&loop_, UV_RUN_NOWAIT);  // the async handle's close
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }

  // Runs the loop until `count` lines were logged or 5 s passed (a ticking timer keeps
  // the loop turning: the relay's own handle does not hold it).
  bool run_until_logged(std::size_t count) {
    uv_timer_t tick;
    uv_timer_init(&loop_, &tick);
    uv_timer_start(&tick, [](uv_timer_t*) {}, 5, 5);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (logged_.size() < count && std::chrono::steady_clock::now() < deadline) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return logged_.size() >= count;
  }

  uv_loop_t loop_;
  std::vector<Logged> logged_;
  std::unique_ptr<LogRelay> relay_;  // after the loop's init
};

TEST_F(LogRelayTest, a_line_posted_from_another_thread_is_logged_on_the_loop_thread) {
  std::thread([this] { relay_->post(io::Severity::warn, "gratuitous ARP failed"); }).join();
  ASSERT_TRUE(run_until_logged(1));
  EXPECT_EQ(logged_[0].severity, io::Severity::warn);
  EXPECT_EQ(logged_[0].line, "gratuitous ARP failed");
  EXPECT_EQ(logged_[0].thread, std::this_thread::get_id());
}

TEST_F(LogRelayTest, lines_beyond_the_bound_are_counted_and_reported_as_dropped) {
  std::thread([this] {
    for (std::size_t i = 0; i < kMaxRelayedLines + 3; ++i) relay_->post(io::Severity::info, "line " + std::to_string(i));
  }).join();
  ASSERT_TRUE(run_until_logged(kMaxRelayedLines + 1));
  EXPECT_EQ(logged_.size(), kMaxRelayedLines + 1);
  EXPECT_EQ(logged_.back().line, "3 platform log lines dropped (too many at once)");
  EXPECT_EQ(logged_.back().severity, io::Severity::warn);
}

TEST_F(LogRelayTest, lines_still_queued_at_close_are_logged_by_it) {
  relay_->post(io::Severity::info, "posted just before the backend goes");
  relay_->close();
  ASSERT_EQ(logged_.size(), 1u);
  EXPECT_EQ(logged_[0].line, "posted just before the backend goes");
}

}  // namespace
}  // namespace hamirror::uv
