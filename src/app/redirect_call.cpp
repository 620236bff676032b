#include "twiml_redirect/app/redirect_call.hpp"

#include "twiml_redirect/app/responses.hpp"
#include "twiml_redirect/twilio/call_params.hpp"
#include "twiml_redirect/twilio/twiml.hpp"
#include "twiml_redirect/util/form_decoding.hpp"
#include "twiml_redirect/util/text.hpp"

namespace twiml_redirect::app {
namespace {

using http::beast_http::field;
using http::beast_http::status;
using http::beast_http::verb;

struct parameter_sources {
  util::decoded_form query;
  const util::decoded_form* body = nullptr;  // null unless a form POST
  util::decoded_form own_body;               // the body, when the caller did not decode it
};

// The single value of `name`: body first, then query. Sets `error` when the name repeats with
// different values within one source, since a signature check would see every value while the
// dial would use only one of them.
const std::string* single_value(const util::decoded_form& form, std::string_view name, std::string& error) {
  const std::string* found = nullptr;
  for (const util::form_param& param : form.params) {
    if (param.name != name) continue;
    if (found && *found != param.value) {
      error = "Parameter \"" + std::string(name) + "\" is given more than once with different values";
      return nullptr;
    }
    found = &param.value;
  }
  return found;
}

const std::string* lookup(const parameter_sources& sources, std::string_view name, std::string& error) {
  if (sources.body) {
    if (const std::string* value = single_value(*sources.body, name, error)) return value;
    if (!error.empty()) return nullptr;
  }
  return single_value(sources.query, name, error);
}

}  // namespace

http::response handle_redirect_call(const http::request& req, http::request_context& ctx, const std::string& sip_target,
                                    const util::decoded_form* decoded_body) {
  parameter_sources sources;
  const std::string_view target = req.target();
  if (const std::size_t question = target.find('?'); question != std::string_view::npos) {
    sources.query = util::decode_form(target.substr(question + 1));
    if (!sources.query.ok()) return text_response(status::bad_request, "Malformed query string: " + sources.query.error);
  }
  if (req.method() == verb::post && !req.body().empty()) {
    const std::string_view media_type = util::media_type_of(req[field::content_type]);
    if (util::iequals(media_type, "application/x-www-form-urlencoded")) {
      sources.body = decoded_body ? decoded_body : &(sources.own_body = util::decode_form(req.body()));
      if (!sources.body->ok()) return text_response(status::bad_request, "Malformed form body: " + sources.body->error);
    } else if (!util::iequals(media_type, "application/json")) {
      // JSON bodies are accepted (Twilio signs them with bodySHA256); their parameters are in the query.
      return text_response(status::unsupported_media_type,
                           "Unsupported Content-Type: send application/x-www-form-urlencoded");
    }
  }

  std::string error;
  const std::string* called = lookup(sources, "Called", error);
  const std::string* call_sid = error.empty() ? lookup(sources, "CallSid", error) : nullptr;
  if (!error.empty()) return text_response(status::bad_request, error);
  const auto call_sid_problem = call_sid ? twilio::check_call_sid(*call_sid) : std::nullopt;
  if (call_sid && !call_sid_problem) ctx.call_sid = *call_sid;  // for the access log, whatever follows

  if (!called) return text_response(status::bad_request, "Missing \"Called\" parameter");
  if (auto problem = twilio::check_called(*called))
    return text_response(status::bad_request, "Invalid \"Called\" parameter: " + *problem);
  if (!call_sid) return text_response(status::bad_request, "Missing \"CallSid\" parameter");
  if (call_sid_problem) return text_response(status::bad_request, "Invalid \"CallSid\" parameter: " + *call_sid_problem);

  return xml_response(twilio::render_dial_sip(*called, sip_target, *call_sid));
}

}  // namespace twiml_redirect::app
