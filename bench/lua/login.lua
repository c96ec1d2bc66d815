-- One never-seen login code per request: resident-<n>.<run_id>-<thread>-<counter>.
-- The emulator accepts `<identity>.<anything>` exactly once, so codes must never repeat,
-- across wrk threads too (each thread has its own Lua state; setup() numbers them).

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

local counter = 0

function request()
  counter = counter + 1
  local n = (counter % bench.identities) + 1
  local code = string.format("resident-%d.%s-%d-%d", n, bench.run_id, thread_id or 0, counter)
  return wrk.format(nil, nil, nil, '{"code":"' .. code .. '"}')
end
