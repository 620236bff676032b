#include <ostream>

#include "twiml_redirect/app/commands.hpp"
#include "twiml_redirect/twilio/shared_keys.hpp"
#include "twiml_redirect/twilio/signature.hpp"

namespace twiml_redirect::app {

int run_sign(const sign_secrets& secrets, std::string_view url, const std::vector<std::string>& fields,
             std::ostream& out, std::ostream& err) {
  std::string shared_secret;
  if (!secrets.shared_key_sid.empty()) {
    const twilio::shared_keys_parse keys = twilio::parse_shared_keys(secrets.shared_keys);
    if (!keys.error.empty()) {
      err << "twiml-redirect: TWILIO_SHARED_KEYS: " << keys.error << "\n";
      return kExitUsage;
    }
    for (const twilio::shared_key& key : keys.keys)
      if (key.sid == secrets.shared_key_sid) shared_secret = key.secret;
    if (shared_secret.empty()) {
      err << "twiml-redirect: sign --shared-key " << secrets.shared_key_sid
          << ": no such key in TWILIO_SHARED_KEYS (environment, SID:secret pairs)\n";
      return kExitUsage;
    }
  } else if (secrets.auth_token.empty()) {
    err << "twiml-redirect: sign needs the auth token in TWILIO_AUTH_TOKEN (environment), or --shared-key SID\n";
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
  if (shared_secret.empty()) {
    out << "X-Twilio-Signature: " << twilio::compute_signature(secrets.auth_token, url, params) << "\n";
  } else {
    const twilio::signing_key key(shared_secret, twilio::hmac_algorithm::sha256);
    out << "X-Twilio-Signature: " << key.sign(url, twilio::signing_string({}, params)) << "\n"
        << "X-Twilio-Webhooks-Signature-Settings: key=" << secrets.shared_key_sid << ",algorithm=HMAC_SHA256\n";
  }
  return kExitOk;
}

}  // namespace twiml_redirect::app
