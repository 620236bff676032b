-- The GET scenario: Twilio's webhook request when the number is configured for GET, parameters in
-- the query string (bench/run puts them in the URL) and, since the service runs with an auth token,
-- a valid X-Twilio-Signature computed by bench/run over that URL.
wrk.headers["X-Twilio-Signature"] = os.getenv("TWIML_BENCH_SIGNATURE")
wrk.headers["User-Agent"] = "TwilioProxy/1.1"

dofile(os.getenv("TWIML_BENCH_DIR") .. "/report.lua")
