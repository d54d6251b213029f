-- Helpers shared by the bench scripts; each script loads this file with dofile.
--
-- Every answer outside 200-299 is counted per thread, and done() prints the
-- sum on a line that bench/run.sh reads ("mamori-bench: non-2xx=N"), so a run
-- whose requests were all refused cannot pass for a fast one.

-- Reads a required environment variable; stops wrk with a message if absent.
function bench_env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error("environment variable " .. name .. " is not set (bench/run.sh sets it)")
  end
  return value
end

-- Minimal JSON string escaping for values placed inside request bodies.
function bench_json(value)
  return (value:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end))
end

-- setup() and done() run in wrk's main Lua state; the threads table lives there.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

-- These globals live in each thread's own Lua state.
non2xx = 0
first_bad = nil

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == nil then
      first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200):gsub("%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local total, example = 0, nil
  for _, thread in ipairs(threads) do
    total = total + (thread:get("non2xx") or 0)
    example = example or thread:get("first_bad")
  end
  io.write(string.format("mamori-bench: non-2xx=%d\n", total))
  if example ~= nil then
    io.write("mamori-bench: first non-2xx answer: " .. example .. "\n")
  end
end
