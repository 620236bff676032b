#include "twiml_redirect/app/simulate.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ostream>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/app/readiness.hpp"
#include "twiml_redirect/app/router.hpp"
#include "twiml_redirect/outbound/http_client.hpp"
#include "twiml_redirect/routing/route_table.hpp"
#include "twiml_redirect/twilio/refer_target.hpp"
#include "twiml_redirect/twilio/signature.hpp"
#include "twiml_redirect/util/metrics.hpp"
#include "twiml_redirect/util/url.hpp"

namespace twiml_redirect::app {
namespace {

// ---- TwiML reading ----------------------------------------------------------------------------

// A small recursive reader of the XML subset TwiML uses. `pos` moves over `xml`.
class twiml_reader {
 public:
  explicit twiml_reader(std::string_view xml) : xml_(xml) {}

  std::variant<std::vector<twiml_element>, std::string> read_document() {
    skip_space();
    if (xml_.substr(pos_).starts_with("<?")) {
      const std::size_t end = xml_.find("?>", pos_);
      if (end == std::string_view::npos) return std::string("unterminated XML declaration");
      pos_ = end + 2;
    }
    skip_space();
    twiml_element root;
    if (auto problem = read_element(root, 0)) return *problem;
    skip_space();
    if (pos_ != xml_.size()) return std::string("text after the root element");
    if (root.name != "Response") return "the root element is <" + root.name + ">, not <Response>";
    return std::move(root.children);
  }

 private:
  static constexpr std::size_t kMaxDepth = 16;

  void skip_space() {
    while (pos_ < xml_.size() && (xml_[pos_] == ' ' || xml_[pos_] == '\n' || xml_[pos_] == '\r' || xml_[pos_] == '\t'))
      ++pos_;
  }

  static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ':' || c == '.';
  }

  std::string read_name() {
    const std::size_t start = pos_;
    while (pos_ < xml_.size() && is_name_char(xml_[pos_])) ++pos_;
    return std::string(xml_.substr(start, pos_ - start));
  }

  // Text up to `stop` with entities decoded, or nullopt when an entity is not one XML defines.
  std::optional<std::string> read_text(char stop) {
    std::string out;
    while (pos_ < xml_.size() && xml_[pos_] != stop) {
      if (xml_[pos_] != '&') {
        out += xml_[pos_++];
        continue;
      }
      const std::size_t end = xml_.find(';', pos_);
      if (end == std::string_view::npos) return std::nullopt;
      const std::string_view entity = xml_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      static constexpr std::array<std::pair<std::string_view, char>, 5> kNamed = {
          {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}}};
      const auto named = std::find_if(kNamed.begin(), kNamed.end(), [&](const auto& e) { return e.first == entity; });
      if (named != kNamed.end()) {
        out += named->second;
        continue;
      }
      if (entity.size() < 2 || entity[0] != '#') return std::nullopt;
      const bool hex = entity[1] == 'x';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      unsigned code = 0;
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || code == 0 || code > 0x7f) return std::nullopt;
      out += static_cast<char>(code);  // TwiML we write only references ASCII control characters
    }
    return out;
  }

  std::optional<std::string> read_element(twiml_element& element, std::size_t depth) {
    if (depth > kMaxDepth) return "elements nested too deep";
    if (pos_ >= xml_.size() || xml_[pos_] != '<') return std::string("expected an element");
    ++pos_;
    element.name = read_name();
    if (element.name.empty()) return std::string("an element without a name");
    for (;;) {
      skip_space();
      if (pos_ >= xml_.size()) return "unterminated <" + element.name + ">";
      if (xml_.substr(pos_).starts_with("/>")) {
        pos_ += 2;
        return std::nullopt;
      }
      if (xml_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string key = read_name();
      if (key.empty() || pos_ + 1 >= xml_.size() || xml_[pos_] != '=' || xml_[pos_ + 1] != '"')
        return "a malformed attribute in <" + element.name + ">";
      pos_ += 2;
      auto value = read_text('"');
      if (!value || pos_ >= xml_.size()) return "a malformed attribute value in <" + element.name + ">";
      ++pos_;
      element.attributes[std::move(key)] = std::move(*value);
    }
    for (;;) {
      auto text = read_text('<');
      if (!text) return "an unknown entity in <" + element.name + ">";
      element.text += *text;
      if (pos_ >= xml_.size()) return "unterminated <" + element.name + ">";
      if (xml_.substr(pos_).starts_with("</")) {
        pos_ += 2;
        if (read_name() != element.name || pos_ >= xml_.size() || xml_[pos_] != '>')
          return "a mismatched end tag in <" + element.name + ">";
        ++pos_;
        return std::nullopt;
      }
      twiml_element child;
      if (auto problem = read_element(child, depth + 1)) return problem;
      element.children.push_back(std::move(child));
    }
  }

  std::string_view xml_;
  std::size_t pos_ = 0;
};

