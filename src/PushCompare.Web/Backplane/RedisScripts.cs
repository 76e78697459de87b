namespace PushCompare.Web.Backplane;

/// <summary>
/// The Lua scripts that make each session operation one atomic step on Redis (docs/protocol.md, "Redis"): a retried
/// send that reaches two instances at once runs its check-and-queue as one script, so exactly one queues the reply.
/// A session is one hash, <c>{prefix}s:{id}</c> (the id in braces is its Redis Cluster hash tag): its state fields and
/// one field per unacknowledged message, so every script reads the state with one HMGET, writes it back with one HSET
/// and touches no other key (a script never crosses a hash slot). Every session script gets KEYS = { session hash } and
/// ARGV = { idle ms, now (the calling instance's Unix ms), ... }: the key prefix and the session id are read from the
/// key itself, so no call carries them twice. The shared helpers below are written once and prepended to each. The store
/// loads every script once per server, then calls it by EVALSHA.
/// </summary>
internal static class RedisScripts
{
    // State fields: last (newest seq), acked, handed (newest seq given to a reader), cseq (client seq accepted), qb (UTF-8
    // bytes ever queued), ab (of those, acknowledged: qb - ab is the backlog), gen (reader generation), ractive (a reader
    // is attached), rinst (its instance), rone (it answers once: a long poll), closed (reason), mm/mb (backlog limits),
    // oinst (opening instance), tr, sk (stats key), topic and tcur (the last of the topic's broadcasts taken into the
    // log), dl (when the key expires, on the callers' clock) and del (messages up to it are deleted: acknowledged ones are
    // deleted a few at a time). Message n is field m<n> = "<qb after it> <queued ms> <text>".
    // A reader's instance is told by PUBLISH on {prefix}wake:{instance}: "m <id> <gen> <seq> <ms> <text>" (the message
    // itself, so the reader needs no second script), "s <id> <gen>" (superseded), "c <id> <reason>" (closed). A message
    // for a reader on the calling instance (ARGV 'me' of the scripts that queue) is not published but returned, so the
    // caller hands it over itself.
    private const string Prelude = """
        local S = KEYS[1]
        local idle, now = tonumber(ARGV[1]), tonumber(ARGV[2])
        local prefix, id = string.match(S, '^(.*)s:{(.*)}$')
        local F = {'last', 'acked', 'handed', 'cseq', 'qb', 'ab', 'gen', 'ractive', 'rinst', 'rone', 'closed', 'mm', 'mb', 'oinst', 'tr', 'sk', 'topic', 'tcur', 'dl', 'del'}
        local s, w = {}, {}
        local me, here = nil, {} -- the calling instance, and the message notices it hands over itself
        local function load()
          local v = redis.call('HMGET', S, unpack(F))
          for i = 1, #F do s[F[i]] = v[i] end
          return s.last ~= false
        end
        local function n(f) return tonumber(s[f] or '0') or 0 end
        local function set(f, v) s[f] = tostring(v) w[#w + 1] = f w[#w + 1] = v end
        local function save() if #w > 0 then redis.call('HSET', S, unpack(w)) w = {} end end
        local function range(cmd, from, to) -- HMGET or HDEL of messages from..to, in slices Lua's stack takes
          local out = {}
          local i = from
          while i <= to do
            local f = {}
            for j = i, math.min(to, i + 999) do f[#f + 1] = 'm' .. j end
            local r = redis.call(cmd, S, unpack(f))
            if cmd == 'HMGET' then for _, e in ipairs(r) do out[#out + 1] = e end end
            i = i + 1000
          end
          return out
        end
        -- The session stays for idle ms from now. Its key's TTL is moved only when it would end sooner, and then a
        -- quarter more ahead, so a session in use costs one PEXPIRE every quarter idle period, not one a request.
        local function keep()
          if n('dl') < now + idle then
            local ahead = idle + math.floor(idle / 4)
            redis.call('PEXPIRE', S, ahead)
            set('dl', now + ahead)
          end
        end
        local function notify(instance, notice) if instance then redis.call('PUBLISH', prefix .. 'wake:' .. instance, notice) end end
        local function closedResult(now) return {'closed', s.closed, now and '1' or '0', s.tr or '', s.sk or '', s.topic or ''} end
        local function gone()
          if not load() then return {'gone'} end
          if s.closed then return closedResult(false) end
          return nil
        end
        local function close(reason)
          local notice = 'c ' .. id .. ' ' .. reason
          if s.ractive == '1' then notify(s.rinst, notice) end
          if s.oinst ~= s.rinst or s.ractive ~= '1' then notify(s.oinst, notice) end
          range('HDEL', n('del') + 1, n('last'))
          set('closed', reason) set('ractive', 0) set('qb', 0) set('ab', 0) set('del', n('last'))
          save()
          redis.call('PEXPIRE', S, idle) -- a closed session lingers one idle period so its reason reaches the client
        end
        -- Acknowledges up to upTo; nextEntry is message upTo + 1 when the caller has read it already. Acknowledged
        -- messages are deleted once 8 wait (one HDEL for them all); until then no read reaches them (reads start after acked).
        local function trim(upTo, nextEntry)
          local a, l = n('acked'), n('last')
          if upTo <= a then return end
          local ab = n('qb')
          if upTo < l then
            local e = nextEntry or redis.call('HGET', S, 'm' .. (upTo + 1))
            local one = string.find(e, ' ', 1, true)
            local two = string.find(e, ' ', one + 1, true)
            ab = tonumber(string.sub(e, 1, one - 1)) - (#e - two)
          end
          if upTo - n('del') >= 8 then range('HDEL', n('del') + 1, upTo) set('del', upTo) end
          set('acked', upTo) set('ab', ab)
        end
        local function enqueue(text)
          local l, qb = n('last') + 1, n('qb') + #text
          if l - n('acked') > n('mm') or qb - n('ab') > n('mb') then
            close('\1backlog')
            return false
          end
          set('m' .. l, qb .. ' ' .. now .. ' ' .. text) set('last', l) set('qb', qb)
          if s.ractive == '1' then -- handed to the attached reader with the notice; a long poll is answered by it
            set('handed', l)
            if s.rone == '1' then set('ractive', 0) end
            local notice = 'm ' .. id .. ' ' .. s.gen .. ' ' .. l .. ' ' .. now .. ' ' .. text
            if s.rinst == me then here[#here + 1] = notice else notify(s.rinst, notice) end
          end
          return true
        end
        -- {'ok', {notices}}: the messages for readers on the calling instance.
        local function ok() return {'ok', here} end

        """;

