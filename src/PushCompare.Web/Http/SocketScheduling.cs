namespace PushCompare.Web.Http;

public static class SocketScheduling
{
    public const string Setting = "Performance:InlineSocketScheduling";

    /// <summary>
    /// Runs request code on the socket's I/O thread instead of handing every read to the thread pool. On the 2-core box
    /// it halves server CPU per WebSocket round trip (docs/benchmarks.md). Safe here because no request code blocks;
    /// <c>Performance:InlineSocketScheduling=false</c> restores the framework default.
    /// </summary>
    public static WebApplicationBuilder UseInlineSocketScheduling(this WebApplicationBuilder builder)
    {
        bool inline = builder.Configuration.GetValue(Setting, defaultValue: true);
        // The runtime reads this once, when the process creates its first socket; Kestrel has not bound yet.
        if (inline) Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
        return builder;
    }
}
