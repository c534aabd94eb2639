-- wrk script for bench/run.sh: a non-streaming OpenAI chat completion with a ~1 KB JSON body, the same for every
-- path. PORTKEY_CUSTOM_HOST (env) adds the headers the Portkey gateway needs to reach the simulator.
-- At the end it prints one line "BENCH_JSON {...}" with throughput, latency percentiles and error counts.

local system_prompt = "You are a concise assistant for an online bookshop. Answer questions about orders, "
  .. "shipping times, returns and book recommendations. Keep answers short and friendly, never invent order "
  .. "numbers, and ask for the order id when the customer did not give one. If the customer asks for something "
  .. "outside the bookshop, politely decline and steer the conversation back to books."
local user_prompt = "Hello! I ordered three paperbacks last Tuesday (a travel guide to Portugal, a collection of "
  .. "short stories and a cookbook about Mediterranean vegetables) and the tracking page still says the parcel is "
  .. "being prepared. Could you tell me how long shipping usually takes to Lisbon, whether I can still add a fourth "
  .. "book to the same parcel, and what your return policy is if one of them arrives damaged? I paid by card with the "
  .. "same email address as always. Thanks a lot."

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"' .. system_prompt
  .. '"},{"role":"user","content":"' .. user_prompt .. '"}],"temperature":0.2,"top_p":1,"max_tokens":128,'
  .. '"user":"bench-client-42","stream":false}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-not-a-real-key"

local custom_host = os.getenv("PORTKEY_CUSTOM_HOST")
if custom_host and custom_host ~= "" then
  wrk.headers["x-portkey-provider"] = "openai"
  wrk.headers["x-portkey-custom-host"] = custom_host
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},"body_bytes":%d}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, #wrk.body))
end
