// The worst-case memory serve can need, against the memory limit of its cgroup: the arithmetic of
// docs/deployment.md as code, and the cgroup files read as systemd and containers lay them out.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/util/cgroup.hpp"

namespace twiml_redirect {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

config::service_config defaults() { return config::parse_config("{}", [](const std::string&) { return std::nullopt; }); }

TEST(MemoryBudget, DefaultsAreTheDocumentedEightySixMebibytes) {
  const auto budget = config::worst_case_memory(defaults());
  EXPECT_EQ(budget.per_connection, 40u * 1024);  // 16 KiB body + 8 KiB header + 16 KiB state
  EXPECT_EQ(budget.connections, 2'000u * 40 * 1024);
  EXPECT_EQ(budget.store, 0u) << "no CALL_CONTEXT_TOKEN: the store keeps nothing";
  EXPECT_EQ(budget.total() / kMiB, 86u);
  EXPECT_EQ(config::memory_fit_problem(defaults(), 128 * kMiB), std::nullopt) << "the shipped pod's limit";
}

TEST(MemoryBudget, TheMemoryStoreCountsOnlyWhenItKeepsRecords) {
  auto config = defaults();
  config.context.token = std::string(32, 't');
  EXPECT_EQ(config::worst_case_memory(config).store, 32 * kMiB);
  EXPECT_EQ(config::memory_fit_problem(config, 128 * kMiB), std::nullopt) << "86 + 32 MiB fit in 128";
  config.context.store = config::context_store::redis;
  EXPECT_EQ(config::worst_case_memory(config).store, 0u);
}

TEST(MemoryBudget, TooSmallALimitIsNamedWithTheKeysToChange) {
  auto config = defaults();
  config.context.token = std::string(32, 't');
  config.server.max_connections = 10'000;
  const auto problem = config::memory_fit_problem(config, 128 * kMiB);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(*problem,
            "the worst case memory, 8.0 MiB at rest + server.max_connections (10000) x 40 KiB + context.max_bytes "
            "(32.0 MiB) = 430.6 MiB, is more than this process's memory limit of 128.0 MiB (cgroup memory.max): "
            "under a flood of slow clients it would be killed. Lower server.max_connections, "
            "server.body_limit_bytes or context.max_bytes, or raise the limit");
  EXPECT_EQ(config::memory_fit_problem(config, 431 * kMiB), std::nullopt);
}

// A scratch cgroupfs: files written where the reader looks.
class CgroupFiles : public ::testing::Test {
 protected:
  CgroupFiles()
      : root_(std::filesystem::temp_directory_path() / ("cgroup-test-" + std::to_string(std::random_device{}()))) {
    std::filesystem::create_directories(root_);
  }
  ~CgroupFiles() override { std::filesystem::remove_all(root_); }

  void write(const std::filesystem::path& relative, const std::string& text) {
    std::filesystem::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }
  std::optional<std::uint64_t> limit() { return util::cgroup_memory_limit(root_ / "fs", root_ / "self"); }

  std::filesystem::path root_;
};

TEST_F(CgroupFiles, SystemdUnitsLimitIsInTheProcessOwnCgroup) {
  write("self", "0::/system.slice/twiml-redirect.service\n");
  write("fs/memory.max", "max\n");
  write("fs/system.slice/twiml-redirect.service/memory.max", "402653184\n");
  EXPECT_EQ(limit(), 384 * kMiB);
}

TEST_F(CgroupFiles, ContainerSeesItsLimitAtTheRoot) {
  write("self", "0::/\n");
  write("fs/memory.max", "134217728\n");
  EXPECT_EQ(limit(), 128 * kMiB);
}

TEST_F(CgroupFiles, NoLimitOrNoCgroupV2IsNone) {
  write("self", "0::/user.slice\n");
  write("fs/user.slice/memory.max", "max\n");
  EXPECT_EQ(limit(), std::nullopt);
  write("self", "12:memory:/docker/abc\n");  // cgroup v1 only
  std::filesystem::remove_all(root_ / "fs");
  EXPECT_EQ(limit(), std::nullopt);
  write("fs/memory.max", "12x\n");
  EXPECT_EQ(limit(), std::nullopt) << "not a number";
}

}  // namespace
}  // namespace twiml_redirect
