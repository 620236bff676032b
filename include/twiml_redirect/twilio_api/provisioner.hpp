#pragma once
// The Twilio half of `provision`: for each configured number, find it in the account and make its
// voice settings point at this service, writing only the fields that differ, so a rerun with an
// unchanged config reads and writes nothing else.

#include <vector>

#include "twiml_redirect/config/config.hpp"
#include "twiml_redirect/outbound/provision_report.hpp"
#include "twiml_redirect/twilio_api/api.hpp"

namespace twiml_redirect::twilio_api {

// What every number of `numbers` should look like under `twilio` (public_url, voice_fallback_url).
voice_settings wanted_settings(const config::twilio_config& twilio, const config::number_config& number);

// One "twilio" row per number: unchanged, updated / would update with the fields, or failed. A
// number missing from the account or routed past VoiceUrl (a TwiML App, a SIP trunk) fails with
// what to do; the other numbers still get done. dry_run reads only. Stops early when `stop` is requested.
outbound::provision_report provision(twilio_api& api, const config::twilio_config& twilio,
                                     const std::vector<config::number_config>& numbers, bool dry_run,
                                     outbound::stop_signal& stop);

}  // namespace twiml_redirect::twilio_api
