using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushCompare.Bench.Clients;

/// <summary>Body of 201 from <c>POST /poll</c> (the fields the bench uses).</summary>
internal sealed record PollSessionInfo(string Id, int PollTimeoutMs);

/// <summary>Body of 200 from <c>GET /poll/{id}</c>.</summary>
internal sealed record PollBatch(long Cursor, string[] Messages);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PollSessionInfo))]
[JsonSerializable(typeof(PollBatch))]
internal sealed partial class PollJson : JsonSerializerContext;
