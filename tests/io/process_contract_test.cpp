#include "tests/io/await.h"
#include "tests/io/backend_harness.h"

namespace hamirror::test {
namespace {

using ProcessContract = ContractTest;

TEST_P(ProcessContract, a_program_reports_its_exit_code_and_output) {
  auto result = await<io::Result<io::ProcessResult>>(
      harness(), [&](auto done) { a().processes.run(harness().printing_program("started", 3), done); }, 20000);
  ASSERT_TRUE(result.ok()) << io::error_name(result.error());
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->output, "started");
}

TEST_P(ProcessContract, a_program_that_outlives_its_timeout_is_killed_and_reported) {
  auto spec = harness().sleeping_program(30'000);
  spec.timeout_ms = 200;
  auto result = await<io::Result<io::ProcessResult>>(harness(), [&](auto done) { a().processes.run(spec, done); }, 20000);
  ASSERT_TRUE(result.ok()) << io::error_name(result.error());
  EXPECT_TRUE(result->timed_out);
}

TEST_P(ProcessContract, a_program_that_does_not_exist_fails_to_start) {
  io::ProcessSpec spec{.program = "hamirror-no-such-program-4711"};
  auto result = await<io::Result<io::ProcessResult>>(harness(), [&](auto done) { a().processes.run(spec, done); });
  EXPECT_EQ(result.error(), io::Error::not_found);
}

HM_CONTRACT_SUITE(ProcessContract);

}  // namespace
}  // namespace hamirror::test