// ---- scenarios ---------------------------------------------------------------------------------

constexpr std::string_view kExampleCaller = "+15005550006";  // Twilio's magic test number
constexpr std::string_view kExampleNumber = "+14155550100";  // --all when no number is configured

bool is_dialling(const config::failover_step& step) { return step.sip_target || step.dial_number; }

// A target the allow-list entry `pattern` lets through: the number itself, a number with the
// prefix before '*', the SIP address, or a user at a "sip:*@host" host.
std::string allowed_example(std::string_view pattern) {
  if (pattern.starts_with("sip:*@")) return "sip:desk@" + std::string(pattern.substr(6));
  if (pattern.starts_with("sip:")) return std::string(pattern);
  if (!pattern.ends_with('*')) return "tel:" + std::string(pattern);  // a whole number
  std::string number(pattern.substr(0, pattern.size() - 1));
  static constexpr std::string_view kFill = "5550123456789";
  for (std::size_t i = 0; number.size() < 12 && i < kFill.size(); ++i) number += kFill[i];
  return "tel:" + number;
}

// A target `allow` refuses: the first of a few that is neither a listed number nor a listed host.
std::string refused_example(const std::vector<std::string>& allow) {
  static constexpr std::array<std::string_view, 3> kCandidates = {"tel:+19005550199", "sip:someone@refused.invalid",
                                                                  "tel:+882355501234"};
  for (std::string_view candidate : kCandidates) {
    const auto parsed = twilio::parse_refer_target(candidate);
    const auto* target = std::get_if<twilio::refer_target>(&parsed);
    if (target && twilio::match_transfer(*target, allow) == twilio::transfer_dial::refused)
      return std::string(candidate);
  }
  return std::string(kCandidates[0]);
}

std::string describe_outcomes(const std::vector<dial_outcome>& outcomes) {
  std::string out;
  for (const dial_outcome& o : outcomes) {
    if (!out.empty()) out += ",";
    out += o.status;
    if (!o.sip_code.empty()) out += ":" + o.sip_code;
  }
  return out;
}

// ---- playing -----------------------------------------------------------------------------------

std::string call_sid_for(std::size_t serial) {
  char sid[35];
  std::snprintf(sid, sizeof sid, "CA%032zx", serial);
  return sid;
}

void print_request(std::ostream& out, std::string_view path, const outbound::form_fields& shown) {
  out << "> POST " << path;
  for (const auto& [name, value] : shown) out << "  " << name << "=" << value;
  out << "\n";
}

// The one-line description of a dial's target: who Twilio rings.
struct dial_target {
  std::string kind;  // "agent", "person" or "SIP address"
  std::string address;
};

class call_player {
 public:
  call_player(webhook_transport& transport, const scenario& call, const simulate_options& options, std::ostream& out,
              std::size_t serial)
      : transport_(transport), call_(call), options_(options), out_(out), call_sid_(call_sid_for(serial)) {}

