-- bench/post.lua: wrk's request generator for bench/bench.sh.
--
--   wrk ... -s bench/post.lua URL -- MODE BODY SIGNATURE PREFIX TIMESTAMP
--       THREADS [PAUSE]
--
-- MODE github: the same signed body each time, a unique X-GitHub-Delivery
--   per request (GitHub signs only the body, the id is a header).
-- MODE mixed: as github, but one request in five repeats an id already
--   sent and one in five carries a wrong signature.
-- MODE stripe: Stripe signs the id with the body, so every request needs
--   its own signature: SIGNATURE is then a file of "id hmac" lines from
--   sign-many, and BODY a template holding evt_BENCHID.
--
-- PAUSE, when above 0, is the time in ms each connection waits before
--   each request, so that the load is a steady rate rather than as much
--   as the server takes (wrk measures latency from the send, not the
--   pause).
--
-- Ids are PREFIX, the thread number and a counter, so no two requests of
-- a run, or of two runs, share one.  done() reports a thread that ran out
-- of precomputed signatures, which would have meant repeated ids.

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
	body = slurp(args[2])
	n = 0
	exhausted = 0
	headers = { ["Content-Type"] = "application/json" }
	if mode == "stripe" then
		local at = body:find("evt_BENCHID", 1, true)
		head, tail = body:sub(1, at - 1), body:sub(at + 11)
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
		timestamp = args[5]
	else
		good = "sha256=" .. args[3]
		bad = "sha256=" .. string.rep("0", 64)
		headers["X-GitHub-Event"] = "push"
	end
	-- wrk looks for delay() after init(): defined only when pacing.
	pause = tonumber(args[7] or "0")
	if pause > 0 then
		delay = function() return pause end
	end
end

function request()
	n = n + 1
	if mode == "stripe" then
		if n > #ids then
			exhausted = 1
			n = 1
		end
		headers["Stripe-Signature"] = "t=" .. timestamp .. ",v1=" .. sigs[n]
		return wrk.format("POST", nil, headers, head .. ids[n] .. tail)
	end
	local id, sig = n, good
	if mode == "mixed" then
		if n % 5 == 0 and n > 10 then
			id = n - 7
		elseif n % 5 == 1 then
			sig = bad
		end
	end
	headers["X-GitHub-Delivery"] = prefix .. "-" .. thread_no .. "-" .. id
	headers["X-Hub-Signature-256"] = sig
	return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
	for _, t in ipairs(threads) do
		if t:get("exhausted") == 1 then
			io.stderr:write("post.lua: thread ran out of signatures\n")
		end
	end
end
