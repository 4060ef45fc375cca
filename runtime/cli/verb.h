// How the hamirror command is put together: each verb group (confcheck, later state,
// start/stop, prim/second/swap, ...) lives in its own file, adds its subcommand to the
// app and says what to run once the command line is parsed.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace hamirror::cli {

// Exit codes shared by every verb (state has its own: SafeKit's STOP 0 ... SECOND 4).
constexpr int kExitOk = 0;
constexpr int kExitConfigErrors = 2;
constexpr int kExitUsage = 64;  // EX_USAGE

struct Verb {
  CLI::App* subcommand = nullptr;
  std::function<int()> run;  // called when `subcommand` was given; returns the exit code
};

using Verbs = std::vector<Verb>;

}  // namespace hamirror::cli