  scenario_result play() {
    outbound::form_fields form = base_fields();
    form.emplace_back("CallStatus", "ringing");
    return follow("/redirect_call", form, {{"Called", call_.called}, {"CallSid", call_sid_}}, false);
  }

 private:
  outbound::form_fields base_fields() const {
    return {{"AccountSid", "AC00000000000000000000000000000000"},
            {"ApiVersion", "2010-04-01"},
            {"CallSid", call_sid_},
            {"Called", call_.called},
            {"Caller", std::string(kExampleCaller)},
            {"Direction", "inbound"},
            {"From", std::string(kExampleCaller)},
            {"To", call_.called}};
  }

  // Sends one request and plays the TwiML it answers. `from_refer`: the document dials transfer
  // targets, not agents.
  scenario_result follow(const std::string& path, const outbound::form_fields& form, const outbound::form_fields& shown,
                         bool from_refer) {
    if (++requests_ > kMaxRequests) return {"stopped: more than 32 requests (a loop?)", true};
    print_request(out_, path, shown);
    const webhook_answer answer = transport_.post(path, form);
    if (answer.status == 0) {
      out_ << "< no answer: " << answer.error << "\n";
      return {"error: no answer (" + answer.error + ")", true};
    }
    const auto parsed = parse_twiml(answer.body);
    const auto* verbs = std::get_if<std::vector<twiml_element>>(&parsed);
    if (answer.status != 200 || !verbs) {
      out_ << "< " << answer.status << " " << answer.body << "\n";
      if (answer.status != 200) return {"error answer: HTTP " + std::to_string(answer.status), true};
      return {"error answer: not TwiML (" + std::get<std::string>(parsed) + ")", true};
    }
    out_ << "< " << answer.status << " " << (options_.brief ? summarize_twiml(*verbs) : answer.body) << "\n";
    return run_document(path.substr(0, path.find('?')), *verbs, from_refer);
  }

  scenario_result run_document(const std::string& path, const std::vector<twiml_element>& verbs, bool from_refer) {
    bool said = false;
    for (const twiml_element& verb : verbs) {
      if (verb.name == "Reject") {
        out_ << "  Twilio rejects the call (not answered, not billed)\n";
        return {"rejected"};
      }
      if (verb.name == "Say") {
        out_ << "  Twilio says: " << verb.text << "\n";
        said = true;
      } else if (verb.name == "Pause" || verb.name == "Play") {
        out_ << "  Twilio plays <" << verb.name << ">\n";
      } else if (verb.name == "Hangup") {
        out_ << "  Twilio hangs up\n";
        return {said ? "message played, hung up" : "hung up"};
      } else if (verb.name == "Redirect") {
        out_ << "  Twilio fetches the TwiML at " << verb.text << " (not this service's: the simulation stops)\n";
        return {"handed to " + verb.text};
      } else if (verb.name == "Dial") {
        std::optional<scenario_result> ended = run_dial(path, verb, from_refer);
        if (ended) return *ended;
      } else {
        out_ << "  Twilio does not know <" << verb.name << ">: it plays an application error\n";
        return {"error answer: unknown verb <" + verb.name + ">", true};
      }
    }
    if (from_refer && !said) return {"transfer refused"};  // nothing dialled: the call goes on as it was
    out_ << "  the TwiML is over: the call ends\n";
    return {said ? "message played, hung up" : "hung up"};
  }

