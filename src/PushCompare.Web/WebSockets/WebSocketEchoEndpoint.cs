using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;
using PushCompare.Web.Security;

namespace PushCompare.Web.WebSockets;

public static class WebSocketEchoEndpoint
{
    public const string Path = "/ws";

    public static IServiceCollection AddWebSocketEcho(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebSocketEchoOptions, WebSocketEchoOptionsValidator>(configuration.GetSection(WebSocketEchoOptions.Section));
        return services;
    }

    /// <summary><c>GET /ws</c>: the RFC 6455 echo endpoint (<c>?echo=exact</c> for a reply without the prefix).</summary>
    public static IEndpointConventionBuilder MapWebSocketEcho(this WebApplication app)
    {
        app.Use(CaptureUpgrade); // before UseWebSockets, which keeps the upgrade feature it finds
        app.UseWebSockets(); // Adds the upgrade feature; pings are configured per connection on accept.
        return app.MapGet(Path, HandleAsync).WithName("WebSocketEcho").GuardConnect();
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

    private static async Task<IResult> HandleAsync(HttpContext context, IOptions<WebSocketEchoOptions> options,
        IOptions<MessagingOptions> messaging, TimeProvider time, ServiceShutdown shutdown, ILoggerFactory loggers)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "WebSocket upgrade required",
                $"{Path} is a WebSocket endpoint: open it with new WebSocket('ws://{context.Request.Host}{Path}') " +
                "or send a GET with 'Connection: Upgrade' and 'Upgrade: websocket'. Browsers without WebSocket can use /poll.");
        }
        if (ConnectOptions.TryParse(context.Request, messaging.Value, out var connect) is { } invalid) return invalid;
        if (shutdown.Stopping.IsCancellationRequested) return Problems.ShuttingDown();

        var o = options.Value;
        var logger = loggers.CreateLogger("PushCompare.WebSockets");
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = o.KeepAliveInterval,
            KeepAliveTimeout = o.KeepAliveTimeout,
        });
        Log.Opened(logger, connect.Echo);
        var connection = context.Features.Get<IHttpUpgradeFeature>() as UpgradedConnection;
        await new WebSocketEchoSession(socket, connection, connection is null ? context.Abort : connection.Reset, connect,
                messaging.Value.MaxMessageBytes, o, time, logger)
            .RunAsync(context.RequestAborted, shutdown.Stopping);
        Log.Closed(logger, socket.CloseStatus);
        return Results.Empty;
    }
}
