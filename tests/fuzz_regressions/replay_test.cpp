// Replays, in the ordinary build, every fuzz target over its seed corpus (fuzz/corpus/<target>/) and
// over every input that once made it fail (tests/fuzz_regressions/<target>/). A failure aborts the
// process, so ctest reports it; the test name says which target was running.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_target.hpp"

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `function` over every regular file in `directory`; returns how many it ran.
std::size_t replay_directory(const fs::path& directory, twiml_fuzz::target_function function) {
  std::size_t count = 0;
  if (!fs::is_directory(directory)) return 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    SCOPED_TRACE(entry.path().string());
    function(read_file(entry.path()));
    ++count;
  }
  return count;
}

class FuzzReplay : public testing::TestWithParam<std::pair<std::string, twiml_fuzz::target_function>> {};

TEST_P(FuzzReplay, CorpusAndRegressionsPass) {
  const auto& [name, function] = GetParam();
  const fs::path source = TWIML_SOURCE_DIR;
  const std::size_t seeds = replay_directory(source / "fuzz" / "corpus" / name, function);
  const std::size_t regressions = replay_directory(source / "tests" / "fuzz_regressions" / name, function);
  EXPECT_GT(seeds, 0u) << "every target needs a seed corpus in fuzz/corpus/" << name;
  RecordProperty("seeds", static_cast<int>(seeds));
  RecordProperty("regressions", static_cast<int>(regressions));
}

// An empty input and a few odd ones, which every target must survive whatever its corpus holds.
TEST_P(FuzzReplay, DegenerateInputsPass) {
  const auto& [name, function] = GetParam();
  using namespace std::string_view_literals;
  for (std::string_view input : {""sv, "\n"sv, "\n\n\n\n\n\n\n\n\n"sv, "\0"sv, "\xff\xfe"sv, "%"sv, "%%\n%0\n%zz"sv}) {
    function(input);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, testing::ValuesIn(twiml_fuzz::registered_targets()),
                         [](const auto& info) { return info.param.first; });

}  // namespace
