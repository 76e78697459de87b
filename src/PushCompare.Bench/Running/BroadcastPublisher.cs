using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;

namespace PushCompare.Bench.Running;

/// <summary>What the publisher of a <c>--broadcast</c> run did: publishes answered 202, and how many subscribers each reached.</summary>
public sealed record BroadcastStats(string Topic, long Published, long Refused, int MinSubscribers, int MaxSubscribers);

/// <summary>
/// The one publisher of a <c>--broadcast</c> run: POSTs <c>tick &lt;n&gt; &lt;unix ms&gt;</c> — the push stream's own format, so
/// the push clients' sequence and latency checks apply unchanged — to <c>/topics/{topic}</c> every interval until the
/// window ends. Its HTTP connection is its own and is not metered: the run's bytes are the subscribers'.
/// </summary>
internal sealed class BroadcastPublisher(Uri baseUri, int intervalMs, ErrorLog errors)
{
    private long _published, _refused;
    private int _min = int.MaxValue, _max;

    public BroadcastStats Stats => new(BenchSettings.BroadcastTopic, _published, _refused, _published > 0 ? _min : 0, _max);

    public async Task RunAsync(CancellationToken stop)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = baseUri };
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
        long n = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                string tick = string.Create(CultureInfo.InvariantCulture, $"tick {++n} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
                // Not cancelled by the window's end: a publish half sent would leave a number some subscribers have and others not.
                using var response = await http.PostAsync($"/topics/{BenchSettings.BroadcastTopic}", new StringContent(tick, Encoding.UTF8, "text/plain"), CancellationToken.None);
                string body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    _refused++;
                    errors.Add($"POST /topics/{BenchSettings.BroadcastTopic} answered {(int)response.StatusCode}: {body}");
                    continue;
                }
                int subscribers = JsonDocument.Parse(body).RootElement.GetProperty("subscribers").GetInt32();
                _published++;
                // A publish answered after the window ended may race the clients' DELETEs: its count says nothing.
                if (stop.IsCancellationRequested) break;
                _min = Math.Min(_min, subscribers);
                _max = Math.Max(_max, subscribers);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The window ended.
        }
        catch (HttpRequestException ex)
        {
            errors.Add($"the broadcast publisher failed: {ex.Message}");
        }
    }
}
