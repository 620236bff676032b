#include "twiml_redirect/synthflow/provisioner.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

namespace twiml_redirect::synthflow {

namespace {

bool is_client_error(const failure& error) {
  return error.http_status >= 400 && error.http_status <= 499 && error.http_status != 408 &&
         error.http_status != 429;
}

// Reconciles one number and its agent, appending rows; returns the failure that ended it, if any.
class number_reconciler {
 public:
  number_reconciler(synthflow_api& api, const config::synthflow_config& config,
                    const config::number_config& number, bool dry_run, stop_signal& stop,
                    std::vector<report_row>& rows)
      : api_(api), config_(config), number_(number), dry_run_(dry_run), stop_(stop), rows_(rows) {}

  std::optional<failure> run() {
    auto number = reconcile_number();
    if (!number) return fail("number", number_.friendly_name, number.error());
    if (!*number) return std::nullopt;  // dry run of a number that does not exist yet
    auto agent = reconcile_agent(**number);
    if (!agent) return fail("agent", number_.agent->name, agent.error());
    return std::nullopt;
  }

 private:
  // What the agent step needs from the number step.
  struct number_facts {
    bool fresh = false;  // we created it just now, so no agent can be linked yet
    std::optional<std::vector<std::string>> assistants;
  };

  std::optional<failure> fail(std::string kind, std::string name, failure error) {
    rows_.push_back({std::move(kind), number_.phone_number, std::move(name), step_result::failed, {}, {}});
    return error;
  }

  void add_row(std::string kind, std::string name, step_result result, std::string id,
               std::vector<std::string> changes = {}) {
    rows_.push_back({std::move(kind), number_.phone_number, std::move(name), result, std::move(id),
                     std::move(changes)});
  }

  // Waits before the next create attempt; false when stopping.
  bool back_off(unsigned attempt) {
    return stop_.wait_for(retry_delay(api_.retry(), attempt, api_.jitter(), std::nullopt));
  }

  // An answer of std::nullopt means "dry run, number absent": the agent step is reported and skipped.
  api_result<std::optional<number_facts>> reconcile_number() {
    const auto slug = phone_slug(number_.phone_number);
    auto live = api_.get_number(number_.phone_number);
    if (!live) return live.error();

    if (!*live) {
      if (dry_run_) {
        add_row("number", number_.friendly_name, step_result::would_create, slug);
        add_row("agent", number_.agent->name, step_result::would_create, {});
        return std::optional<number_facts>{};
      }
      auto created = create_number();
      if (!created) return created.error();
      if (!*created) {  // created by us, confirmed by the POST's own answer
        add_row("number", number_.friendly_name, step_result::created, slug);
        return std::optional<number_facts>{number_facts{true, std::vector<std::string>{}}};
      }
      // Our POST failed but the number is there now: created by that attempt (the failure came after
      // the request went out) or by someone else (a 4xx); either way reconcile it as existing.
      return finish_existing_number(**created, post_maybe_applied_ ? step_result::created
                                                                   : step_result::unchanged);
    }
    return finish_existing_number(**live, step_result::unchanged);
  }

  // POST /custom-numbers. An empty optional: created. A number: the POST failed ambiguously or with a
  // 4xx, yet a re-read shows the number exists (the docs do not say what a duplicate import answers).
  api_result<std::optional<number_state>> create_number() {
    const auto body = make_custom_number_body(number_, config_.workspace_id);
    for (unsigned attempt = 1;; ++attempt) {
      auto posted = api_.create_number(body);
      if (posted) return std::optional<number_state>{};
      const auto error = posted.error();
      if (error.stopped) return error;
      if (!is_client_error(error) && !error.maybe_applied) return error;  // api already retried
      post_maybe_applied_ = post_maybe_applied_ || error.maybe_applied;
      auto again = api_.get_number(number_.phone_number);
      if (!again) return again.error();
      if (*again) return std::optional<number_state>{std::move(**again)};
      if (!error.transient || attempt >= api_.retry().max_attempts) return error;
      if (!back_off(attempt)) return failure{error.operation, 0, "stopped", false, false, true};
    }
  }

  api_result<std::optional<number_facts>> finish_existing_number(const number_state& live,
                                                                 step_result if_unchanged) {
    const auto slug = phone_slug(number_.phone_number);
    const auto drift = number_drift(number_, live);
    if (drift.empty()) {
      add_row("number", number_.friendly_name, if_unchanged, slug);
    } else if (dry_run_) {
      add_row("number", number_.friendly_name, step_result::would_update, slug, drift);
    } else {
      auto patched = api_.update_number(number_.phone_number, make_number_patch_body(number_, drift));
      if (!patched) return patched.error();
      add_row("number", number_.friendly_name, step_result::updated, slug, drift);
    }
    return std::optional<number_facts>{number_facts{false, live.assistants}};
  }

