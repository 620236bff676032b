-- Webhooks with a distinct CallSid each (thread number and a counter), as caller context records
-- them: for the memory store's size with many calls, and /call_context loads that need records.
local counter = 0
local thread_number = 0
local threads = 0
-- Each wrk run of a series passes its number, so no two runs send the same CallSids.
local run = tonumber(os.getenv("TWIML_BENCH_RUN") or "0")

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function request()
  counter = counter + 1
  local sid = string.format("CA%04x%04x%024x", run, thread_number, counter)
  local body = "CallSid=" .. sid .. "&Called=%2B14155550100&To=%2B14155550100&From=%2B15005550006" ..
               "&CallerName=Ada+Lovelace&FromCity=SAN+FRANCISCO&FromState=CA&FromZip=94105&FromCountry=US" ..
               "&StirVerstat=TN-Validation-Passed-A&AccountSid=AC0123456789abcdef0123456789abcdef&Direction=inbound"
  return wrk.format("POST", "/redirect_call", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
