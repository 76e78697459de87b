using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Serving;

/// <summary>
/// Section "Performance": how the socket layer runs request code. Read before the host is built (the runtime takes
/// these from the environment once, when it first uses a socket) and validated at start like every other section.
/// </summary>
public sealed class PerformanceOptions
{
    public const string Section = "Performance";

    /// <summary>Request code runs on the socket's I/O thread (see <see cref="SocketScheduling"/>).</summary>
    public bool InlineSocketScheduling { get; set; } = true;

    /// <summary>
    /// With inline scheduling, how many socket engine threads serve the connections (each its own epoll loop, running
    /// the request code of its sockets). 0, the default, is one per core but one, at least one: the runtime's own choice
    /// is one per core, which on a small machine leaves nothing for the other processes beside the app (a proxy, Redis,
    /// a load client), and every time one of them runs, an engine thread and all its connections wait: one core left
    /// free shortens the tail latency and costs less CPU (measured in docs/benchmarks.md, "WebSocket tail latency
    /// against the Node peer").
    /// The environment variable DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT, when set, wins.
    /// </summary>
    [Range(0, 1024)]
    public int SocketEngineThreads { get; set; }

    /// <summary>The engine thread count this setting asks for on a machine of <paramref name="cores"/> (default: this one's).</summary>
    public int EngineThreads(int? cores = null) => SocketEngineThreads > 0 ? SocketEngineThreads : Math.Max(1, (cores ?? Environment.ProcessorCount) - 1);
}

[OptionsValidator]
public sealed partial class PerformanceOptionsValidator : IValidateOptions<PerformanceOptions>;
