namespace PushCompare.Web.Backplane;

/// <summary>
/// The Lua scripts that make each session operation one atomic step on Redis (docs/protocol.md, "Redis"): a retried
/// send that reaches two instances at once runs its check-and-queue as one script, so exactly one queues the reply.
/// Every script gets KEYS = { session hash, log list } and ARGV = { idle ms, key prefix, session id, ... }; the shared
/// helpers below are written once and prepended to each. StackExchange.Redis sends a script once and EVALSHA after.
/// </summary>
internal static class RedisScripts
{
    // The session hash's fields: tr transport id, mode, wait (ms), sk stats key, mm/mb backlog limits, last (newest seq),
    // acked, handed (newest seq read once), cseq (client seq accepted), bytes (unacknowledged UTF-8 bytes), gen (reader
    // generation), ractive (a reader is attached), rinst (its instance), oinst (opening instance), closed (reason),
    // topic (the broadcast topic it subscribed to: a close on any instance leaves the topic's set at once).
    // Log entries are "<redis ms when queued> <text>"; entry i is message acked + 1 + i.
    private const string Prelude = """
        local meta, log = KEYS[1], KEYS[2]
        local idle, prefix, id = tonumber(ARGV[1]), ARGV[2], ARGV[3]
        local function now() local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000) end
        local function num(f) return tonumber(redis.call('HGET', meta, f) or '0') end
        local function openSets() return prefix .. 'open', prefix .. 'open:' .. redis.call('HGET', meta, 'tr') end
        local function touch()
          redis.call('PEXPIRE', meta, idle)
          redis.call('PEXPIRE', log, idle)
          local all, byTransport = openSets()
          local deadline = now() + idle
          redis.call('ZADD', all, 'XX', deadline, id)
          redis.call('ZADD', byTransport, 'XX', deadline, id)
        end
        local function notify(field, kind)
          local instance = redis.call('HGET', meta, field)
          if instance then redis.call('PUBLISH', prefix .. 'wake:' .. instance, kind .. id) end
        end
        local function gone()
          if redis.call('EXISTS', meta) == 0 then return {'gone'} end
          local reason = redis.call('HGET', meta, 'closed')
          if reason then return {'closed', reason} end
          return nil
        end
        local function close(reason)
          local all, byTransport = openSets()
          redis.call('ZREM', all, id)
          redis.call('ZREM', byTransport, id)
          local topic = redis.call('HGET', meta, 'topic')
          if topic then redis.call('SREM', prefix .. 'topic:' .. topic .. ':sessions', id) end
          redis.call('HSET', prefix .. 'f:' .. redis.call('HGET', meta, 'sk'), 'open', 0)
          if redis.call('HGET', meta, 'ractive') == '1' then notify('rinst', '!') end
          notify('oinst', '!')
          redis.call('HSET', meta, 'closed', reason, 'bytes', 0, 'ractive', 0)
          redis.call('DEL', log)
          redis.call('PEXPIRE', meta, idle) -- a closed session lingers one idle period so its reason reaches the client
        end
        local function trim(upTo)
          local acked = num('acked')
          local n = upTo - acked
          if n <= 0 then return end
          local bytes = 0
          for _, e in ipairs(redis.call('LRANGE', log, 0, n - 1)) do bytes = bytes + #e - string.find(e, ' ', 1, true) end
          redis.call('LTRIM', log, n, -1)
          redis.call('HSET', meta, 'acked', upTo)
          redis.call('HINCRBY', meta, 'bytes', -bytes)
        end
        local function enqueue(text)
          if redis.call('LLEN', log) + 1 > num('mm') or num('bytes') + #text > num('mb') then
            close('\1backlog')
            return false
          end
          redis.call('RPUSH', log, now() .. ' ' .. text)
          redis.call('PEXPIRE', log, math.max(redis.call('PTTL', meta), 1)) -- queueing is no activity: the log lives as long as its session
          redis.call('HINCRBY', meta, 'last', 1)
          redis.call('HINCRBY', meta, 'bytes', #text)
          if redis.call('HGET', meta, 'ractive') == '1' then notify('rinst', '') end
          return true
        end

        """;

