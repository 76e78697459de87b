using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Web.Security;
using PushCompare.Web.Sessions;

namespace PushCompare.Web.Topics;

/// <summary>Body of a 202 publish: the topic and how many took it (in memory: subscribers; with Redis: sessions + instances, docs/protocol.md "Topics").</summary>
public sealed record TopicPublished(string Topic, int Subscribers);

[JsonSerializable(typeof(TopicPublished))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
internal sealed partial class TopicsJson : JsonSerializerContext;

/// <summary>
/// Broadcast topics: <c>POST /topics/{name}</c> publishes its text body to every subscriber; a connection subscribes
/// when it connects, on any transport, with <c>?topic=NAME</c> (<see cref="ConnectOptions"/>). Publishing is not a
/// transport, so its requests count as "other" in the metering. Every status is listed in docs/protocol.md.
/// </summary>
public static class TopicsEndpoints
{
    public const string Path = "/topics";

    /// <summary>The publish endpoint's answer; the bus itself is the backplane's (<c>AddBackplane</c>).</summary>
    public static IServiceCollection AddTopics(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, TopicsJson.Default));
        return services;
    }

    public static RouteGroupBuilder MapTopics(this WebApplication app)
    {
        var group = app.MapGroup(Path).RequireOrigin();
        group.MapPost("/{name}", PublishAsync).WithName("PublishToTopic");
        return group;
    }

    private static async Task<IResult> PublishAsync(string name, HttpContext context, IOptions<MessagingOptions> messaging, ITopicBus bus)
    {
        if (!TopicName.IsValid(name)) return TopicName.Invalid(name, $"{Path}/");
        var (text, problem) = await TextBody.ReadAsync(context.Request, messaging.Value.MaxMessageBytes, context.RequestAborted);
        if (problem is not null) return problem;
        int subscribers = await bus.PublishAsync(name, text!, context.RequestAborted);
        return TypedResults.Accepted((string?)null, new TopicPublished(name, subscribers));
    }
}