  // Plays a <Dial>; the call's end, or nullopt when Twilio goes on with the document's next verb.
  std::optional<scenario_result> run_dial(const std::string& path, const twiml_element& dial, bool from_refer) {
    if (dial.children.empty()) return scenario_result{"error answer: <Dial> without a <Sip> or <Number>", true};
    const twiml_element& leg = dial.children.front();
    dial_target target;
    target.address = leg.text;
    if (from_refer) {
      target.kind = "person";
    } else {
      target.kind = leg.name == "Sip" ? "agent" : "person";
    }
    const dial_outcome outcome =
        dials_ < call_.outcomes.size() ? call_.outcomes[dials_] : dial_outcome{"completed", ""};
    ++dials_;
    const bool answered = outcome.status == "completed" || outcome.status == "answered";
    out_ << "  Twilio dials the " << target.kind << " " << target.address << ": " << outcome.status;
    if (!outcome.sip_code.empty()) out_ << " (SIP " << outcome.sip_code << ")";
    out_ << "\n";

    std::optional<scenario_result> transfer;
    if (answered && target.kind == "agent" && call_.refer && !referred_) {
      referred_ = true;
      transfer = refer(path, dial);
      if (transfer->error || transfer->end != "transfer refused") return transfer;
    }
    const std::string action = dial.attribute("action");
    if (action.empty()) {
      if (answered) return scenario_result{transfer ? transfer->end : target.kind + " answered"};
      out_ << "  no action: Twilio goes on with the next verb\n";
      return std::nullopt;
    }
    outbound::form_fields form = base_fields();
    form.emplace_back("CallStatus", "in-progress");
    form.emplace_back("DialCallSid", "CA" + std::string(32, 'd'));
    form.emplace_back("DialCallStatus", outcome.status);
    form.emplace_back("DialCallDuration", answered ? "42" : "0");
    outbound::form_fields shown = {{"DialCallStatus", outcome.status}};
    if (!outcome.sip_code.empty()) {
      form.emplace_back("DialSipResponseCode", outcome.sip_code);
      shown.emplace_back("DialSipResponseCode", outcome.sip_code);
    }
    out_ << "  Twilio requests the <Dial> action\n";
    scenario_result next = follow(resolve_callback(path, action), form, shown, false);
    if (!next.error && answered && next.end == "hung up") next.end = transfer ? transfer->end : target.kind + " answered";
    return next;
  }

  // The agent sends a REFER while the <Dial> is answered: Twilio asks its referUrl, or refuses the
  // transfer itself when the <Dial> has none (Twilio's error 13802).
  scenario_result refer(const std::string& path, const twiml_element& dial) {
    const std::string refer_url = dial.attribute("referUrl");
    out_ << "  the agent transfers the caller to " << *call_.refer << " (SIP REFER)\n";
    if (refer_url.empty()) {
      out_ << "  the <Dial> has no referUrl: Twilio refuses the REFER (error 13802) and the agent keeps the call\n";
      return {"transfer refused"};
    }
    outbound::form_fields form = base_fields();
    form.emplace_back("CallStatus", "in-progress");
    // As Twilio passes the Refer-To on: a bare URI in angle brackets, a name-addr as it is.
    const std::string refer_to = call_.refer->find('<') == std::string::npos ? "<" + *call_.refer + ">" : *call_.refer;
    form.emplace_back("ReferTransferTarget", refer_to);
    scenario_result result =
        follow(resolve_callback(path, refer_url), form, {{"ReferTransferTarget", refer_to}}, true);
    if (!result.error && result.end == "transfer refused")
      out_ << "  the transfer is refused: the agent keeps the call\n";
    return result;
  }

  static constexpr std::size_t kMaxRequests = 32;

  webhook_transport& transport_;
  const scenario& call_;
  const simulate_options& options_;
  std::ostream& out_;
  std::string call_sid_;
  std::size_t dials_ = 0;
  std::size_t requests_ = 0;
  bool referred_ = false;
};

// ---- transports --------------------------------------------------------------------------------

std::string signature_for(const config::service_config& config, std::string_view url,
                          const outbound::form_fields& form) {
  if (config.twilio.auth_token.empty()) return {};
  return twilio::compute_signature(config.twilio.auth_token, url, form);
}

class in_process_transport final : public webhook_transport {
 public:
  explicit in_process_transport(const config::service_config& config)
      : config_(config),
        // simulate signs with the auth token only, so shared keys have nothing to check here.
        validator_settings_{.auth_token = config.twilio.auth_token,
                            .shared_keys = {},
                            .basic_user = {},
                            .basic_password = {},
                            .public_url = config.twilio.public_url,
                            .trusted_proxies = config.twilio.trusted_proxies},
        metrics_(router::paths(twilio::request_validator(validator_settings_).public_path())),
        ready_(""),
        router_(std::make_shared<const routing::live_routes>(std::make_shared<const routing::route_table>(config)),
                ready_, metrics_, twilio::request_validator(validator_settings_)) {}