    /// <summary>ARGV 3.. = transport, mode, wait ms, stats key, max messages, max bytes, instance. {'ok'}.</summary>
    public const string Open = """
        local S, idle, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
        redis.call('HSET', S, 'tr', ARGV[3], 'mode', ARGV[4], 'wait', ARGV[5], 'sk', ARGV[6], 'mm', ARGV[7], 'mb', ARGV[8],
          'last', 0, 'acked', 0, 'handed', 0, 'cseq', 0, 'qb', 0, 'ab', 0, 'gen', 0, 'ractive', 0, 'oinst', ARGV[9], 'dl', now + idle, 'del', 0)
        redis.call('PEXPIRE', S, idle)
        return {'ok'}
        """;

    /// <summary>
    /// KEYS = { every open session, those of this transport } (one hash slot: both tagged <c>{prefix}</c>); ARGV = now
    /// ms, idle ms, max sessions, id. Drops the expired, then takes a place for the session: {'ok'} or {'full'}.
    /// </summary>
    public const string Reserve = """
        local all, byTransport, now = KEYS[1], KEYS[2], tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', all, '-inf', now)
        redis.call('ZREMRANGEBYSCORE', byTransport, '-inf', now)
        if redis.call('ZCARD', all) >= tonumber(ARGV[3]) then return {'full'} end
        redis.call('ZADD', all, now + tonumber(ARGV[2]), ARGV[4])
        redis.call('ZADD', byTransport, now + tonumber(ARGV[2]), ARGV[4])
        return {'ok'}
        """;

