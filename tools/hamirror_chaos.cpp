// hamirror-chaos: deterministic fault-injection runs of a two-node cluster (issue #4).
// Each seed draws a whole scenario -- cluster options, clients, faults -- runs a safety
// phase with faults and a liveness phase without, and checks named invariants from the
// outside. A violation prints its seed, the invariant, the last events and the command
// that replays it, and the exit code is 1.
#include <CLI/CLI.hpp>

#include <array>
#include <atomic>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "sim/runner/multi_run.h"

namespace runner = hamirror::sim::runner;

namespace {

constexpr std::size_t kLastEventsShown = 40;
constexpr unsigned kMaxJobs = 256;

// The seed each thread runs, for the abort handler: an assertion in the core stops the
// whole process, and the seed to replay must still be printed.
std::array<std::atomic<std::uint64_t>, kMaxJobs> g_running{};
std::atomic<unsigned> g_jobs{0};
std::string g_replay_flags;

extern "C" void on_abort(int) {
  for (unsigned t = 0; t < g_jobs.load(); ++t) {
    const std::uint64_t seed = g_running[t].load();
    if (seed != 0) std::fprintf(stderr, "hamirror-chaos: aborted while running seed %" PRIu64 ": replay: hamirror-chaos --seed %" PRIu64 "%s\n", seed, seed, g_replay_flags.c_str());
  }
}

// The fault schedule of --schedule FILE or --faults TEXT; false (after saying why) when
// it cannot be read.
bool read_schedule(const std::string& file, const std::string& inline_text, bool from_file, runner::RunOptions& options) {
  std::string text = inline_text;
  if (from_file) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "hamirror-chaos: cannot read the schedule file '%s'\n", file.c_str());
      return false;
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  runner::ParsedSchedule parsed = runner::parse_schedule(text);
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "hamirror-chaos: %s\n", parsed.error.c_str());
    return false;
  }
  options.schedule = std::move(parsed.schedule);
  return true;
}

// The scenario, with the schedule in place of the drawn fault mix when there is one.
std::string describe_run(const runner::Scenario& scenario, const runner::RunOptions& options) {
  std::string text = runner::describe(scenario);
  if (!options.schedule) return text;
  text = text.substr(0, text.find("faults: "));
  return text + "faults: the schedule's " + std::to_string(options.schedule->size()) + ", nothing drawn\n" +
         runner::format_schedule(*options.schedule);
}

bool parse_range(const std::string& text, std::uint64_t& first, std::uint64_t& last) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) return false;
  try {
    std::size_t used = 0;
    first = std::stoull(text.substr(0, dots), &used);
    if (used != dots) return false;
    last = std::stoull(text.substr(dots + 2), &used);
    return used == text.size() - dots - 2 && first <= last;
  } catch (...) {
    return false;
  }
}

void print_violation(const runner::RunResult& result, const runner::RunOptions& options) {
  const auto& v = *result.violation;
  std::printf("\nVIOLATION seed=%" PRIu64 " invariant=%s at %.3fs\n  %s\n", result.seed, v.invariant.c_str(),
              static_cast<double>(v.at_ns) / 1e9, v.detail.c_str());
  std::printf("scenario:\n%s", describe_run(result.scenario, options).c_str());
  if (!options.schedule) {
    std::printf("faults injected:\n%s",
                runner::format_schedule(result.faults_injected).c_str());
  }
  const auto& events = result.last_events;
  if (!events.empty()) {
    std::printf("last events:\n");
    const std::size_t from = events.size() > kLastEventsShown ? events.size() - kLastEventsShown : 0;
    for (std::size_t i = from; i < events.size(); ++i) std::printf("  %s\n", events[i].c_str());
  }
  runner::RunOptions replay = options;
  replay.seed = result.seed;
  std::printf("replay: %s\n", runner::replay_command(replay).c_str());
}

