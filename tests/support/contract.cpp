#include "support/contract.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "support/test_tls.hpp"

namespace twiml_redirect::test {

namespace {

struct api_contract {
  std::string_view spec;
  std::string_view base_path;
  std::string_view auth;
};

api_contract contract_of(std::string_view api) {
  if (api == "synthflow") return {"synthflow-openapi.json", "/v2", "bearer"};
  if (api == "twilio") return {"twilio_api_v2010-incoming-phone-numbers.json", "", "basic"};
  if (api == "twilio-calls") return {"twilio_api_v2010-calls.json", "", "basic"};
  if (api == "twilio-monitor") return {"twilio_monitor_v1-alerts.json", "", "basic"};
  throw std::invalid_argument("no OpenAPI document for " + std::string(api));
}

}  // namespace

::testing::AssertionResult conforms_to_openapi(const std::vector<recorded_call>& calls, std::string_view api) {
  if (calls.empty()) return ::testing::AssertionFailure() << "no " << api << " calls were recorded";
  const auto contract = contract_of(api);
  const auto dir = make_temp_dir("contract");
  const auto exchanges = dir / "exchanges.jsonl";
  {
    std::ofstream out(exchanges);
    for (const auto& call : calls) out << exchange_json(call).dump() << '\n';
  }
  const std::string source = TWIML_SOURCE_DIR;
  // Debian's python3 (python3-jsonschema), not whatever python3 comes first on PATH.
  const std::string command = "/usr/bin/python3 '" + source + "/tests/contract/openapi_check.py' --spec '" + source +
                              "/tests/contract/openapi/" + std::string(contract.spec) + "' --base-path '" +
                              std::string(contract.base_path) + "' --auth " + std::string(contract.auth) + " '" +
                              exchanges.string() + "' 2>&1";
  std::string verdict;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return ::testing::AssertionFailure() << "cannot run " << command;
  std::array<char, 4096> chunk{};
  while (const auto n = std::fread(chunk.data(), 1, chunk.size(), pipe)) verdict.append(chunk.data(), n);
  const int status = ::pclose(pipe);
  std::filesystem::remove_all(dir);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    std::cout << "[contract " << api << "] " << verdict;
    return ::testing::AssertionSuccess() << verdict;
  }
  return ::testing::AssertionFailure() << api << " contract (exit " << status << "):\n" << verdict;
}

}  // namespace twiml_redirect::test
