using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using PushCompare.Bench.Clients;

namespace PushCompare.Bench.Running;

/// <summary>
/// One WebSocket echo, one polling and one SSE round trip before the idle scenario reads its memory baseline, so code
/// paths loaded and compiled on first use are in the baseline and not charged to the idle connections (of whichever
/// transport the run measures: every idle run gets the same warm-up).
/// </summary>
internal static class ServerWarmup
{
    public static async Task RunAsync(Uri baseUri, Cli.WireStack stack, bool polling, bool sse, CancellationToken cancel)
    {
        // Over the run's stack, so TLS and HTTP/2 code paths are in the baseline too.
        using var invoker = new HttpMessageInvoker(HttpStack.CreateHandler(stack, baseUri, traffic: null));
        using (var ws = new ClientWebSocket())
        {
            var uri = new UriBuilder(new Uri(baseUri, "/ws?echo=exact")) { Scheme = stack.Tls ? "wss" : "ws" }.Uri;
            ws.Options.HttpVersion = HttpStack.Version(stack);
            ws.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            await ws.ConnectAsync(uri, invoker, cancel);
            await ws.SendAsync("warm-up"u8.ToArray(), WebSocketMessageType.Text, true, cancel);
            await ws.ReceiveAsync(new byte[64], cancel);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancel);
        }
        if (!polling) return;

        using var http = new HttpClient(HttpStack.CreateHandler(stack, baseUri, traffic: null))
        {
            BaseAddress = baseUri,
            DefaultRequestVersion = HttpStack.Version(stack),
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var opened = await http.PostAsync("/poll?echo=exact", null, cancel);
        var session = await opened.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(PollJson.Default.PollSessionInfo, cancel)
            ?? throw new InvalidOperationException("POST /poll answered without a session");
        using var sent = await http.PostAsync($"/poll/{session.Id}", new StringContent("warm-up", Encoding.UTF8, "text/plain"), cancel);
        using var polled = await http.GetAsync($"/poll/{session.Id}?cursor=0", cancel);
        using var deleted = await http.DeleteAsync($"/poll/{session.Id}", cancel);
        if (sse) await SseRoundTripAsync(http, cancel);
    }

    private static async Task SseRoundTripAsync(HttpClient http, CancellationToken cancel)
    {
        using var opened = await http.PostAsync("/sse?echo=exact", null, cancel);
        var session = await opened.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(PollJson.Default.PollSessionInfo, cancel)
            ?? throw new InvalidOperationException("POST /sse answered without a session");
        using var stream = await http.GetAsync($"/sse/{session.Id}", HttpCompletionOption.ResponseHeadersRead, cancel);
        using var reader = new StreamReader(await stream.EnsureSuccessStatusCode().Content.ReadAsStreamAsync(cancel));
        using var sent = await http.PostAsync($"/sse/{session.Id}?seq=1", new StringContent("warm-up", Encoding.UTF8, "text/plain"), cancel);
        while (await reader.ReadLineAsync(cancel) is { } line && line != "data: warm-up")
        {
            // The opening heartbeat, then the reply.
        }
        using var deleted = await http.DeleteAsync($"/sse/{session.Id}", cancel);
    }
}
