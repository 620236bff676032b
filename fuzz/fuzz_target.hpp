#pragma once
// One definition per fuzz target, used two ways: as a libFuzzer entry point when compiled with
// TWIML_LIBFUZZER (fuzz/CMakeLists.txt, clang only), and as a registered function that the ordinary
// test build replays over the seed corpus and every past finding (tests/fuzz_regressions/).
//
// A target body gets the input as bytes and checks properties with TWIML_FUZZ_CHECK; a violated
// property aborts, which libFuzzer reports as a crash and which fails the replay test.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twiml_fuzz {

using target_function = void (*)(std::string_view input);

// Every target linked into this program, in registration order.
inline std::vector<std::pair<std::string, target_function>>& registered_targets() {
  static std::vector<std::pair<std::string, target_function>> targets;
  return targets;
}

// Adds a target to registered_targets() during static initialisation.
struct registration {
  registration(const char* name, target_function function) { registered_targets().emplace_back(name, function); }
};

// Reports a violated property and aborts: the one way a target signals a finding besides a sanitizer.
[[noreturn]] inline void property_violated(const char* file, int line, const char* expression) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, expression);
  std::abort();
}

// Splits fuzz input into fields: every call to next() returns the bytes up to the next '\n' (so
// seed files stay readable), rest() returns everything left, newlines included.
class field_reader {
 public:
  explicit field_reader(std::string_view input) : input_(input) {}

  // The next '\n'-terminated field (without the '\n'), or what is left when there is no '\n'.
  std::string_view next() {
    const std::size_t end = input_.find('\n');
    const std::string_view field = input_.substr(0, end);
    input_ = end == std::string_view::npos ? std::string_view{} : input_.substr(end + 1);
    return field;
  }

  // Everything not yet returned.
  std::string_view rest() {
    return std::exchange(input_, std::string_view{});
  }

 private:
  std::string_view input_;
};

}  // namespace twiml_fuzz

#define TWIML_FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::twiml_fuzz::property_violated(__FILE__, __LINE__, #condition))

#ifdef TWIML_LIBFUZZER
#define TWIML_FUZZ_ENTRY_POINT(name)                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    twiml_fuzz_##name({reinterpret_cast<const char*>(data), size});                     \
    return 0;                                                                          \
  }
#else
#define TWIML_FUZZ_ENTRY_POINT(name)
#endif

// Defines target `name`; the braces that follow are its body, with `input` in scope.
#define TWIML_FUZZ_TARGET(name)                                                                     \
  static void twiml_fuzz_##name(std::string_view input);                                           \
  static const ::twiml_fuzz::registration twiml_fuzz_registration_##name{#name, &twiml_fuzz_##name}; \
  TWIML_FUZZ_ENTRY_POINT(name)                                                                      \
  static void twiml_fuzz_##name(std::string_view input)
