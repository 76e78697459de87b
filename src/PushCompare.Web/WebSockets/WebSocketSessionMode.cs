using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PushCompare.Metering;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Web.Sessions;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// Body of the <c>o</c> frame a session-mode WebSocket starts with, on every attach: the session, where the client's
/// sends resume (<c>ExpectedSeq</c>: resend unconfirmed messages from it), what is acknowledged (<c>Acked</c>: messages
/// after it follow), and the limits the other transports' open answers carry.
/// </summary>
public sealed record SocketSessionOpened(
    string Id,
    string StatsKey,
    long ExpectedSeq,
    long Acked,
    string Echo,
    int IdleTimeoutMs,
    int MaxMessageBytes,
    int MaxBacklogMessages,
    long MaxBacklogBytes);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SocketSessionOpened))]
internal sealed partial class SessionModeJson : JsonSerializerContext;

/// <summary>
/// <c>GET /ws?session=new|{id}[&amp;cursor=N]</c>: a WebSocket that opens a session (with the usual connect options) or
/// attaches to one opened by any transport, and carries it in <see cref="SessionFrames"/>. Everything that can be refused
/// is refused before the upgrade, with the other transports' ProblemDetails; the plain <c>/ws</c> echo is untouched.
/// </summary>
internal sealed class WebSocketSessionMode(ISessionStore store, IOptions<WebSocketEchoOptions> options, IOptions<MessagingOptions> messaging,
    ServiceShutdown shutdown, OpenSockets open, TimeProvider time, ILoggerFactory loggers)
{
    public const string SessionQuery = "session", NewSession = "new", CursorQuery = "cursor";

    private static readonly SessionRoutes Routes = new(WebSocketEchoEndpoint.Path, _ => WebSocketEchoEndpoint.Transport,
        $"GET {WebSocketEchoEndpoint.Path}?{SessionQuery}={NewSession}");

    private readonly ILogger _logger = loggers.CreateLogger("PushCompare.WebSockets.Sessions");

    public static bool Asks(HttpRequest request) => request.Query.ContainsKey(SessionQuery);

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (shutdown.Stopping.IsCancellationRequested)
        {
            await Problems.ShuttingDown().ExecuteAsync(context);
            return;
        }
        var given = request.Query[SessionQuery];
        if (given.Count != 1 || string.IsNullOrEmpty(given[0]))
        {
            await Problems.Create(StatusCodes.Status400BadRequest, "Invalid session",
                $"session='{given}' is not a session: give session=new to open one, or the id of an open session once.").ExecuteAsync(context);
            return;
        }
        long? cursor = null;
        if (request.Query.TryGetValue(CursorQuery, out var cursors))
        {
            // A new session has nothing to acknowledge: only 0 is a position in it.
            if (cursors.Count != 1 || !QueryNumber.TryParse(cursors[0], out long parsed) || (given[0] == NewSession && parsed != 0))
            {
                await Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor",
                    $"cursor='{cursors}' is not a position: give the number of the last message you processed (0 or none for a new session).").ExecuteAsync(context);
                return;
            }
            cursor = parsed;
        }

        IMessageSession session;
        if (given[0] == NewSession)
        {
            var (opened, problem) = await SessionEndpoints.OpenAsync(context, WebSocketEchoEndpoint.Transport, SessionEndpoints.UntilPollTimeout);
            if (opened is null)
            {
                await problem!.ExecuteAsync(context);
                return;
            }
            session = opened;
        }
        else
        {
            var (found, missing) = await SessionEndpoints.FindAsync(Routes, given[0]!, context);
            if (found is null)
            {
                await missing!.ExecuteAsync(context);
                return;
            }
            session = found;
        }

        var attached = await session.AttachAsync(cursor, ReaderKind.Stream);
        if (attached.Reader == 0)
        {
            await (attached.Read.Status switch
            {
                ReadStatus.Closed or ReadStatus.Drained => Problems.SessionGone(attached.Read.Detail, Routes.OpenRequest),
                ReadStatus.Released => Problems.InstanceStopping(),
                _ => Problems.Create(StatusCodes.Status400BadRequest, "Invalid cursor", $"cursor={attached.Read.Detail}"),
            }).ExecuteAsync(context);
            return;
        }

        var connection = context.Features.Get<IHttpUpgradeFeature>() as UpgradedConnection;
        var socketOptions = options.Value;
        var socket = new SessionSocket(session, store, attached, Opened(session, attached), RequestMetering.Of(context), socketOptions,
            messaging.Value.MaxMessageBytes, connection, connection is null ? context.Abort : connection.Reset, time, _logger);
        using var counted = open.Enter();
        await socket.RunAsync(context);
    }

    private SocketSessionOpened Opened(IMessageSession session, Attachment attached)
    {
        var limits = store.Options;
        return new SocketSessionOpened(session.Id, session.StatsKey, attached.ExpectedSeq, attached.Cursor, Echo.QueryValue(session.Mode),
            (int)limits.IdleTimeout.TotalMilliseconds, messaging.Value.MaxMessageBytes, limits.MaxBacklogMessages, limits.MaxBacklogBytes);
    }
}
