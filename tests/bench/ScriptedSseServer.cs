using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushCompare.BenchTests;

/// <summary>How the scripted server misbehaves on each session's first stream.</summary>
internal sealed record SseScript
{
    /// <summary>Cut the first stream's connection after this many ticks (0: never).</summary>
    public int CutAfter { get; init; }

    /// <summary>Cut in the middle of the next event instead (its first bytes are written, the rest never).</summary>
    public bool CutMidEvent { get; init; }

    /// <summary>On a reconnect, start again AT Last-Event-ID instead of after it: that event arrives twice.</summary>
    public bool RepeatOnResume { get; init; }

    /// <summary>Extra transport ids (with labels) the registry lists besides "sse".</summary>
    public IReadOnlyDictionary<string, string> ExtraTransports { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A small SSE push server on a free loopback port that speaks the app's protocol (POST /sse?push=T, GET /sse/{id}
/// with Last-Event-ID, ack, DELETE, and /api/stats listing its transports) but breaks its streams as scripted, so the
/// bench's reconnect and its exactly-once checks can be tested against a cut the app would never make on its own.
/// </summary>
internal sealed class ScriptedSseServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Session> _sessions = new();

    private sealed class Session(TimeSpan interval)
    {
        public TimeSpan Interval { get; } = interval;
        public CancellationTokenSource Closed { get; } = new();
        public int Streams;
    }

    /// <summary>The Last-Event-ID of every stream GET, in arrival order (null when absent).</summary>
    public ConcurrentQueue<string?> LastEventIds { get; } = new();

    public int Acks => Volatile.Read(ref _acks);

    private int _acks;

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private ScriptedSseServer(SseScript script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/api/stats", () =>
        {
            var transports = new Dictionary<string, object> { ["sse"] = new { label = "Server-Sent Events" } };
            foreach (var (id, label) in script.ExtraTransports) transports[id] = new { label };
            transports["other"] = new { label = "Other" };
            return Results.Json(new { version = 2, transports });
        });
        _app.MapPost("/sse", (int push) =>
        {
            string id = Guid.NewGuid().ToString("N");
            _sessions[id] = new Session(TimeSpan.FromMilliseconds(push));
            return Results.Json(new { id, statsKey = "k" + id, reconnectMs = 50, maxBacklogMessages = 1000 }, statusCode: 201);
        });
        _app.MapGet("/sse/{id}", (string id, HttpContext context) => StreamAsync(script, id, context));
        _app.MapPost("/sse/{id}/ack", (string id) =>
        {
            Interlocked.Increment(ref _acks);
            return Results.NoContent();
        });
        _app.MapDelete("/sse/{id}", (string id) =>
        {
            if (_sessions.TryRemove(id, out var session)) session.Closed.Cancel();
            return Results.NoContent();
        });
    }

    public static async Task<ScriptedSseServer> StartAsync(SseScript script)
    {
        var server = new ScriptedSseServer(script);
        await server._app.StartAsync();
        return server;
    }

    private async Task StreamAsync(SseScript script, string id, HttpContext context)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            context.Response.StatusCode = StatusCodes.Status410Gone;
            return;
        }
        string? lastEventId = context.Request.Headers["Last-Event-ID"];
        LastEventIds.Enqueue(lastEventId);
        long after = long.TryParse(lastEventId, out long resume) ? resume : 0;
        if (script.RepeatOnResume && lastEventId is not null) after--;
        int stream = Interlocked.Increment(ref session.Streams);
        context.Response.ContentType = "text/event-stream";
        var body = context.Response.Body;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(session.Closed.Token, context.RequestAborted);
        try
        {
            await context.Response.WriteAsync("event: heartbeat\ndata: \nretry: 50\n\n", ended.Token);
            await body.FlushAsync(ended.Token);
            for (long n = after + 1; ; n++)
            {
                await Task.Delay(session.Interval, ended.Token);
                string tick = $"data: tick {n} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\nid: {n}\n\n";
                bool cutNow = stream == 1 && script.CutAfter > 0 && n == script.CutAfter + 1;
                if (cutNow && script.CutMidEvent) tick = tick[..12];
                if (!cutNow || script.CutMidEvent)
                {
                    await context.Response.WriteAsync(tick, ended.Token);
                    await body.FlushAsync(ended.Token);
                }
                if (cutNow)
                {
                    context.Abort(); // the connection is reset: no last chunk, as a network cut
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // DELETE (the stream ends with its last chunk) or the client went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions.Values) session.Closed.Cancel();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