    /// <summary>
    /// ARGV 3 = client seq or '' (no de-duplication), 4 = reply, 5 = acknowledged up to or '' (a send's <c>ack=</c>, in the
    /// same step), 6 = instance. {'ok', {notices}}, {'dup'}, {'gap', expected}, {'ahead', handed} (nothing accepted), closed, {'gone'}.
    /// </summary>
    public const string Accept = Prelude + """
        local g = gone() if g then return g end
        me = ARGV[6]
        if ARGV[5] ~= '' then
          local upTo = tonumber(ARGV[5])
          if upTo > n('handed') then return {'ahead', s.handed} end
          trim(upTo)
          keep()
        end
        if ARGV[3] ~= '' then
          local seq, last = tonumber(ARGV[3]), n('cseq')
          if seq <= last then save() return {'dup'} end
          if seq > last + 1 then save() return {'gap', tostring(last + 1)} end
        end
        if not enqueue(ARGV[4]) then return closedResult(true) end
        if ARGV[3] ~= '' then set('cseq', ARGV[3]) end
        save()
        return ok()
        """;

    /// <summary>ARGV 3 = text (a push tick), 4 = instance. {'ok', {notices}}, closed, {'gone'}.</summary>
    public const string Enqueue = Prelude + """
        local g = gone() if g then return g end
        me = ARGV[4]
        if not enqueue(ARGV[3]) then return closedResult(true) end
        save()
        return ok()
        """;

    /// <summary>ARGV 3 = up to. {'ok'}, {'ahead', handed}, closed, {'gone'}.</summary>
    public const string Acknowledge = Prelude + """
        local g = gone() if g then return g end
        local upTo, handed = tonumber(ARGV[3]), n('handed')
        if upTo > handed then return {'ahead', tostring(handed)} end
        trim(upTo)
        keep()
        save()
        return {'ok'}
        """;

    /// <summary>
    /// A reader arrives: acknowledges up to the cursor, supersedes the older reader and reads what follows, in one step.
    /// ARGV 3 = cursor or '' (from what is acknowledged), 4 = instance, 5 = how it reads: 'stream' (stays attached),
    /// 'hold' (a long poll: attached only when there is nothing to answer yet) or 'now' (never attached).
    /// {'ok', reader, cursor, attached '1'/'0', last, handed before, {entries}, topic, topic cursor}, {'ahead', last},
    /// {'behind', acked}, closed, gone.
    /// </summary>
    public const string Attach = Prelude + """
        local g = gone() if g then return g end
        local l, a = n('last'), n('acked')
        local cursor = a
        if ARGV[3] ~= '' then cursor = tonumber(ARGV[3]) end
        if cursor > l then return {'ahead', tostring(l)} end
        if cursor < a then return {'behind', tostring(a)} end
        local entries = range('HMGET', cursor + 1, l)
        trim(cursor, entries[1])
        if s.ractive == '1' then notify(s.rinst, 's ' .. id .. ' ' .. s.gen) end -- the older reader learns it was superseded
        local reader, handed = n('gen') + 1, n('handed')
        set('gen', reader)
        if l > handed then set('handed', l) end
        local attached = ARGV[5] == 'stream' or (ARGV[5] == 'hold' and #entries == 0)
        if attached then set('ractive', 1) set('rinst', ARGV[4]) set('rone', ARGV[5] == 'hold' and 1 or 0) else set('ractive', 0) end
        keep()
        save()
        return {'ok', tostring(reader), tostring(cursor), attached and '1' or '0', tostring(l), tostring(handed), entries, s.topic or '', tostring(n('tcur')),
          tostring(n('cseq') + 1)}
        """;

    /// <summary>
    /// ARGV 3 = after, 4 = reader, 5 = '1' to detach as well (a long poll's last look). The read when the notices did
    /// not carry it. {'msgs', last, handed before, first seq - 1, {entries}}, {'empty'}, {'superseded'}, closed, gone.
    /// </summary>
    public const string Read = Prelude + """
        local g = gone() if g then return g end
        if s.gen ~= ARGV[4] then return {'superseded'} end
        if ARGV[5] == '1' then set('ractive', 0) end
        keep()
        local l, after = n('last'), tonumber(ARGV[3])
        if l <= after then save() return {'empty'} end
        local handed = n('handed')
        local from = math.max(after, n('acked'))
        if l > handed then set('handed', l) end
        save()
        return {'msgs', tostring(l), tostring(handed), tostring(from), range('HMGET', from + 1, l)}
        """;

    /// <summary>ARGV 3 = reader. The reader is done: the session is idle from now on. Always {'ok'}.</summary>
    public const string Detach = Prelude + """
        if gone() then return {'ok'} end
        if s.gen == ARGV[3] and s.ractive == '1' then
          set('ractive', 0)
          keep()
          save()
        end
        return {'ok'}
        """;

