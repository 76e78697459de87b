using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushCompare.Web.Health;

/// <summary>Body of <c>/healthz</c> and <c>/readyz</c>: the overall status and, for <c>/readyz</c>, each readiness check's.</summary>
public sealed record HealthAnswer(string Status, Dictionary<string, CheckAnswer> Checks);

/// <summary>One check: "Healthy", "Degraded" or "Unhealthy", and why.</summary>
public sealed record CheckAnswer(string Status, string? Description);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HealthAnswer))]
internal sealed partial class HealthJson : JsonSerializerContext;