void print_stats(const runner::RunStats& s, std::uint64_t seeds, double wall_s) {
  const double simulated_s = static_cast<double>(s.simulated_ns) / 1e9;
  std::printf("seeds: %" PRIu64 ", simulated %.1f s, wall %.2f s, sim/wall %.0fx, %.2f seeds/s\n", seeds, simulated_s,
              wall_s, wall_s > 0 ? simulated_s / wall_s : 0.0, wall_s > 0 ? static_cast<double>(seeds) / wall_s : 0.0);
  std::printf("faults:");
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < runner::kFaultKinds; ++k) {
    total += s.faults[k];
    if (s.faults[k] != 0) {
      std::printf(" %s=%" PRIu64, std::string(runner::fault_kind_name(static_cast<runner::FaultKind>(k))).c_str(), s.faults[k]);
    }
  }
  std::printf(" (total %" PRIu64 ")\n", total);
  std::printf("client ops: %" PRIu64 " submitted, %" PRIu64 " acknowledged (%" PRIu64 " writes)\n", s.ops_submitted,
              s.ops_acknowledged, s.writes_acknowledged);
  std::printf("failovers: %" PRIu64 ", primary changes: %" PRIu64 ", reintegrations: %" PRIu64 " fast, %" PRIu64 " full\n",
              s.failovers, s.primary_changes, s.reintegrations_fast, s.reintegrations_full);
  std::printf("divergences (split brains) detected: %" PRIu64 ", their lost acknowledged ops: %" PRIu64 "\n", s.divergences,
              s.split_brain_lost_acks);
  std::printf("double failures: %" PRIu64 " (unsynced acknowledged ops allowed lost: %" PRIu64 "), admin prims refused: %" PRIu64
              "\nVIP held twice: %" PRIu64 " times by a frozen node, %" PRIu64 " times without a witness; events: %" PRIu64 "\n",
              s.double_failures, s.unsynced_acks_demoted, s.admin_prims_refused, s.frozen_vip_overlaps,
              s.vip_overlaps_without_witness, s.events);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hamirror-chaos: deterministic fault-injection runs of a simulated two-node hamirror cluster.\n"
               "Each seed draws cluster options, a workload and faults; invariants are checked from the outside."};
  runner::RunOptions options;
  std::uint64_t seed = 1;
  std::string seeds;
  std::string canary = "none";
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  bool trace = false;
  bool determinism = false;
  bool fail_fast = false;
  bool quiet = false;
  bool list_configs = false;
  auto* seed_option = app.add_option("--seed", seed, "run this one seed");
  auto* seeds_option = app.add_option("--seeds", seeds, "run seeds A..B (inclusive) on --jobs threads");
  seed_option->excludes(seeds_option);
  app.add_option("--duration", options.duration_s, "simulated seconds of the safety phase (faults)")
      ->capture_default_str()->check(CLI::Range(1, 86400));
  app.add_option("--liveness", options.liveness_budget_s, "simulated seconds the cluster has to converge afterwards")
      ->capture_default_str()->check(CLI::Range(10, 86400));
  app.add_option("--config", options.preset, "a named cluster configuration instead of a random one (see --list-configs)");
  app.add_flag("--list-configs", list_configs, "list the named configurations and exit");
  std::string canary_names;
  for (const runner::Canary c : runner::kCanaries) canary_names += (canary_names.empty() ? "" : ", ") + std::string(runner::canary_name(c));
  app.add_option("--canary", canary, "plant a bug the checks must find: " + canary_names);
  std::vector<std::string> without;
  std::string schedule_file;
  std::string schedule_text;
  auto* schedule_option = app.add_option("--schedule", schedule_file,
                                         "inject exactly the faults of this file, one per line "
                                         "('t=12.340s partition_full node1 for 2.100s'), instead of drawing them");
  auto* faults_option = app.add_option("--faults", schedule_text, "the same as --schedule, inline: faults separated by ';'");
  schedule_option->excludes(faults_option);
  app.add_option("--without", without, "fault kinds never to inject, comma-separated (e.g. disk_eio,admin_prim)")->delimiter(',');
  bool no_mode_ops = false;
  app.add_flag("--no-mode-ops", no_mode_ops, "the workload issues no chmod, mkdir or rmdir (runs as before they existed)");
  std::vector<std::uint64_t> skip;
  app.add_option("--skip", skip, "seeds --seeds leaves out (open findings), comma-separated")->delimiter(',');
  app.add_flag("--trace", trace, "print every event of the run as it happens (one seed)");
  app.add_option("--jobs", jobs, "threads for --seeds (each seed runs on one)")->capture_default_str()->check(CLI::Range(1u, kMaxJobs));
  app.add_flag("--check-determinism", determinism, "run each seed twice; a different trace hash is a violation");
  app.add_flag("--fail-fast", fail_fast, "stop at the first violation");
  app.add_flag("--quiet", quiet, "no line per seed, only violations and the summary");
  CLI11_PARSE(app, argc, argv);

  if (list_configs) {
    for (const auto& name : runner::preset_names()) std::printf("%-18s %s\n", name.c_str(), runner::preset_description(name).c_str());
    return 0;
  }
  const auto planted = runner::canary_from_name(canary);
  if (!planted) {
    std::fprintf(stderr, "hamirror-chaos: unknown canary '%s'\n", canary.c_str());
    return 2;
  }
  options.canary = *planted;
  options.mode_ops = !no_mode_ops;
  for (const auto& name : without) {
    const auto kind = runner::fault_kind_from_name(name);
    if (!kind) {
      std::fprintf(stderr, "hamirror-chaos: unknown fault kind '%s' in --without\n", name.c_str());
      return 2;
    }
    options.without.push_back(*kind);
  }
  if (schedule_option->count() + faults_option->count() != 0) {
    if (!options.without.empty()) {
      std::fprintf(stderr, "hamirror-chaos: --without leaves drawn fault kinds out; a schedule draws none\n");
      return 2;
    }
    if (!read_schedule(schedule_file, schedule_text, schedule_option->count() != 0, options)) return 2;
  }
  if (!options.preset.empty() && !runner::draw_scenario(1, options.preset)) {
    std::fprintf(stderr, "hamirror-chaos: unknown --config '%s' (see --list-configs)\n", options.preset.c_str());
    return 2;
  }

  if (seeds_option->count() == 0) {
    options.seed = seed;
    options.echo_trace = trace;
    std::printf("hamirror-chaos: seed %" PRIu64 "\n%s", seed,
                describe_run(*runner::draw_scenario(seed, options.preset), options).c_str());
    std::fflush(stdout);
    const runner::RunResult result = runner::run_one(options, determinism);
    std::printf("seed=%" PRIu64 " trace=%016" PRIx64 " %s\n", result.seed, result.trace_hash,
                result.violation ? ("VIOLATION " + result.violation->invariant).c_str() : "ok");
    print_stats(result.stats, 1, result.wall_s);
    if (result.stats.converged_after_ns >= 0) {
      std::printf("converged %.1f s into the liveness phase\n", static_cast<double>(result.stats.converged_after_ns) / 1e9);
    }
    if (result.violation) print_violation(result, options);
    return result.violation ? 1 : 0;
  }

  runner::MultiRunOptions multi;
  if (!parse_range(seeds, multi.first_seed, multi.last_seed)) {
    std::fprintf(stderr, "hamirror-chaos: --seeds wants A..B with A <= B, got '%s'\n", seeds.c_str());
    return 2;
  }
  if (trace) {
    std::fprintf(stderr, "hamirror-chaos: --trace prints one seed's events: use it with --seed\n");
    return 2;
  }
  multi.threads = jobs;
  multi.skip = skip;
  g_jobs = jobs;
  {
    runner::RunOptions flags = options;
    flags.seed = 0;
    const std::string command = runner::replay_command(flags);
    const std::string head = "hamirror-chaos --seed 0";
    g_replay_flags = command.substr(head.size());
  }
  std::signal(SIGABRT, on_abort);
  multi.on_start = [](unsigned thread, std::uint64_t s) { g_running[thread] = s; };
  multi.base = options;
  multi.check_determinism = determinism;
  multi.stop_at_first_violation = fail_fast;
  multi.on_result = [&](const runner::RunResult& r) {
    if (r.violation) print_violation(r, options);
    else if (!quiet) {
      std::printf("seed %" PRIu64 ": ok trace=%016" PRIx64 " %.1f s simulated, %" PRIu64 " acks, %.2f s wall\n", r.seed,
                  r.trace_hash, static_cast<double>(r.stats.simulated_ns) / 1e9, r.stats.ops_acknowledged, r.wall_s);
    }
    std::fflush(stdout);
  };
  const runner::MultiRunSummary summary = runner::run_seeds(multi);
  std::printf("\nsummary (%u threads):\n", multi.threads);
  print_stats(summary.stats, summary.seeds_run, summary.wall_s);
  std::printf("violations: %zu\n", summary.failures.size());
  for (const auto& f : summary.failures) {
    runner::RunOptions replay = options;
    replay.seed = f.seed;
    std::printf("  seed %" PRIu64 ": %s -- %s\n", f.seed, f.violation->invariant.c_str(), runner::replay_command(replay).c_str());
  }
  return summary.failures.empty() ? 0 : 1;
}
