-- Webhooks with a distinct CallSid each, as caller context records them: for the memory store's
-- size with many calls. A CallSid is the run's number (TWIML_BENCH_RUN), this thread's own number
-- and a counter, so no two requests of a series share one.
local counter = 0
local run = tonumber(os.getenv("TWIML_BENCH_RUN") or "0")
-- Each wrk thread has its own Lua state, so the address of a fresh table differs between threads.
local thread_tag = math.floor(tonumber(tostring({}):match("0x(%x+)"), 16) / 16) % 0x10000

function request()
  counter = counter + 1
  local sid = string.format("CA%04x%04x%024x", run % 0x10000, thread_tag, counter)
  local body = "CallSid=" .. sid .. "&Called=%2B14155550100&To=%2B14155550100&From=%2B15005550006" ..
               "&CallerName=Ada+Lovelace&FromCity=SAN+FRANCISCO&FromState=CA&FromZip=94105&FromCountry=US" ..
               "&StirVerstat=TN-Validation-Passed-A&AccountSid=AC0123456789abcdef0123456789abcdef&Direction=inbound"
  return wrk.format("POST", "/redirect_call", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