    /// <summary>ARGV 4.. = transport, mode, wait ms, stats key, max messages, max bytes, max sessions, instance. {'ok'} or {'full'}.</summary>
    public const string Open = Prelude + """
        local t = now()
        local all, byTransport = prefix .. 'open', prefix .. 'open:' .. ARGV[4]
        redis.call('ZREMRANGEBYSCORE', all, '-inf', t)
        redis.call('ZREMRANGEBYSCORE', byTransport, '-inf', t)
        if redis.call('ZCARD', all) >= tonumber(ARGV[10]) then return {'full'} end
        redis.call('HSET', meta, 'tr', ARGV[4], 'mode', ARGV[5], 'wait', ARGV[6], 'sk', ARGV[7], 'mm', ARGV[8], 'mb', ARGV[9],
          'last', 0, 'acked', 0, 'handed', 0, 'cseq', 0, 'bytes', 0, 'gen', 0, 'ractive', 0, 'oinst', ARGV[11])
        redis.call('PEXPIRE', meta, idle)
        redis.call('ZADD', all, t + idle, id)
        redis.call('ZADD', byTransport, t + idle, id)
        local figures = prefix .. 'f:' .. ARGV[7]
        redis.call('HSET', figures, 'open', 1, 'tr', ARGV[4], 'opened', t)
        redis.call('PEXPIRE', figures, 86400000)
        return {'ok'}
        """;

    /// <summary>ARGV 4 = client seq or '' (no de-duplication), 5 = reply. {'ok'}, {'dup'}, {'gap', expected}, {'closed', reason}, {'gone'}.</summary>
    public const string Accept = Prelude + """
        local g = gone() if g then return g end
        if ARGV[4] ~= '' then
          local seq, last = tonumber(ARGV[4]), num('cseq')
          if seq <= last then return {'dup'} end
          if seq > last + 1 then return {'gap', tostring(last + 1)} end
        end
        if not enqueue(ARGV[5]) then return {'closed', redis.call('HGET', meta, 'closed')} end
        if ARGV[4] ~= '' then redis.call('HSET', meta, 'cseq', ARGV[4]) end
        return {'ok'}
        """;

    /// <summary>ARGV 4 = text (a push tick, a topic's message). {'ok'}, {'closed', reason}, {'gone'}.</summary>
    public const string Enqueue = Prelude + """
        local g = gone() if g then return g end
        if not enqueue(ARGV[4]) then return {'closed', redis.call('HGET', meta, 'closed')} end
        return {'ok'}
        """;

    /// <summary>ARGV 4 = up to. {'ok'}, {'ahead', handed}, {'closed', reason}, {'gone'}.</summary>
    public const string Acknowledge = Prelude + """
        local g = gone() if g then return g end
        local upTo, handed = tonumber(ARGV[4]), num('handed')
        if upTo > handed then return {'ahead', tostring(handed)} end
        trim(upTo)
        touch()
        return {'ok'}
        """;

    /// <summary>ARGV 4 = cursor or '' (from what is acknowledged), 5 = instance. {'ok', reader, cursor, next client seq}, {'ahead', last}, {'behind', acked}, closed, gone.</summary>
    public const string Attach = Prelude + """
        local g = gone() if g then return g end
        local last, acked = num('last'), num('acked')
        local cursor = acked
        if ARGV[4] ~= '' then cursor = tonumber(ARGV[4]) end
        if cursor > last then return {'ahead', tostring(last)} end
        if cursor < acked then return {'behind', tostring(acked)} end
        trim(cursor)
        touch()
        if redis.call('HGET', meta, 'ractive') == '1' then notify('rinst', '') end -- the older reader learns it was superseded
        local reader = redis.call('HINCRBY', meta, 'gen', 1)
        redis.call('HSET', meta, 'rinst', ARGV[5], 'ractive', 1)
        return {'ok', tostring(reader), tostring(cursor), tostring(num('cseq') + 1)}
        """;

