// The whole validation path on an arbitrary request: never crashes, a rejection reason is always
// log-safe, and a request signed with the right token and URL always passes.
// Input: target '\n' host '\n' x-forwarded-proto '\n' x-forwarded-host '\n' content-type '\n'
//        signature '\n' peer address '\n' body (the rest).
#include <algorithm>

#include "fuzz_target.hpp"
#include "twiml_redirect/twilio/request_validator.hpp"
#include "twiml_redirect/twilio/signature.hpp"

TWIML_FUZZ_TARGET(request_validator) {
  using namespace twiml_redirect::twilio;
  twiml_fuzz::field_reader fields(input);
  request_view request;
  request.method = "POST";
  request.target = fields.next();
  request.host = fields.next();
  request.forwarded_proto = fields.next();
  request.forwarded_host = fields.next();
  request.content_type = fields.next();
  request.signature = fields.next();
  boost::system::error_code ec;
  request.peer = boost::asio::ip::make_address(std::string(fields.next()), ec);
  if (ec) request.peer = boost::asio::ip::make_address("127.0.0.1");
  request.body = fields.rest();

  static constexpr const char* kToken = "fuzz-token-0123456789";
  validator_settings settings;
  settings.auth_token = kToken;
  settings.trusted_proxies = {"127.0.0.0/8", "::1/128"};
  const request_validator derived(settings);
  settings.public_url = "https://voice.example.com:8443/";
  const request_validator with_public_url(settings);

  for (const request_validator* validator : {&derived, &with_public_url}) {
    const validation_result result = validator->validate(request);
    if (!result.ok) {
      TWIML_FUZZ_CHECK(!result.reason.empty());
      // (The reason quotes the client's own Host and path, so only a token the input did not carry counts.)
      TWIML_FUZZ_CHECK(result.reason.find(kToken) == std::string::npos ||
                       input.find(kToken) != std::string_view::npos);
      TWIML_FUZZ_CHECK(std::none_of(result.reason.begin(), result.reason.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }));
    }
    // The forged-but-correct case: sign the URL this validator will rebuild, the way Twilio does
    // for a GET (no body), and it must validate.
    request_view get = request;
    get.method = "GET";
    get.body = {};
    get.content_type = {};
    const std::string url = validator->signed_url(get);
    // (A bodySHA256 query parameter, possibly spelled with escapes, makes it a body-hash request.)
    if (url.empty() || get.target.find('%') != std::string_view::npos ||
        get.target.find("bodySHA256") != std::string_view::npos) {
      continue;
    }
    const std::string signature = compute_signature(kToken, url, {});
    get.signature = signature;
    TWIML_FUZZ_CHECK(validator->validate(get).ok);
  }
}