  webhook_answer post(const std::string& path_and_query, const outbound::form_fields& form) override {
    http::request req{http::beast_http::verb::post, path_and_query, 11};
    req.set(http::beast_http::field::host, "localhost");
    req.set(http::beast_http::field::content_type, outbound::kFormType);
    // Twilio signs the URL it requested: the public URL when one is configured.
    const std::string signed_url =
        (config_.twilio.public_url.empty() ? std::string("http://localhost") : config_.twilio.public_url) +
        path_and_query;
    if (std::string signature = signature_for(config_, signed_url, form); !signature.empty())
      req.set("X-Twilio-Signature", signature);
    req.body() = outbound::form_encode(form);
    req.prepare_payload();
    http::request_context ctx;
    ctx.peer = boost::asio::ip::make_address("127.0.0.1");
    const http::response res = router_(req, ctx);
    return {res.result_int(), res.body(), {}};
  }

  std::string describe() const override { return "in-process"; }

 private:
  const config::service_config& config_;
  twilio::validator_settings validator_settings_;
  util::metrics metrics_;
  readiness ready_;
  router router_;
};

class http_transport final : public webhook_transport {
 public:
  http_transport(const config::service_config& config, std::string base_url, util::http_url endpoint,
                 std::unique_ptr<outbound::http_client> client)
      : config_(config), base_url_(std::move(base_url)), endpoint_(std::move(endpoint)), client_(std::move(client)) {}

  webhook_answer post(const std::string& path_and_query, const outbound::form_fields& form) override {
    outbound::http_request request;
    request.method = http::beast_http::verb::post;
    request.target = endpoint_.base_path + path_and_query;
    const std::string signed_url =
        (config_.twilio.public_url.empty() ? base_url_ : config_.twilio.public_url) + path_and_query;
    if (std::string signature = signature_for(config_, signed_url, form); !signature.empty())
      request.headers.push_back({"X-Twilio-Signature", std::move(signature), true});
    // As Twilio does with the credentials of a user:password@ webhook URL.
    if (!config_.twilio.webhook_user.empty())
      request.auth = outbound::basic_auth{config_.twilio.webhook_user, config_.twilio.webhook_password};
    request.body = outbound::form_body(form);
    const outbound::http_result result = client_->send(request);
    if (!result.ok()) return {0, {}, result.error_message};
    return {result.response.status, result.response.body, {}};
  }

  std::string describe() const override { return base_url_; }

 private:
  const config::service_config& config_;
  std::string base_url_;  // without a trailing '/'
  util::http_url endpoint_;
  std::unique_ptr<outbound::http_client> client_;
};

}  // namespace

std::string twiml_element::attribute(std::string_view key) const {
  const auto found = attributes.find(std::string(key));
  return found == attributes.end() ? std::string() : found->second;
}

std::variant<std::vector<twiml_element>, std::string> parse_twiml(std::string_view xml) {
  return twiml_reader(xml).read_document();
}

std::variant<std::vector<dial_outcome>, std::string> parse_outcomes(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kStatuses = {"completed", "answered", "canceled",
                                                                "busy",      "no-answer", "failed"};
  std::vector<dial_outcome> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t colon = item.find(':');
    dial_outcome outcome{std::string(item.substr(0, colon)), ""};
    if (std::find(kStatuses.begin(), kStatuses.end(), outcome.status) == kStatuses.end())
      return "unknown outcome '" + outcome.status + "': use completed, busy, no-answer, failed, canceled or answered";
    if (colon != std::string_view::npos) {
      const std::string_view code = item.substr(colon + 1);
      unsigned value = 0;
      const auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
      if (ec != std::errc{} || ptr != code.data() + code.size() || code.size() != 3 || value < 100 || value > 699)
        return "the SIP response code after '" + outcome.status + ":' must be 100 to 699";
      outcome.sip_code = std::string(code);
    }
    out.push_back(std::move(outcome));
  }
  if (out.empty()) return std::string("--outcomes needs at least one outcome, e.g. failed:503,completed");
  return out;
}

