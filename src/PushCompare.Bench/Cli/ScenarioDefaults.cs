namespace PushCompare.Bench.Cli;

/// <summary>Per-scenario defaults: every scenario measures every transport the server offers unless --transport narrows it.</summary>
internal sealed record ScenarioDefaults(string Name, string Description, string Transports, string Clients, double Duration, double Warmup)
{
    public static readonly ScenarioDefaults[] All =
    [
        new("echo", "C clients echo S-byte messages over WebSocket, polling or SSE: closed loop (send, wait for the reply, repeat) or, with --rate, " +
            "open loop at fixed offered rates → round trips/s and latency percentiles.", "all", "50", 10, 2),
        new("push", "C clients each receive one server push every --interval ms → delivery latency (server timestamp to receipt), " +
            "messages lost, HTTP requests per delivered message.", "all", "100", 10, 2),
        new("lubbers", "The Lubbers & Greco (2010) table: 1,000 and 10,000 clients each receiving one message per second over WebSocket, " +
            "long polling, short polling and SSE → measured bytes and Mbit/s beside the 2010 figures, plus a 100,000-client extrapolation.", "all", "1000,10000", 10, 3),
        new("idle", "C idle WebSocket connections, held long polls or open SSE streams → server memory per connection (RSS over the idle baseline, divided).",
            "all", "10000", 5, 3),
        new("first-message", "From nothing to the first delivered message, one client after another: connect (TCP, TLS), open the session " +
            "(polling and SSE: a POST first, SSE then its stream), send one S-byte message and receive its reply → time to first message, " +
            "TCP connections, requests and bytes it took, per transport, protocol and link.", "all", "10", 1, 0),
        new("switch", "One session receiving a push every --interval ms, moved from transport to transport: each reader is killed with a " +
            "message in flight and the next resumes from the cursor → time from a transport's death to the next delivered message per " +
            "ordered pair, and messages lost or duplicated (must be 0). --clients N: switches of each pair.", "websocket,sse,longpoll", "5", 1, 0),
    ];
}
