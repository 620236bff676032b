#include <ostream>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::app {

int run_sign(std::string_view auth_token, std::string_view url, const std::vector<std::string>& fields,
             std::ostream& out, std::ostream& err) {
  if (auth_token.empty()) {
    err << "twiml-redirect: sign needs the auth token in TWILIO_AUTH_TOKEN (environment)\n";
    return kExitUsage;
  }
  if (!url.starts_with("https://") && !url.starts_with("http://")) {
    err << "twiml-redirect: sign --url must be the whole URL Twilio calls, from http:// or https://\n";
    return kExitUsage;
  }
  twilio::form_params params;
  for (const std::string& field : fields) {
    const std::size_t equals = field.find('=');
    if (equals == std::string::npos || equals == 0) {
      err << "twiml-redirect: sign: '" << field << "' is not NAME=VALUE (a form field of the POST body)\n";
      return kExitUsage;
    }
    params.emplace_back(field.substr(0, equals), field.substr(equals + 1));
  }
  out << "X-Twilio-Signature: " << twilio::compute_signature(auth_token, url, params) << "\n";
  return kExitOk;
}

}  // namespace twiml_redirect::app
