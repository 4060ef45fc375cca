// The simulator side of the contract suite: two simulated nodes on one netsim world,
// virtual time, an in-memory disk, scripted programs.
#include "sim/cluster/sim_cluster.h"
#include "tests/io/backend_harness.h"

namespace hamirror::test {
namespace {

constexpr std::uint64_t kContractSeed = 1;
constexpr const char* kScratchDir = "/scratch";
constexpr const char* kPrintProgram = "print-and-exit";
constexpr const char* kSleepProgram = "sleep-a-while";

class SimHarness final : public BackendHarness {
 public:
  SimHarness()
      : cluster_(kContractSeed),
        a_(cluster_.add_node({.name = "a", .hosts = {{"lan", "10.0.0.1"}}})),
        b_(cluster_.add_node({.name = "b", .hosts = {{"lan", "10.0.0.2"}}})) {
    a_.disk().install_directory(kScratchDir);
    // The scripts read their behaviour from the spec, as the real programs do.
    a_.processes().script(kPrintProgram, [](const io::ProcessSpec& spec) {
      return sim::ScriptedRun{.exit_code = std::stoi(spec.args.at(1)), .duration_ns = 5 * io::kNsPerMs, .output = spec.args.at(0)};
    });
    a_.processes().script(kSleepProgram, [](const io::ProcessSpec& spec) {
      return sim::ScriptedRun{.duration_ns = std::stoll(spec.args.at(0)) * io::kNsPerMs};
    });
  }

  io::Io& node_a() override { return a_.io(); }
  io::Io& node_b() override { return b_.io(); }
  std::string host_a() const override { return "10.0.0.1"; }
  std::string host_b() const override { return "10.0.0.2"; }
  std::string scratch_dir() const override { return kScratchDir; }
  io::ProcessSpec printing_program(const std::string& text, int exit_code) override {
    return {.program = kPrintProgram, .args = {text, std::to_string(exit_code)}};
  }
  io::ProcessSpec sleeping_program(std::int64_t duration_ms) override {
    return {.program = kSleepProgram, .args = {std::to_string(duration_ms)}};
  }
  bool run_until(const std::function<bool()>& done, std::int64_t bound_ms) override {
    auto& scheduler = cluster_.scheduler();
    return scheduler.run_until(done, scheduler.now_ns() + bound_ms * io::kNsPerMs);
  }
  void run_for(std::int64_t duration_ms) override { cluster_.scheduler().run_for(duration_ms * io::kNsPerMs); }

 private:
  sim::SimCluster cluster_;
  sim::SimNode& a_;
  sim::SimNode& b_;
};

}  // namespace

std::unique_ptr<BackendHarness> make_sim_harness() { return std::make_unique<SimHarness>(); }

}  // namespace hamirror::test
