#include "twiml_redirect/util/cgroup.hpp"

#include <fstream>
#include <string>

namespace twiml_redirect::util {
namespace {

// A memory.max file: a byte count, or "max". nullopt for "max", a missing file or anything else.
std::optional<std::uint64_t> read_limit(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    std::size_t used = 0;
    const unsigned long long bytes = std::stoull(text, &used);
    if (used != text.size()) return std::nullopt;
    return bytes;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::uint64_t> cgroup_memory_limit(const std::filesystem::path& root,
                                                 const std::filesystem::path& self_cgroup) {
  // cgroup v2 has one line, "0::/system.slice/twiml-redirect.service"; v1 lines have a controller.
  std::ifstream self(self_cgroup);
  for (std::string line; std::getline(self, line);) {
    if (!line.starts_with("0::/")) continue;
    const std::filesystem::path own = root / line.substr(4);
    if (std::filesystem::exists(own / "memory.max")) return read_limit(own / "memory.max");
  }
  return read_limit(root / "memory.max");
}

}  // namespace twiml_redirect::util