std::vector<scenario> all_scenarios(const config::service_config& config) {
  const routing::route_table routes(config);
  std::vector<std::string> numbers;
  for (const config::number_config& number : config.numbers) numbers.push_back(number.phone_number);
  std::sort(numbers.begin(), numbers.end());
  if (numbers.empty()) numbers.emplace_back(kExampleNumber);
  static const std::array<dial_outcome, 3> kFailures = {
      {{"busy", "486"}, {"no-answer", ""}, {"failed", "503"}}};

  std::vector<scenario> out;
  for (const std::string& number : numbers) {
    const routing::call_route* route = routes.find(number);
    if (!route) {
      out.push_back({number + ": not routed", number, {}, std::nullopt});
      continue;
    }
    // The dials of the chain: the agent, then each dialling failover step up to the first that is not.
    std::size_t dials = 1;
    for (const config::failover_step& step : route->failover) {
      if (!is_dialling(step)) break;
      ++dials;
    }
    const bool ends_in_step = dials - 1 < route->failover.size();
    for (std::size_t failing = 0; failing <= dials; ++failing) {
      std::vector<dial_outcome> outcomes;
      for (std::size_t i = 0; i < failing && i < dials; ++i) outcomes.push_back(kFailures[i % kFailures.size()]);
      if (failing < dials) outcomes.push_back({"completed", ""});
      std::string title = number + ": ";
      if (failing == 0) {
        title += "the agent answers";
      } else if (failing < dials) {
        title += std::to_string(failing) + " dial(s) fail, dial " + std::to_string(failing + 1) + " answers";
      } else {
        title += "every dial fails" + std::string(ends_in_step ? ", the last step runs" : ", nothing is left");
      }
      out.push_back({title + " (" + describe_outcomes(outcomes) + ")", number, std::move(outcomes), std::nullopt});
    }
    for (const std::string& pattern : route->transfer_allow)
      out.push_back({number + ": transfer allowed by " + pattern, number, {{"completed", ""}}, allowed_example(pattern)});
    const std::string refused = refused_example(route->transfer_allow);
    out.push_back({number + ": transfer to a target not allowed", number, {{"completed", ""}}, refused});
  }
  return out;
}

std::string summarize_twiml(const std::vector<twiml_element>& verbs) {
  if (verbs.empty()) return "<Response/> (nothing more: the call goes on or ends as it is)";
  std::string out;
  for (const twiml_element& verb : verbs) {
    if (!out.empty()) out += "; then ";
    if (verb.name == "Dial" && !verb.children.empty()) {
      const twiml_element& leg = verb.children.front();
      out += "dial " + std::string(leg.name == "Sip" ? "SIP " : "number ") + leg.text;
      for (std::string_view key : {"action", "referUrl", "timeout", "answerOnBridge"})
        if (std::string value = verb.attribute(key); !value.empty())
          out += ", " + std::string(key) + " " + value;
    } else if (verb.name == "Say") {
      out += "say \"" + verb.text + "\"";
    } else if (verb.name == "Redirect") {
      out += "redirect to " + verb.text;
    } else {
      out += std::string(1, static_cast<char>(verb.name.empty() ? '?' : std::tolower(verb.name[0]))) +
             verb.name.substr(verb.name.empty() ? 0 : 1);
    }
  }
  return out;
}

std::string resolve_callback(std::string_view request_path, std::string_view url) {
  if (url.starts_with("http://") || url.starts_with("https://")) {
    const std::size_t path = url.find('/', url.find("//") + 2);
    return path == std::string_view::npos ? std::string("/") : std::string(url.substr(path));
  }
  if (url.starts_with("/")) return std::string(url);
  const std::size_t slash = request_path.rfind('/');
  return std::string(request_path.substr(0, slash == std::string_view::npos ? 0 : slash + 1)) + std::string(url);
}

