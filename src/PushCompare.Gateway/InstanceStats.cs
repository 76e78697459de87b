using System.Net;
using System.Text.Json;
using PushCompare.Metering;
using Yarp.ReverseProxy;

namespace PushCompare.Gateway;

/// <summary>
/// Asks the instances in rotation for their figures, one after the other (for <c>?session=</c> each adds its own share
/// of the session to the sum in Redis before it answers, so the last answer has every share), with the browser's
/// Origin and Host, so the instances' origin check decides for the gateway as for them: a 4xx of theirs is passed on.
/// An instance that fails or does not answer in time is left out (the answer says how many did).
/// </summary>
internal sealed partial class InstanceStats(IProxyStateLookup proxy, ILogger<InstanceStats> logger) : IDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5); // generous: a busy 2-core machine
    private static readonly string[] PassedOnHeaders = ["Vary", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"];

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The answers, how many instances were asked, and the refusal to pass on instead (an instance's 4xx).</summary>
    public sealed record Answers(List<StatsSnapshot> Figures, int Asked, IResult? Refusal);

    public async Task<Answers> AskAsync(HttpContext context, HttpMethod method, string pathAndQuery)
    {
        var instances = Instances();
        var answers = new List<StatsSnapshot>(instances.Count);
        foreach (var instance in instances)
        {
            using var request = new HttpRequestMessage(method, new Uri(instance, pathAndQuery));
            request.Headers.Host = context.Request.Host.Value;
            if (context.Request.Headers.Origin is { Count: > 0 } origin) request.Headers.TryAddWithoutValidation("Origin", (string?)origin);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(AnswerTimeout);
            try
            {
                using var response = await _http.SendAsync(request, timeout.Token);
                if ((int)response.StatusCode is >= 400 and < 500) return new Answers(answers, instances.Count, await RefusalAsync(response, context, timeout.Token));
                if (!response.IsSuccessStatusCode)
                {
                    NotAnswered(logger, instance, $"{(int)response.StatusCode}");
                    continue;
                }
                PassOn(response, context);
                if (response.StatusCode == HttpStatusCode.NoContent) continue; // a reset: nothing to read
                answers.Add(await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(timeout.Token), MeteringJson.Default.StatsSnapshot, timeout.Token)
                    ?? throw new JsonException("an empty answer"));
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException || ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                NotAnswered(logger, instance, ex.Message);
            }
        }
        return new Answers(answers, instances.Count, null);
    }

    // The instances the proxy would send a request to now (healthy, or not yet checked); all of them when none is.
    private List<Uri> Instances()
    {
        if (!proxy.TryGetCluster(GatewayConfig.ClusterId, out var cluster)) return [];
        var destinations = cluster.DestinationsState.AvailableDestinations.Count > 0
            ? cluster.DestinationsState.AvailableDestinations
            : cluster.DestinationsState.AllDestinations;
        return [.. destinations.OrderBy(d => d.DestinationId, StringComparer.Ordinal).Select(d => new Uri(d.Model.Config.Address))];
    }

    private static async Task<IResult> RefusalAsync(HttpResponseMessage response, HttpContext context, CancellationToken cancel)
    {
        PassOn(response, context);
        string body = await response.Content.ReadAsStringAsync(cancel);
        return TypedResults.Content(body, response.Content.Headers.ContentType?.ToString(), statusCode: (int)response.StatusCode);
    }

    // CORS answers for an allowed cross-origin page: the instance's decision, stated by the gateway.
    private static void PassOn(HttpResponseMessage response, HttpContext context)
    {
        foreach (string name in PassedOnHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values)) context.Response.Headers[name] = values.ToArray();
        }
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "Instance {Instance} gave no figures for /api/stats ({Reason}); the gateway's answer leaves it out")]
    private static partial void NotAnswered(ILogger logger, Uri instance, string reason);
}
