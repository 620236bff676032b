#include "twiml_redirect/context/call_record.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/util/logging.hpp"

namespace twiml_redirect::context {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 3> kCallIdFields = {"call_sid", "twilio_call_sid", "external_id"};

}  // namespace

call_record call_record::from_parameters(const std::function<const std::string*(std::string_view name)>& parameter) {
  call_record record;
  for (std::size_t i = 0; i < twilio::kCallerVariables.size(); ++i) {
    const std::string* value = parameter(twilio::kCallerVariables[i].parameter);
    if (value && value->size() <= kMaxValueBytes) record.values[i] = *value;
  }
  return record;
}

std::string call_record::to_json(const std::vector<std::pair<std::string, std::string>>& extra) const {
  std::string out;
  out.reserve(320);
  out += '{';
  const auto append = [&out](std::string_view name, std::string_view value) {
    if (out.size() > 1) out += ',';
    out += '"';
    util::append_json_escaped(out, name);
    out += "\":\"";
    util::append_json_escaped(out, value);
    out += '"';
  };
  for (std::size_t i = 0; i < values.size(); ++i) append(twilio::kCallerVariables[i].name, values[i]);
  for (const auto& [name, value] : extra) append(name, value);
  out += '}';
  return out;
}

std::optional<call_record> call_record::from_json(std::string_view text) {
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  call_record record;
  for (std::size_t i = 0; i < record.values.size(); ++i) {
    const auto it = parsed.find(twilio::kCallerVariables[i].name);
    if (it == parsed.end()) continue;
    if (!it->is_string()) return std::nullopt;
    record.values[i] = it->get<std::string>();
  }
  if (record.call_sid().empty()) return std::nullopt;
  return record;
}

std::string call_record::pack() const {
  std::string out;
  std::size_t size = values.size();
  for (const std::string& value : values) size += value.size();
  out.reserve(size);
  for (const std::string& value : values) {
    out += static_cast<char>(static_cast<unsigned char>(value.size()));  // <= kMaxValueBytes
    out += value;
  }
  return out;
}

call_record call_record::unpack(std::string_view packed) {
  call_record record;
  for (std::string& value : record.values) {
    if (packed.empty()) break;
    const std::size_t size = std::min<std::size_t>(static_cast<unsigned char>(packed.front()), packed.size() - 1);
    value.assign(packed.substr(1, size));
    packed.remove_prefix(1 + size);
  }
  return record;
}

std::optional<std::string> parse_call_id(std::string_view value) {
  // A bare CallSid, as Twilio sends it and as the call_sid query parameter carries it.
  if (!twilio::check_call_sid(value)) return std::string(value);
  // X-EI tokens, each "<letter>.<value>;": the E. one is ours (the last ';' may be missing).
  while (!value.empty()) {
    const std::size_t end = value.find(';');
    const std::string_view token = value.substr(0, end);
    if (token.size() > 2 && token.starts_with("E.") && !twilio::check_call_sid(token.substr(2)))
      return std::string(token.substr(2));
    if (end == std::string_view::npos) break;
    value.remove_prefix(end + 1);
  }
  return std::nullopt;
}

namespace {

// A value Synthflow sends for a variable it has no value for, or left unsubstituted.
bool absent_value(std::string_view value) {
  return value.empty() || value == "None" || value == "null" || value == "undefined" || value.starts_with('<') ||
         value.starts_with('{');
}

// Synthflow's call id as a log and metrics can carry it: letters, digits, '-' and '_', at most 64.
bool well_formed_call_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

named_call refused(std::string error) {
  named_call named;
  named.error = std::move(error);
  return named;
}

}  // namespace

named_call find_named_call(std::string_view json_body, const std::string* query_call_sid) {
  named_call named;
  std::string malformed_field;
  const auto consider = [&](std::string_view field, std::string_view value) {
    if (absent_value(value)) return;
    if (value == kInitializeProbe) {
      named.probe = true;
      return;
    }
    named.fields.emplace_back(field);
    if (auto call_sid = parse_call_id(value)) {
      if (std::find(named.candidates.begin(), named.candidates.end(), *call_sid) == named.candidates.end())
        named.candidates.push_back(std::move(*call_sid));
    } else if (malformed_field.empty()) {
      malformed_field = field;
    }
  };
  const bool has_body = json_body.find_first_not_of(" \t\r\n") != std::string_view::npos;
  if (has_body) {
    const json body = json::parse(json_body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return refused("The body must be a JSON object with a call_sid, twilio_call_sid or external_id field");
    for (const std::string_view field : kCallIdFields) {
      const auto it = body.find(field);
      if (it == body.end() || it->is_null()) continue;
      if (!it->is_string()) {
        if (malformed_field.empty()) malformed_field = field;
        continue;
      }
      consider(field, it->get_ref<const std::string&>());
    }
    if (const auto it = body.find("synthflow_call_id"); it != body.end() && it->is_string()) {
      const std::string& id = it->get_ref<const std::string&>();
      if (!absent_value(id) && well_formed_call_id(id)) named.synthflow_call_id = id;
    }
  }
  if (query_call_sid) consider("call_sid (query)", *query_call_sid);
  if (named.probe || !named.candidates.empty()) return named;
  if (!malformed_field.empty())
    return refused("Field \"" + malformed_field + "\" is not a Twilio CallSid (\"CA…\") or an X-EI token \"E.CA…;\"");
  return refused("Missing call id: send call_sid, twilio_call_sid or external_id in a JSON body, or ?call_sid=");
}

}  // namespace twiml_redirect::context
