using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Security;
using PushCompare.Web.Topics;
using PushCompare.Serving;

namespace PushCompare.Web.WebSockets;

public static class WebSocketEchoEndpoint
{
    public const string Path = "/ws";

    /// <summary>A browser cannot read the 101's headers, so the page names its socket itself (<c>?client=</c>).</summary>
    public static readonly TransportDescriptor Transport = new("websocket", "WebSocket", SessionKeying.ClientChosen, WireFraming.Rfc6455);

    public const string ClientQuery = "client";
    private static readonly SearchValues<char> ClientChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static IServiceCollection AddWebSocketEcho(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebSocketEchoOptions, WebSocketEchoOptionsValidator>(configuration.GetSection(WebSocketEchoOptions.Section));
        services.AddSingleton<OpenSockets>();
        services.AddSingleton<EchoHandler>();
        services.AddSingleton<WebSocketSessionMode>();
        services.AddTransport(Transport, sp => sp.GetRequiredService<OpenSockets>().Read);
        return services;
    }

    /// <summary>
    /// <c>GET /ws</c> (RFC 6455 over HTTP/1.1) and <c>CONNECT /ws</c> (RFC 8441, a WebSocket as one stream of an HTTP/2
    /// connection): the echo endpoint (<c>?echo=exact</c> for a reply without the prefix), or with <c>?session=</c> a
    /// session's reader and sender (<see cref="WebSocketSessionMode"/>). Other methods get 405.
    /// A plain request delegate, not a route handler: the handler's wrappers would stay alive as long as the socket.
    /// </summary>
    public static IEndpointConventionBuilder MapWebSocketEcho(this WebApplication app)
    {
        var handler = app.Services.GetRequiredService<EchoHandler>();
        return app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Connect], handler.Handle).WithName("WebSocketEcho").GuardConnect();
    }

    /// <summary>
    /// The page's own key for its socket's figures (<c>?client=</c>, 1–64 URL-safe characters): true with null when
    /// there is none, false when the value is not a key.
    /// </summary>
    internal static bool TryParseClientKey(HttpRequest request, out string? key)
    {
        key = null;
        if (!request.Query.TryGetValue(ClientQuery, out var values)) return true;
        if (values.Count != 1 || values[0] is not { Length: > 0 and <= 64 } value || value.AsSpan().ContainsAnyExcept(ClientChars)) return false;
        key = value;
        return true;
    }

    /// <summary>
    /// Lets the echo session end TCP itself after its close frame (RFC 6455 §7.1.1). Register it before
    /// <c>UseWebSockets</c>, which keeps the upgrade feature it finds.
    /// </summary>
    public static WebApplication UseWebSocketClosing(this WebApplication app)
    {
        app.Use(CaptureUpgrade);
        return app;
    }

    /// <summary>Lets the session end the connection under the framework's WebSocket itself (see <see cref="UpgradedConnection"/>).</summary>
    private static Task CaptureUpgrade(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade
            && context.Features.Get<IHttpRequestLifetimeFeature>() is { } lifetime
            && context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase))
        {
            var connection = new UpgradedConnection(upgrade, lifetime);
            context.Features.Set<IHttpUpgradeFeature>(connection);
            context.Features.Set<IHttpRequestLifetimeFeature>(connection);
        }
        return next(context);
    }

    /// <summary>Checks the upgrade request, then hands it to a <see cref="WebSocketSession"/>; no await of its own.</summary>
    private sealed class EchoHandler(IOptions<WebSocketEchoOptions> options, IOptions<MessagingOptions> messaging, ITopicBus topics, TimeProvider time,
        ServiceShutdown shutdown, OpenSockets open, WebSocketSessionMode sessions, ILoggerFactory loggers)
    {
        private readonly ILogger _logger = loggers.CreateLogger("PushCompare.WebSockets");

        public Task Handle(HttpContext context)
        {
            var metering = RequestMetering.Of(context);
            metering.Attribute(Transport, null); // every request here is this transport's traffic, refused or not
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "WebSocket upgrade required",
                    $"{Path} is a WebSocket endpoint: open it with new WebSocket('ws://{context.Request.Host}{Path}') " +
                    "or send a GET with 'Connection: Upgrade' and 'Upgrade: websocket'. Browsers without WebSocket can use /poll.").ExecuteAsync(context);
            }
            if (WebSocketSessionMode.Asks(context.Request)) return sessions.HandleAsync(context); // ?session=: the session mode
            if (!ConnectOptions.TryParse(context.Request, messaging.Value, out var connect, out var invalid)) return invalid.ExecuteAsync(context);
            if (shutdown.Stopping.IsCancellationRequested) return Problems.ShuttingDown().ExecuteAsync(context);
            if (!TryParseClientKey(context.Request, out string? client))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, "Invalid client key",
                    $"client='{context.Request.Query[ClientQuery]}' is not a key: give 1–64 characters A–Z, a–z, 0–9, '-' or '_' once (e.g. crypto.randomUUID()), or leave it out.").ExecuteAsync(context);
            }
            // A key names one connection's figures: a second socket (or any other session) may not add to them.
            if (!metering.TryOpenSession(Transport, client, out var figures))
            {
                return Problems.Create(StatusCodes.Status409Conflict, "Client key in use",
                    $"client='{client}' already names another connection's figures: pick a fresh key for every socket (e.g. crypto.randomUUID()).").ExecuteAsync(context);
            }

            var connection = context.Features.Get<IHttpUpgradeFeature>() as UpgradedConnection;
            return new WebSocketSession(metering, connection, connection is null ? context.Abort : connection.Reset, connect,
                    messaging.Value.MaxMessageBytes, options.Value, topics, time, _logger)
                .RunAsync(context, figures, open, shutdown.Stopping);
        }
    }
}

/// <summary>WebSockets being served now: the transport's open-session count.</summary>
internal sealed class OpenSockets
{
    private int _open;

    public int Read() => Volatile.Read(ref _open);

    public Scope Enter()
    {
        Interlocked.Increment(ref _open);
        return new Scope(this);
    }

    public readonly struct Scope(OpenSockets owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._open);
    }
}