  // The inbound agent linked to the number: through the number's assistants[] when the answer had
  // it (one GET per id, usually one), else by paging every agent of the account.
  api_result<std::optional<assistant_state>> find_agent(const std::optional<std::vector<std::string>>& ids) {
    std::vector<assistant_state> inbound;
    if (ids) {
      for (const auto& id : *ids) {
        auto agent = api_.get_assistant(id);
        if (!agent) return agent.error();
        if (*agent && (*agent)->type == "inbound") inbound.push_back(std::move(**agent));
      }
    } else {
      auto all = api_.list_assistants();
      if (!all) return all.error();
      for (auto& agent : *all) {
        if (agent.type == "inbound" && agent.phone_number == number_.phone_number) {
          inbound.push_back(std::move(agent));
        }
      }
    }
    if (inbound.empty()) return std::optional<assistant_state>{};
    if (inbound.size() > 1) {
      // Synthflow allows one inbound agent per number; seeing more means the data is odd, so
      // manage the one carrying our name (or the first) and leave the rest alone.
      spdlog::warn("synthflow: {} inbound agents are linked to {}; managing one of them",
                   inbound.size(), number_.phone_number);
    }
    const auto named = std::find_if(inbound.begin(), inbound.end(),
                                    [&](const assistant_state& a) { return a.name == number_.agent->name; });
    return std::optional<assistant_state>{std::move(named != inbound.end() ? *named : inbound.front())};
  }

  api_result<std::optional<assistant_state>> find_agent_afresh() {
    auto live = api_.get_number(number_.phone_number);
    if (!live) return live.error();
    if (!*live) return std::optional<assistant_state>{};
    return find_agent((*live)->assistants);
  }

  api_result<void> reconcile_agent(const number_facts& number) {
    std::optional<assistant_state> agent;
    if (!number.fresh) {
      auto found = find_agent(number.assistants);
      if (!found) return found.error();
      agent = std::move(*found);
    }
    if (!agent) {
      if (dry_run_) {
        add_row("agent", number_.agent->name, step_result::would_create, {});
        return {};
      }
      return create_agent();
    }
    const auto drift = assistant_drift(number_, *agent);
    if (drift.empty()) {
      add_row("agent", number_.agent->name, step_result::unchanged, agent->model_id);
    } else if (dry_run_) {
      add_row("agent", number_.agent->name, step_result::would_update, agent->model_id, drift);
    } else {
      auto put = api_.update_assistant(agent->model_id, make_assistant_update_body(number_));
      if (!put) return put.error();
      add_row("agent", number_.agent->name, step_result::updated, agent->model_id, drift);
    }
    return {};
  }

  // POST /assistants, never blindly repeated: a second inbound agent on the number would be refused
  // at best and a duplicate at worst. After an ambiguous failure or a 4xx, look for the agent first.
  api_result<void> create_agent() {
    const auto body = make_assistant_create_body(number_);
    for (unsigned attempt = 1;; ++attempt) {
      auto posted = api_.create_assistant(body);
      if (posted) {
        if (posted->empty()) spdlog::warn("synthflow: POST /assistants answered without a model_id");
        add_row("agent", number_.agent->name, step_result::created, *posted);
        return {};
      }
      const auto error = posted.error();
      if (error.stopped) return error;
      if (!is_client_error(error) && !error.maybe_applied) return error;
      auto found = find_agent_afresh();
      if (!found) return found.error();
      if (*found) {
        // Ours after all (or someone else's): reconcile it like an existing one.
        auto& agent = **found;
        const auto drift = assistant_drift(number_, agent);
        if (!drift.empty()) {
          auto put = api_.update_assistant(agent.model_id, make_assistant_update_body(number_));
          if (!put) return put.error();
        }
        add_row("agent", number_.agent->name, step_result::created, agent.model_id, drift);
        return {};
      }
      if (!error.transient || attempt >= api_.retry().max_attempts) return error;
      if (!back_off(attempt)) return failure{error.operation, 0, "stopped", false, false, true};
    }
  }

  synthflow_api& api_;
  const config::synthflow_config& config_;
  const config::number_config& number_;
  bool dry_run_;
  stop_signal& stop_;
  std::vector<report_row>& rows_;
  bool post_maybe_applied_ = false;  // a failed POST /custom-numbers may have created the number
};

}  // namespace

provision_report provision(synthflow_api& api, const config::synthflow_config& config,
                           const std::vector<config::number_config>& numbers, bool dry_run, stop_signal& stop) {
  provision_report report;
  for (const auto& number : numbers) {
    if (stop.stop_requested()) break;
    if (!number.agent) continue;
    number_reconciler reconciler(api, config, number, dry_run, stop, report.rows);
    if (auto error = reconciler.run()) report.failures.push_back(std::move(*error));
  }
  return report;
}

}  // namespace twiml_redirect::synthflow
