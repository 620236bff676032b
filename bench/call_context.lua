-- The pre-call action's request, as Synthflow sends it to /call_context: a JSON body naming the call
-- by its X-EI token, and the Bearer token. bench/run records the call first.
wrk.method = "POST"
wrk.body = '{"external_id":"E.' .. os.getenv("TWIML_BENCH_CALL_SID") .. ';"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TWIML_BENCH_CONTEXT_TOKEN")

dofile(os.getenv("TWIML_BENCH_DIR") .. "/report.lua")
