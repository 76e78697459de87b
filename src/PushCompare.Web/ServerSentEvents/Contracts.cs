using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushCompare.Web.ServerSentEvents;

/// <summary>
/// Body of <c>201 Created</c> from <c>POST /sse</c>: the session id (its credential), the key of its figures, and the
/// limits the client must respect. The stream is at the <c>Location</c>, <c>/sse/{id}</c>.
/// </summary>
public sealed record StreamSessionCreated(
    string Id,
    string StatsKey,
    string Echo,
    int HeartbeatMs,
    int ReconnectMs,
    int IdleTimeoutMs,
    int MaxMessageBytes,
    int MaxBacklogMessages,
    long MaxBacklogBytes);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StreamSessionCreated))]
internal sealed partial class ServerSentEventsJson : JsonSerializerContext;
