using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushCompare.Bench.Clients;

/// <summary>Body of 201 from <c>POST /poll</c> (the fields the bench uses).</summary>
internal sealed record PollSessionInfo(string Id, int PollTimeoutMs);

/// <summary>Body of 201 from <c>POST /sse</c> (the fields the bench uses).</summary>
internal sealed record SseSessionInfo(string Id, int ReconnectMs, int MaxBacklogMessages);

/// <summary>Body of 200 from <c>GET /poll/{id}</c>.</summary>
internal sealed record PollBatch(long Cursor, string[] Messages);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PollSessionInfo))]
[JsonSerializable(typeof(PollBatch))]
[JsonSerializable(typeof(SseSessionInfo))]
internal sealed partial class PollJson : JsonSerializerContext;
