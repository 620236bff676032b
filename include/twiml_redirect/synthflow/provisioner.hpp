#pragma once
// The reconcile algorithm: for each configured number, make Synthflow match the config with as few
// calls as possible, number first, then its one inbound agent. Reads decide; writes happen only for
// what is missing or drifted, so a rerun with unchanged config sends no write at all.

#include <string>
#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/outbound/provision_report.hpp"
#include "twiml_redirect/synthflow/api.hpp"

namespace twiml_redirect::synthflow {

// The report types are shared with every provisioned API.
using outbound::format_report;
using outbound::provision_report;
using outbound::report_row;
using outbound::step_result;
using outbound::to_string;

// Reconciles every number of `numbers` that has an agent through `api` (a number without one is
// routed but not provisioned). dry_run reads only and reports what it would change. Stops early when
// `stop` is requested.
provision_report provision(synthflow_api& api, const config::synthflow_config& config,
                           const std::vector<config::number_config>& numbers, bool dry_run, stop_signal& stop);

}  // namespace twiml_redirect::synthflow