    /// <summary>ARGV 3 = reader. An attached reader on a live instance keeps its session from expiring. {'ok'} or {'stale'}.</summary>
    public const string Refresh = Prelude + """
        if gone() or s.gen ~= ARGV[3] then return {'stale'} end
        keep()
        save()
        return {'ok'}
        """;

    /// <summary>ARGV 3 = reason. Closed now (what the caller cleans up: transport, stats key, topic), closed before, or gone.</summary>
    public const string Close = Prelude + """
        local g = gone() if g then return g end
        close(ARGV[3])
        return closedResult(true)
        """;

    /// <summary>ARGV 3 = topic, 4 = its last broadcast now. The session takes every broadcast after it. {'ok'}, closed, gone.</summary>
    public const string Subscribe = Prelude + """
        local g = gone() if g then return g end
        set('topic', ARGV[3]) set('tcur', ARGV[4])
        save()
        return {'ok'}
        """;

    /// <summary>
    /// Takes the topic's broadcasts into the session's log, in order, each as a message stamped with its publish time
    /// (backlog limits and reader hand-off as for a reply). ARGV 3 = after ('' for no read), 4 = instance, 5.. = broadcast
    /// number, ms, text, for consecutive broadcasts; those taken already are skipped. {'ok', {notices}, after, last, handed
    /// before, {entries after it}} ({'ok', {notices}} without a read), {'behind', topic cursor, {notices}} when a broadcast
    /// between is missing, closed, gone.
    /// </summary>
    public const string Absorb = Prelude + """
        local g = gone() if g then return g end
        local tcur, handed = n('tcur'), n('handed')
        me = ARGV[4]
        for i = 5, #ARGV, 3 do
          local b = tonumber(ARGV[i])
          if b > tcur + 1 then save() return {'behind', tostring(tcur), here} end
          if b == tcur + 1 then
            now = tonumber(ARGV[i + 1])
            if not enqueue(ARGV[i + 2]) then return closedResult(true) end
            tcur = b
            set('tcur', b)
          end
        end
        save()
        if ARGV[3] == '' then return ok() end
        local l, after = n('last'), math.max(tonumber(ARGV[3]), n('acked'))
        if l > handed then set('handed', l) save() end
        return {'ok', here, tostring(after), tostring(l), tostring(handed), range('HMGET', after + 1, l)}
        """;

    /// <summary>
    /// KEYS = { the topic's log, its session subscribers (a sorted set, score: the session's expiry deadline, renewed by
    /// the instances that serve it) }; ARGV = session id, deadline. {last broadcast}.
    /// </summary>
    public const string Join = """
        redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
        return tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
        """;

    /// <summary>
    /// KEYS = { the topic's log (field n: the last broadcast's number; m&lt;n&gt; = "&lt;n&gt; &lt;ms&gt; &lt;text&gt;", the
    /// latest ARGV 3 of them), its set of session subscribers }; ARGV = now ms, text, broadcasts kept, the live channel,
    /// the feed channel (both in the topic's hash slot). A broadcast is written once, whatever the number of subscribers:
    /// each session takes it into its own log by its own cursor. {session subscribers, live receivers}.
    /// </summary>
    public const string Publish = """
        local log, keep = KEYS[1], tonumber(ARGV[3])
        local b = redis.call('HINCRBY', log, 'n', 1)
        local entry = b .. ' ' .. ARGV[1] .. ' ' .. ARGV[2]
        redis.call('HSET', log, 'm' .. b, entry)
        if b > keep then redis.call('HDEL', log, 'm' .. (b - keep)) end
        local live = redis.call('SPUBLISH', ARGV[4], entry)
        redis.call('SPUBLISH', ARGV[5], entry)
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1]) -- expired, or left by an instance that died
        return {redis.call('ZCARD', KEYS[2]), live}
        """;

    /// <summary>The closed reason a full backlog leaves: each instance says it in words, with the limits the session opened with.</summary>
    public const string BacklogReason = "\u0001backlog";

    /// <summary>Every script, for loading them once per server before the first call.</summary>
    public static readonly string[] All = [Open, Reserve, Accept, Enqueue, Acknowledge, Attach, Read, Detach, Refresh, Close, Subscribe, Absorb, Join, Publish];
}
