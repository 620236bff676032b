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

// Parameterised by target name, so test names read Targets/FuzzReplay.X/<target>.
class FuzzReplay : public testing::TestWithParam<std::string> {
 protected:
  twiml_fuzz::target_function function() const {
    for (const auto& [name, function] : twiml_fuzz::registered_targets())
      if (name == GetParam()) return function;
    return nullptr;
  }
};

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const auto& target : twiml_fuzz::registered_targets()) names.push_back(target.first);
  return names;
}

TEST_P(FuzzReplay, CorpusAndRegressionsPass) {
  const std::string& name = GetParam();
  const twiml_fuzz::target_function function = this->function();
  const fs::path source = TWIML_SOURCE_DIR;
  const std::size_t seeds = replay_directory(source / "fuzz" / "corpus" / name, function);
  const std::size_t regressions = replay_directory(source / "tests" / "fuzz_regressions" / name, function);
  EXPECT_GT(seeds, 0u) << "every target needs a seed corpus in fuzz/corpus/" << name;
  RecordProperty("seeds", static_cast<int>(seeds));
  RecordProperty("regressions", static_cast<int>(regressions));
}

// An empty input and a few odd ones, which every target must survive whatever its corpus holds.
TEST_P(FuzzReplay, DegenerateInputsPass) {
  const twiml_fuzz::target_function function = this->function();
  using namespace std::string_view_literals;
  for (std::string_view input : {""sv, "\n"sv, "\n\n\n\n\n\n\n\n\n"sv, "\0"sv, "\xff\xfe"sv, "%"sv, "%%\n%0\n%zz"sv}) {
    function(input);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, testing::ValuesIn(target_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