std::unique_ptr<webhook_transport> make_in_process_transport(const config::service_config& config) {
  return std::make_unique<in_process_transport>(config);
}

std::unique_ptr<webhook_transport> make_http_transport(const config::service_config& config, std::string_view base_url,
                                                       std::string& error) {
  std::string_view trimmed = base_url;
  while (trimmed.ends_with('/')) trimmed.remove_suffix(1);
  auto parsed = util::parse_http_url(trimmed);
  if (!parsed) {
    error = "--url: " + parsed.error();
    return nullptr;
  }
  outbound::client_options options;
  options.target = *parsed;
  options.timeout = std::chrono::seconds(10);
  options.ca_file = config.twilio.ca_file;
  options.ca_file_setting = "twilio.ca_file";
  auto client = outbound::make_http_client(options);
  if (!client) {
    error = client.error();
    return nullptr;
  }
  return std::make_unique<http_transport>(config, std::string(trimmed), *parsed, std::move(*client));
}

scenario_result play_scenario(webhook_transport& transport, const scenario& call, const simulate_options& options,
                              std::ostream& out) {
  return call_player(transport, call, options, out, 1).play();
}

int run_simulate(webhook_transport& transport, const std::vector<scenario>& calls, const simulate_options& options,
                 std::ostream& out) {
  std::vector<scenario_result> results;
  for (const scenario& call : calls) {
    out << "== " << call.title << " [" << transport.describe() << "]\n";
    results.push_back(call_player(transport, call, options, out, results.size() + 1).play());
    out << "end: " << results.back().end << "\n\n";
  }
  std::size_t errors = 0;
  if (calls.size() > 1) {
    out << "summary:\n";
    for (std::size_t i = 0; i < calls.size(); ++i) {
      out << (results[i].error ? "  ERROR " : "  ok    ") << calls[i].title << ": " << results[i].end << "\n";
    }
  }
  for (const scenario_result& result : results) errors += result.error ? 1 : 0;
  if (errors) out << errors << " of " << calls.size() << " scenario(s) ended in an error answer\n";
  return errors ? kExitFailure : kExitOk;
}

int run_simulate_command(const config::service_config& config, const simulate_command& command, std::ostream& out,
                         std::ostream& err) {
  if (command.all == command.number.has_value()) {
    err << "twiml-redirect: simulate needs --number E164 or --all\n";
    return kExitUsage;
  }
  if (command.all && (command.outcomes || command.refer)) {
    err << "twiml-redirect: --all chooses the outcomes and transfers itself; drop --outcomes and --refer\n";
    return kExitUsage;
  }
  std::vector<scenario> calls;
  if (command.all) {
    calls = all_scenarios(config);
  } else {
    scenario call{*command.number, *command.number, {}, command.refer};
    if (command.outcomes) {
      auto parsed = parse_outcomes(*command.outcomes);
      if (auto* problem = std::get_if<std::string>(&parsed)) {
        err << "twiml-redirect: " << *problem << "\n";
        return kExitUsage;
      }
      call.outcomes = std::get<std::vector<dial_outcome>>(std::move(parsed));
      call.title += " (" + describe_outcomes(call.outcomes) + ")";
    }
    if (call.refer) call.title += ", transfer to " + *call.refer;
    calls.push_back(std::move(call));
  }
  std::unique_ptr<webhook_transport> transport;
  if (command.url) {
    std::string problem;
    transport = make_http_transport(config, *command.url, problem);
    if (!transport) {
      err << "twiml-redirect: " << problem << "\n";
      return kExitUsage;
    }
  } else {
    transport = make_in_process_transport(config);
  }
  return run_simulate(*transport, calls, {.brief = command.brief}, out);
}

}  // namespace twiml_redirect::app
