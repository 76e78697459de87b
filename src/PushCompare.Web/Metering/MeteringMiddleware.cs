using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using PushCompare.Web.LongPolling;
using PushCompare.Web.WebSockets;

namespace PushCompare.Web.Metering;

/// <summary>
/// First middleware of the pipeline: tells the connection which transport and session the request belongs to, so
/// its bytes flow there until the response is complete (Response.OnCompleted runs after Kestrel's final flush).
/// </summary>
internal sealed class MeteringMiddleware(RequestDelegate next, WireMeter meter)
{
    public const string ClientQuery = "client";
    private static readonly SearchValues<char> ClientChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public async Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<ConnectionMeter>();
        // Not on a metered Kestrel connection (TestServer), or HTTP/2+, whose multiplexed bytes stay "other".
        if (connection is null || connection.IsUpgraded || !HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            await next(context);
            return;
        }

        var transport = Classify(context.Request, out string? pollId);
        // A session's requests count as the session was opened (POST /poll?wait=0: short polling), whatever they carry.
        SessionMeter? session = null;
        if (pollId is not null) transport = meter.PollTransport(pollId, out session);
        var request = new RequestMeter(meter, meter.Transport(transport), session);
        connection.Begin(request);
        context.Response.OnCompleted(static state =>
        {
            var (c, r, ctx) = ((ConnectionMeter, RequestMeter, HttpContext))state;
            c.End(r, ctx.Request.ContentLength);
            return Task.CompletedTask;
        }, (connection, request, context));

        if (transport == WireTransport.Other)
        {
            await next(context);
            return;
        }
        if (transport == WireTransport.WebSocket && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            string key = ClientKey(context.Request) ?? "ws-" + context.Connection.Id;
            context.Features.Set<IHttpUpgradeFeature>(new MeteredUpgradeFeature(upgrade, connection, request, () => meter.WebSocketSession(key)));
        }
        else if (transport.IsPolling() && pollId is null && HttpMethods.IsPost(context.Request.Method))
        {
            // POST /poll: the session id exists only once the endpoint answers 201 with its Location.
            context.Response.OnStarting(static state =>
            {
                var (m, r, ctx, t) = ((WireMeter, RequestMeter, HttpContext, WireTransport))state;
                if (ctx.Response.StatusCode == StatusCodes.Status201Created && IdFromLocation(ctx.Response.Headers.Location) is { } id
                    && m.PollSession(id, t) is { } s)
                {
                    r.BindSession(s);
                }
                return Task.CompletedTask;
            }, (meter, request, context, transport));
        }

        MessageMetering.Current = request;
        await next(context);
    }

    /// <summary>
    /// By path: /ws is WebSocket; /poll… is polling; the rest is "other". <c>/poll</c> itself (opening a session) is
    /// short polling when it declares <c>wait=0</c>; for <c>/poll/{id}</c> the caller asks the session (<paramref name="pollId"/>)
    /// and this answers long polling, the default.
    /// </summary>
    internal static WireTransport Classify(HttpRequest request, out string? pollId)
    {
        pollId = null;
        var path = request.Path;
        if (path.Equals(WebSocketEchoEndpoint.Path, StringComparison.OrdinalIgnoreCase)) return WireTransport.WebSocket;
        if (!path.StartsWithSegments(LongPollingEndpoints.Path, StringComparison.OrdinalIgnoreCase, out var rest)) return WireTransport.Other;
        if (rest.Value is { Length: > 1 } tail && tail.IndexOf('/', 1) < 0) pollId = tail[1..];
        bool opensShortPolling = !rest.HasValue && request.Query.TryGetValue(HoldTime.Query, out var wait) && wait.Count == 1
            && HoldTime.TryParseMs(wait[0], out int ms) && ms == 0;
        return opensShortPolling ? WireTransport.ShortPoll : WireTransport.LongPoll;
    }

    /// <summary>The page's own key for its WebSocket (<c>/ws?client=…</c>, 1–64 URL-safe characters), so it can find its figures.</summary>
    internal static string? ClientKey(HttpRequest request) =>
        request.Query.TryGetValue(ClientQuery, out var values) && values.Count == 1 && values[0] is { Length: > 0 and <= 64 } key
            && !key.AsSpan().ContainsAnyExcept(ClientChars)
            ? key
            : null;

    private static string? IdFromLocation(string? location) =>
        location is not null && location.StartsWith(LongPollingEndpoints.Path + "/", StringComparison.Ordinal)
            ? location[(LongPollingEndpoints.Path.Length + 1)..]
            : null;
}
