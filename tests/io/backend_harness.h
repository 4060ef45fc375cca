// The contract suite runs every case against both backends through this harness:
// libuv (real time, real sockets on 127.0.0.1, a real temporary directory) and the
// simulator (virtual time, netsim, fsim). A case sees only io:: interfaces.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "io/io.h"

namespace hamirror::test {

class BackendHarness {
 public:
  virtual ~BackendHarness() = default;

  // Two nodes' bundles: for libuv both share one loop; in the simulator they are two
  // simulated hosts joined by a network.
  virtual io::Io& node_a() = 0;
  virtual io::Io& node_b() = 0;
  virtual std::string host_a() const = 0;
  virtual std::string host_b() const = 0;
  // An existing, empty directory on node A's file system.
  virtual std::string scratch_dir() const = 0;
  // A program that prints `text` to stdout and exits with `exit_code`, and one that
  // runs for `duration_ms` then exits 0 (scripted in the simulator).
  virtual io::ProcessSpec printing_program(const std::string& text, int exit_code) = 0;
  virtual io::ProcessSpec sleeping_program(std::int64_t duration_ms) = 0;
  // Runs the backend until done() holds or bound_ms passed (virtual time in the
  // simulator, real time for libuv); returns done().
  virtual bool run_until(const std::function<bool()>& done, std::int64_t bound_ms) = 0;
  // Lets pending work run for about `duration_ms`, to check that nothing happens.
  virtual void run_for(std::int64_t duration_ms) = 0;
};

std::unique_ptr<BackendHarness> make_uv_harness();
std::unique_ptr<BackendHarness> make_sim_harness();

// Base fixture: the parameter names the backend ("uv" or "sim").
class ContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { harness_ = GetParam() == "uv" ? make_uv_harness() : make_sim_harness(); }
  void TearDown() override { harness_.reset(); }

  BackendHarness& harness() { return *harness_; }
  io::Io& a() { return harness_->node_a(); }
  io::Io& b() { return harness_->node_b(); }
  bool run_until(const std::function<bool()>& done, std::int64_t bound_ms = 5000) {
    return harness_->run_until(done, bound_ms);
  }

 private:
  std::unique_ptr<BackendHarness> harness_;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

#define HM_CONTRACT_SUITE(Suite) \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("uv", "sim"), ::hamirror::test::backend_name)

}  // namespace hamirror::test
