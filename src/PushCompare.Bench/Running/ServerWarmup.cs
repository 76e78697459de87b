using PushCompare.Bench.Clients;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Running;

/// <summary>
/// One round trip on every transport the server offers before the idle scenario reads its memory baseline, so code
/// paths loaded and compiled on first use are in the baseline and not charged to the idle connections (of whichever
/// transport the run measures: every idle run gets the same warm-up).
/// </summary>
internal static class ServerWarmup
{
    public static async Task RunAsync(Uri baseUri, Cli.WireStack stack, IReadOnlyList<BenchTransport> transports, CancellationToken cancel)
    {
        // Over the run's stack, so TLS and HTTP/2 code paths are in the baseline too.
        using var http = new HttpClient(HttpStack.CreateHandler(stack, baseUri, traffic: null))
        {
            BaseAddress = baseUri,
            DefaultRequestVersion = HttpStack.Version(stack),
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        foreach (var transport in transports) await transport.WarmUpAsync(http, baseUri, stack, cancel);
    }
}
