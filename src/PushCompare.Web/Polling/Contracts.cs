using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushCompare.Web.Polling;

/// <summary>
/// Body of <c>201 Created</c> from <c>POST /poll</c>: the session id and the limits the client must respect.
/// <c>WaitMs</c> is the session's default hold time (from <c>?wait=</c>, else <c>PollTimeoutMs</c>; 0 = short polling).
/// <c>StatsKey</c> names the session's figures in <c>/api/stats?session=</c>; unlike the id it grants nothing.
/// </summary>
public sealed record SessionCreated(
    string Id,
    string StatsKey,
    string Echo,
    int PollTimeoutMs,
    int WaitMs,
    int IdleTimeoutMs,
    int MaxMessageBytes,
    int MaxBacklogMessages,
    long MaxBacklogBytes);

/// <summary>Body of <c>200 OK</c> from <c>GET /poll/{id}</c>: every unacknowledged message, in order; <c>Cursor</c> numbers the last one.</summary>
public sealed record PollBatch(long Cursor, string[] Messages);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SessionCreated))]
[JsonSerializable(typeof(PollBatch))]
internal sealed partial class PollingJson : JsonSerializerContext;
