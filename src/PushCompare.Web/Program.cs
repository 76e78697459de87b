using PushCompare.Web.Health;
using PushCompare.Web.Http;
using PushCompare.Web.LongPolling;
using PushCompare.Web.Messaging;
using PushCompare.Web.Metering;
using PushCompare.Web.Security;
using PushCompare.Web.ServerSentEvents;
using PushCompare.Web.Sessions;
using PushCompare.Web.WebSockets;

var builder = WebApplication.CreateBuilder(args);

builder.UseInlineSocketScheduling();
builder.AddHttpsDefaults();
builder.Services.AddServerLimits(builder.Configuration);
builder.Services.AddProblemDetails(ProblemDetailing.Configure);
builder.Services.AddMessaging(builder.Configuration);
builder.Services.AddWebSocketEcho(builder.Configuration);
builder.Services.AddSessions(builder.Configuration);
builder.Services.AddLongPolling(builder.Configuration);
builder.Services.AddServerSentEvents(builder.Configuration);
builder.Services.AddConnectionGuards(builder.Configuration);
builder.Services.AddHealth(builder.Configuration);
builder.AddWireMetering();

var app = builder.Build();

app.UseWireMetering(); // first, so every request's bytes are bound to it
app.UseExceptionHandler();
app.UseStatusCodePages(); // empty 404/405 answers from routing become ProblemDetails too
app.UseNoStore(LongPollingEndpoints.Path, ServerSentEventsEndpoints.Path, StatsEndpoints.Path);
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseConnectionGuards();
app.UseWebSocketClosing(); // before UseWebSockets: the echo session may end TCP itself after its close frame
app.UseWebSockets(); // the upgrade feature; pings are configured per connection on accept
app.MapWebSocketEcho();
app.MapLongPolling();
app.MapServerSentEvents();
app.DrainSessionsOnShutdown();
app.MapStats();
app.MapHealth(); // /healthz live, /readyz ready (every check tagged "ready", and not draining)
app.FailReadinessBeforeDraining(); // SIGTERM: /readyz fails for Health:DrainGrace, then the drains above run

app.Run();

/// <summary>Entry point, public so tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
