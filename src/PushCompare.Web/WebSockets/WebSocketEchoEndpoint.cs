using Microsoft.Extensions.Options;
using PushCompare.Web.Http;
using PushCompare.Web.Messaging;

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
        app.UseWebSockets(); // Adds the upgrade feature; pings are configured per connection on accept.
        return app.MapGet(Path, HandleAsync).WithName("WebSocketEcho");
    }

    private static async Task<IResult> HandleAsync(HttpContext context, string? echo,
        IOptions<WebSocketEchoOptions> options, IOptions<MessagingOptions> messaging, ILoggerFactory loggers)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "WebSocket upgrade required",
                $"{Path} is a WebSocket endpoint: open it with new WebSocket('ws://{context.Request.Host}{Path}') " +
                "or send a GET with 'Connection: Upgrade' and 'Upgrade: websocket'. Browsers without WebSocket can use /poll.");
        }
        if (!Echo.TryParseMode(echo, out var mode)) return Problems.BadEchoMode(echo);

        var o = options.Value;
        var logger = loggers.CreateLogger("PushCompare.WebSockets");
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = o.KeepAliveInterval,
            KeepAliveTimeout = o.KeepAliveTimeout,
        });
        Log.Opened(logger, mode);
        await new WebSocketEchoSession(socket, mode, messaging.Value.MaxMessageBytes, o.CloseTimeout, logger).RunAsync(context.RequestAborted);
        Log.Closed(logger, socket.CloseStatus);
        return Results.Empty;
    }
}
