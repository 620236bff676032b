// The pure parts around the Synthflow calls: failure messages and the provision table.

#include <string>

#include <gtest/gtest.h>

#include "twiml_redirect/synthflow/api.hpp"
#include "twiml_redirect/synthflow/provisioner.hpp"

namespace twiml_redirect::synthflow {
namespace {

TEST(SynthflowClient, FailureDescriptions) {
  EXPECT_EQ((failure{"GET /numbers/1", 401, "Invalid API key", false, false, false}).describe(),
            "GET /numbers/1 failed: HTTP 401: Invalid API key");
  EXPECT_EQ((failure{"GET /numbers/1", 502, "", true, false, false}).describe(),
            "GET /numbers/1 failed: HTTP 502");
  EXPECT_EQ((failure{"POST /assistants", 0, "no answer", true, true, false}).describe(),
            "POST /assistants failed: no answer");
}

TEST(SynthflowClient, ReportTableAlignsAndListsFailures) {
  provision_report report;
  report.rows.push_back({"number", "+15550001111", "Front desk line", step_result::created, "15550001111", {}});
  report.rows.push_back({"agent", "+15550001111", "Front desk", step_result::updated, "m1", {"name", "agent.prompt"}});
  report.rows.push_back({"agent", "+15550002222", "", step_result::failed, "", {}});
  report.failures.push_back({"POST /assistants", 400, "bad", false, false, false});
  const auto table = format_report(report);
  EXPECT_EQ(table,
            "WHAT    PHONE NUMBER  NAME             RESULT   ID           CHANGES\n"
            "number  +15550001111  Front desk line  created  15550001111\n"
            "agent   +15550001111  Front desk       updated  m1           name,agent.prompt\n"
            "agent   +15550002222  -                failed   -\n"
            "error: POST /assistants failed: HTTP 400: bad\n");
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(report.has_permanent_failure());
}

}  // namespace
}  // namespace twiml_redirect::synthflow
