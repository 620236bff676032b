#include "twiml_redirect/twilio_api/provisioner.hpp"

namespace twiml_redirect::twilio_api {

using outbound::step_result;

voice_settings wanted_settings(const config::twilio_config& twilio, const config::number_config& number) {
  voice_settings wanted;
  wanted.voice_url = webhook_url(twilio.public_url, twilio.webhook_user, twilio.webhook_password);
  wanted.voice_fallback_url = number.voice_fallback_url.empty() ? twilio.voice_fallback_url : number.voice_fallback_url;
  return wanted;
}

namespace {

// A failure that no retry changes: the account's data has to change first.
failure account_problem(const std::string& e164, std::string what_to_do) {
  return failure{"twilio number " + e164, 0, std::move(what_to_do), false, false, false};
}

}  // namespace

outbound::provision_report provision(twilio_api& api, const config::twilio_config& twilio,
                                     const std::vector<config::number_config>& numbers, bool dry_run,
                                     outbound::stop_signal& stop) {
  outbound::provision_report report;
  for (const auto& number : numbers) {
    if (stop.stop_requested()) break;
    auto row = [&](step_result result, std::string sid = {}, std::vector<std::string> changes = {}) {
      report.rows.push_back({"twilio", number.phone_number, number.friendly_name, result, std::move(sid),
                             std::move(changes)});
    };
    auto fail = [&](failure error, std::string sid = {}) {
      row(step_result::failed, std::move(sid));
      report.failures.push_back(std::move(error));
    };

    auto live = api.find_number(number.phone_number);
    if (!live) {
      fail(live.error());
      continue;
    }
    if (!*live) {
      fail(account_problem(number.phone_number,
                           "is not in account " + twilio.account_sid +
                               ": buy or port it into this account, or fix twilio.account_sid"));
      continue;
    }
    const incoming_number& found = **live;
    if (auto conflict = routing_conflict(found)) {
      fail(account_problem(number.phone_number, *conflict), found.sid);
      continue;
    }
    const auto drift = voice_drift(wanted_settings(twilio, number), found);
    std::vector<std::string> changed;
    for (const auto& [field, value] : drift) changed.push_back(field);
    if (drift.empty()) {
      row(step_result::unchanged, found.sid);
    } else if (dry_run) {
      row(step_result::would_update, found.sid, std::move(changed));
    } else if (auto updated = api.update_number(found.sid, drift); !updated) {
      fail(updated.error(), found.sid);
    } else {
      row(step_result::updated, found.sid, std::move(changed));
    }
  }
  return report;
}

}  // namespace twiml_redirect::twilio_api
