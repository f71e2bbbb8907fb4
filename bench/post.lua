-- bench/post.lua: wrk's request generator for bench/bench.sh.
--
--   wrk ... -s bench/post.lua URL -- MODE BODY SIGNATURES PREFIX TIMESTAMP
--       THREADS [PAUSE [COUNT]]
--
-- Every request is a new delivery, as real traffic is: the receivers
-- deduplicate on the delivery id and on the signed bytes, so a body sent
-- twice is a replay however new its id.  BODY is a template holding the
-- placeholder BENCHID once, SIGNATURES a file of "id hmac" lines from
-- tests/helpers/sign-many: request n puts the n-th id in the body and
-- sends that body's signature.
--
-- MODE github: the id is also the X-GitHub-Delivery header; the signature
--   (of the body alone) goes in X-Hub-Signature-256.
-- MODE mixed: as github, but one request in five (from the 15th) repeats
--   a whole earlier request (same body, same id: a provider's retry) and
--   one in five carries a wrong signature.
-- MODE stripe: the id is in the body only (evt_BENCHID), and the
--   signature covers TIMESTAMP "." body (Stripe-Signature).
--
-- PAUSE, when above 0, is the time in ms each connection waits before
--   each request, so that the load is a steady rate rather than as much
--   as the server takes (wrk measures latency from the send, not the
--   pause).
--
-- COUNT "count": response() sorts the answers that are not 2xx into
--   503s carrying Retry-After (a retryable "not now") and the others,
--   and done() prints "post.lua: non-2xx: N retryable, M other".  Only
--   when asked: with a response() wrk hands every answer's headers to
--   Lua, which costs throughput.
--
-- Ids are PREFIX and a line number, so no two requests of a run, or of
-- two runs, share one; each thread takes every THREADS-th line.  done()
-- reports a thread that ran out of precomputed signatures, which would
-- have meant repeated deliveries.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("thread_no", #threads)
end

local function slurp(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

function init(args)
	mode, prefix = args[1], args[4]
	local body = slurp(args[2])
	local at = body:find("BENCHID", 1, true)
	head, tail = body:sub(1, at - 1), body:sub(at + 7)
	n = 0
	exhausted = 0
	headers = { ["Content-Type"] = "application/json" }
	ids, sigs = {}, {}
	-- Each thread takes every other line, so threads never share.
	local i, stride = 0, tonumber(args[6])
	for line in io.lines(args[3]) do
		if i % stride == thread_no - 1 then
			local id, sig = line:match("^(%S+) (%x+)$")
			table.insert(ids, id)
			table.insert(sigs, sig)
		end
		i = i + 1
	end
	if mode == "stripe" then
		timestamp = args[5]
	else
		bad = "sha256=" .. string.rep("0", 64)
		headers["X-GitHub-Event"] = "push"
	end
	-- wrk looks for delay() after init(): defined only when pacing.
	pause = tonumber(args[7] or "0")
	if pause > 0 then
		delay = function() return pause end
	end
	-- Likewise response(), looked for after init().
	if args[8] == "count" then
		retryable, other = 0, 0
		response = function(status, hdrs)
			if status >= 200 and status < 300 then
				return
			end
			if status == 503 then
				for k in pairs(hdrs) do
					if k:lower() == "retry-after" then
						retryable = retryable + 1
						return
					end
				end
			end
			other = other + 1
		end
	end
end

function request()
	n = n + 1
	if n > #ids then
		exhausted = 1
		n = 1
	end
	local k = n
	if mode == "stripe" then
		headers["Stripe-Signature"] = "t=" .. timestamp .. ",v1=" .. sigs[k]
		return wrk.format("POST", nil, headers, head .. ids[k] .. tail)
	end
	local sig = nil
	if mode == "mixed" then
		-- n - 7 is 3 modulo 5: neither a repeat nor a bad signature.
		if n % 5 == 0 and n > 10 then
			k = n - 7
		elseif n % 5 == 1 then
			sig = bad
		end
	end
	headers["X-GitHub-Delivery"] = ids[k]
	headers["X-Hub-Signature-256"] = sig or "sha256=" .. sigs[k]
	return wrk.format("POST", nil, headers, head .. ids[k] .. tail)
end

function done(summary, latency, requests)
	local r, o, counted = 0, 0, false
	for _, t in ipairs(threads) do
		if t:get("exhausted") == 1 then
			io.stderr:write("post.lua: thread ran out of signatures\n")
		end
		if t:get("retryable") ~= nil then
			counted = true
			r = r + t:get("retryable")
			o = o + t:get("other")
		end
	end
	if counted then
		io.write(string.format("post.lua: non-2xx: %d retryable, %d other\n",
		    r, o))
	end
end