    /// <summary>ARGV 4 = after, 5 = reader. {'msgs', last, handed before, first seq - 1, {entries}}, {'empty'}, {'superseded'}, closed, gone.</summary>
    public const string Read = Prelude + """
        local g = gone() if g then return g end
        if redis.call('HGET', meta, 'gen') ~= ARGV[5] then return {'superseded'} end
        touch()
        local last, after = num('last'), tonumber(ARGV[4])
        if last <= after then return {'empty'} end
        local acked, handed = num('acked'), num('handed')
        local from = math.max(after, acked)
        if last > handed then redis.call('HSET', meta, 'handed', last) end
        return {'msgs', tostring(last), tostring(handed), tostring(from), redis.call('LRANGE', log, from - acked, -1)}
        """;

    /// <summary>ARGV 4 = reader. The reader is done: the session is idle from now on. Always {'ok'}.</summary>
    public const string Detach = Prelude + """
        if gone() then return {'ok'} end
        if redis.call('HGET', meta, 'gen') == ARGV[4] then
          redis.call('HSET', meta, 'ractive', 0)
          redis.call('HDEL', meta, 'rinst')
          touch()
        end
        return {'ok'}
        """;

    /// <summary>ARGV 4 = reader. An attached reader on a live instance keeps its session from expiring. {'ok'} or {'stale'}.</summary>
    public const string Refresh = Prelude + """
        if gone() or redis.call('HGET', meta, 'gen') ~= ARGV[4] then return {'stale'} end
        touch()
        return {'ok'}
        """;

    /// <summary>ARGV 4 = reason. {'ok'}, closed, gone.</summary>
    public const string Close = Prelude + """
        local g = gone() if g then return g end
        close(ARGV[4])
        return {'ok'}
        """;

    /// <summary>ARGV 4 = topic. Adds the session to the topic's set of session subscribers. {'ok'}, closed, gone.</summary>
    public const string Subscribe = Prelude + """
        local g = gone() if g then return g end
        redis.call('SADD', prefix .. 'topic:' .. ARGV[4] .. ':sessions', id)
        redis.call('HSET', meta, 'topic', ARGV[4])
        return {'ok'}
        """;

    /// <summary>
    /// KEYS[1] = the topic's set of session ids; ARGV 3 = '', 4 = text, 5 = the topic's channel. A broadcast, atomically:
    /// appended to every subscribed session's log by the same enqueue as a reply (backlog limits, reader wake-up), ids
    /// whose session expired or closed dropped from the set (a dead instance unsubscribes nothing), then PUBLISHed as
    /// "&lt;redis ms&gt; &lt;text&gt;" for live subscribers. {sessions appended, instances that received the PUBLISH}.
    /// </summary>
    public const string Publish = Prelude + """
        local members, text = KEYS[1], ARGV[4]
        local appended = 0
        for _, sid in ipairs(redis.call('SMEMBERS', members)) do
          id, meta, log = sid, prefix .. 's:' .. sid, prefix .. 'l:' .. sid -- the prelude's helpers act on this session now
          if gone() then redis.call('SREM', members, sid)
          elseif enqueue(text) then appended = appended + 1 end -- a full backlog closes the session; close() unsubscribes it
        end
        return {appended, redis.call('PUBLISH', ARGV[5], now() .. ' ' .. text)}
        """;

    /// <summary>The closed reason a full backlog leaves: each instance says it in words, with the limits the session opened with.</summary>
    public const string BacklogReason = "\u0001backlog";

    /// <summary>KEYS[1] = figures hash; ARGV = max latency µs, then field/amount pairs. Adds one instance's share of a session's figures.</summary>
    public const string AddFigures = """
        local f = KEYS[1]
        for i = 2, #ARGV, 2 do redis.call('HINCRBY', f, ARGV[i], ARGV[i + 1]) end
        if tonumber(ARGV[1]) > tonumber(redis.call('HGET', f, 'maxlat') or '0') then redis.call('HSET', f, 'maxlat', ARGV[1]) end
        redis.call('PEXPIRE', f, 86400000)
        return 1
        """;
}
