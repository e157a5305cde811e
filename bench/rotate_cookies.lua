-- wrk script of scripts/bench: every request carries the next Cookie header from a file (one
-- header value per line), round-robin, so a run spreads over that many signed-in sessions.
-- Usage: wrk ... -s bench/rotate_cookies.lua URL -- cookies.txt
local cookies = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      cookies[#cookies + 1] = line
    end
  end
  if #cookies == 0 then
    error("no cookies in " .. args[1])
  end
  -- Each wrk thread starts at its own offset, so threads do not walk in step.
  next_index = math.random(#cookies) - 1
end

function request()
  next_index = next_index % #cookies + 1
  return wrk.format(nil, nil, { ["Cookie"] = cookies[next_index] })
end
