using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Http;

namespace PushCompare.UnitTests.Compression;

/// <summary>HttpCompression:EnableForHttps is its own switch: with only Enabled, HTTPS answers stay identity (BREACH needs TLS).</summary>
public sealed class HttpsCompressionTests
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("pushcompare-https-compression-").FullName;

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "br")]
    public async Task Over_HTTPS_a_poll_answer_is_compressed_only_with_EnableForHttps(bool enableForHttps, string? expected)
    {
        await using var app = new TlsApp((HttpsCertificates.PathSetting, Path.Combine(Folder, $"localhost-{enableForHttps}.pfx")),
            ("HttpCompression:Enabled", "true"), ("HttpCompression:EnableForHttps", enableForHttps ? "true" : "false"));
        using var tls = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { BaseAddress = app.Address };
        tls.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", "gzip, br");

        var session = await tls.OpenSessionAsync();
        await tls.SendAcceptedAsync(session.Id, "over TLS");
        var poll = await tls.PollAsync(session.Id, 0);

        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal(expected is null ? [] : [expected], poll.Content.Headers.ContentEncoding);
        await tls.DeleteSessionAsync(session.Id);
    }

    /// <summary>The app on HTTPS only, at a free loopback port, with its own self-signed certificate.</summary>
    private sealed class TlsApp : AppFactory
    {
        public TlsApp(params (string Key, string Value)[] settings) : base(settings)
        {
            UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps()));
            StartServer();
        }

        public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()
            .Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }
}
