using PushCompare.Web.Backplane;
using PushCompare.Web.Health;
using PushCompare.Web.Http;
using PushCompare.Web.Links;
using PushCompare.Web.Messaging;
using PushCompare.Web.Polling;
using PushCompare.Metering;
using PushCompare.Web.Metering;
using PushCompare.Serving;
using PushCompare.Web.Security;
using PushCompare.Web.ServerSentEvents;
using PushCompare.Web.Sessions;
using PushCompare.Web.Topics;
using PushCompare.Web.WebSockets;

var builder = WebApplication.CreateBuilder(args);

builder.UseInlineSocketScheduling();
builder.AddHttpsDefaults();
builder.Services.AddServerLimits(builder.Configuration);
builder.Services.AddProblemDetails(ProblemDetailing.Configure);
builder.Services.AddMessaging(builder.Configuration);
builder.Services.AddWebSocketEcho(builder.Configuration);
builder.Services.AddBackplane(builder.Configuration); // sessions and topics: in this process, or in Redis with Backplane:Redis
builder.Services.AddSessions(builder.Configuration);
builder.Services.AddPolling(builder.Configuration);
builder.Services.AddServerSentEvents(builder.Configuration);
builder.Services.AddTopics();
builder.Services.AddConnectionGuards(builder.Configuration);
builder.Services.AddHttpCompression(builder.Configuration);
builder.Services.AddHealth(builder.Configuration);
builder.Services.AddLinks(builder.Configuration); // Links:4g=5083 serves the app again through an emulated 4G link (off by default)
builder.AddWireMetering();

var app = builder.Build();

app.UseWireMetering(); // first, so every request's bytes are bound to it
app.UseTrustedProxies(); // the client named by a trusted proxy's X-Forwarded-For/-Proto, before anything asks who the client is
app.UseProblemResponses(); // exceptions and empty 404/405 answers become ProblemDetails (not for upgrades: see there)
app.UseDeclaredResponseHeaders(); // Cache-Control: no-store and X-Accel-Buffering: no, for endpoints that declare them
app.UseHttpCompression(); // for endpoints that declare WithHttpCompression(); after the metering, which counts the compressed bytes
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseConnectionGuards();
app.UseWebSocketClosing(); // before UseWebSockets: the echo session may end TCP itself after its close frame
app.UseWebSockets(); // the upgrade feature; pings are configured per connection on accept
app.MapWebSocketEcho();
app.MapPolling();
app.MapServerSentEvents();
app.MapTopics();
app.DrainSessionsOnShutdown();
app.MapStats();
app.MapOrigins();
app.MapHealth(); // /healthz live, /readyz ready (every check tagged "ready", and not draining)
app.FailReadinessBeforeDraining(); // SIGTERM: /readyz fails for Health:DrainGrace, then the drains above run

app.Run();

/// <summary>Entry point, public so tests can host the app with WebApplicationFactory.</summary>
public partial class Program;
