using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PushCompare.Hosting;

namespace PushCompare.Web.Http;

/// <summary>Where the HTTPS endpoint's certificate came from, for the start-up message.</summary>
public enum CertificateSource
{
    /// <summary><c>Kestrel:Certificates:Default</c>, the standard Kestrel way: Kestrel loads it itself.</summary>
    Configured,

    /// <summary>The ASP.NET Core development certificate (<c>dotnet dev-certs https</c>): Kestrel finds it itself.</summary>
    DevelopmentCertificate,

    /// <summary>A self-signed localhost certificate this app made at its first start and keeps in the user's data folder.</summary>
    SelfSigned,
}

/// <summary>
/// The certificate of the HTTPS endpoint (https://localhost:5081), so <c>dotnet run</c> needs nothing else: one
/// configured the standard Kestrel way, else the ASP.NET Core development certificate when present, else a self-signed
/// <c>localhost</c> / <c>127.0.0.1</c> / <c>::1</c> certificate created with <see cref="CertificateRequest"/> and kept
/// (PKCS#12) so it stays the same across runs — a browser told once to trust it need not be told again.
/// </summary>
public static partial class HttpsCertificates
{
    public const string PathSetting = "Https:SelfSignedCertificatePath";

    // The OID the ASP.NET Core development certificate carries (what `dotnet dev-certs` and Kestrel look for).
    private const string DevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";
    private static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    /// <summary>The self-signed certificate's file: <see cref="PathSetting"/>, else the user's local data folder.</summary>
    public static string SelfSignedPath(IConfiguration configuration) =>
        configuration[PathSetting] is { Length: > 0 } path
            ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
                "PushCompare", "localhost.pfx");

    /// <summary>
    /// The defaults of every HTTPS endpoint (Kestrel keeps one such callback, so this is the only one): the handshake
    /// bound (<c>ServerLimits:TlsHandshakeTimeout</c>) and, when neither configuration nor the development certificate
    /// has one, the self-signed certificate. Endpoints speak HTTP/1.1 and HTTP/2 (Kestrel's default); over TLS the
    /// browser picks by ALPN.
    /// </summary>
    public static WebApplicationBuilder AddHttpsDefaults(this WebApplicationBuilder builder)
    {
        var source = Choose(builder.Configuration, HasDevelopmentCertificate());
        string? path = source == CertificateSource.SelfSigned ? SelfSignedPath(builder.Configuration) : null;
        builder.Services.AddSingleton(new CertificateChoice(source, path));
        builder.Services.AddHostedService<CertificateNotice>();
        // Made only when an HTTPS endpoint asks for it: a plain-HTTP test host never touches the user's folder.
        var certificate = path is null ? null : new Lazy<X509Certificate2>(() => LoadOrCreate(path, TimeProvider.System));
        builder.Services.AddOptions<KestrelServerOptions>().Configure<Microsoft.Extensions.Options.IOptions<ServerLimitsOptions>>((kestrel, limits) =>
            kestrel.ConfigureHttpsDefaults(https =>
            {
                https.HandshakeTimeout = limits.Value.TlsHandshakeTimeout;
                if (certificate is not null) https.ServerCertificateSelector = (_, _) => certificate.Value;
            }));
        return builder;
    }

    /// <summary>The rule, alone so it can be tested: configuration first, then the development certificate, then our own.</summary>
    public static CertificateSource Choose(IConfiguration configuration, bool developmentCertificatePresent) =>
        configuration.GetSection("Kestrel:Certificates:Default").Exists() ? CertificateSource.Configured
        : developmentCertificatePresent ? CertificateSource.DevelopmentCertificate
        : CertificateSource.SelfSigned;

    /// <summary>Whether the current user's store holds a valid ASP.NET Core development certificate with its key.</summary>
    public static bool HasDevelopmentCertificate()
    {
        try
        {
            using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var now = DateTime.Now;
            foreach (var certificate in store.Certificates)
            {
                using (certificate)
                {
                    if (certificate.HasPrivateKey && certificate.NotBefore <= now && now < certificate.NotAfter
                        && certificate.Extensions.Any(e => e.Oid?.Value == DevelopmentCertificateOid))
                        return true;
                }
            }
        }
        catch (CryptographicException)
        {
            // No store for this user yet: there is no development certificate.
        }
        return false;
    }

    /// <summary>The certificate kept at <paramref name="path"/>, or a new one written there when it is missing, unreadable or expiring.</summary>
    public static X509Certificate2 LoadOrCreate(string path, TimeProvider time)
    {
        var now = time.GetUtcNow();
        if (File.Exists(path))
        {
            try
            {
                var kept = X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.Exportable);
                if (kept.HasPrivateKey && kept.NotAfter.ToUniversalTime() > now.UtcDateTime.AddDays(7)) return kept;
                kept.Dispose();
            }
            catch (CryptographicException)
            {
                // A damaged file: replaced below.
            }
        }
        var created = SelfSignedCertificate.Create(now, Validity);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, created.Export(X509ContentType.Pkcs12));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds a private key
        return created;
    }

    /// <summary>What was chosen, and where the self-signed certificate lives (null otherwise).</summary>
    public sealed record CertificateChoice(CertificateSource Source, string? SelfSignedPath);

    // Tells the person who ran the app which certificate the HTTPS endpoint uses and how to get past the browser's warning.
    private sealed partial class CertificateNotice(CertificateChoice choice, Microsoft.AspNetCore.Hosting.Server.IServer server, ILogger<CertificateNotice> logger)
        : IHostedLifecycleService
    {
        public Task StartedAsync(CancellationToken cancellationToken)
        {
            var addresses = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
            if (!addresses.Any(a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase))) return Task.CompletedTask;
            switch (choice.Source)
            {
                case CertificateSource.SelfSigned:
                    SelfSigned(logger, choice.SelfSignedPath!);
                    break;
                case CertificateSource.DevelopmentCertificate:
                    Development(logger);
                    break;
                default:
                    Configured(logger);
                    break;
            }
            return Task.CompletedTask;
        }

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message =
            "HTTPS uses a self-signed certificate for localhost kept at {Path}. The browser warns once: choose 'Advanced' then 'Proceed', " +
            "or trust that certificate in your system or browser store (or run 'dotnet dev-certs https --trust' and restart: the development certificate is preferred).")]
        private static partial void SelfSigned(ILogger logger, string path);

        [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message =
            "HTTPS uses the ASP.NET Core development certificate; if the browser warns, run 'dotnet dev-certs https --trust'.")]
        private static partial void Development(ILogger logger);

        [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "HTTPS uses the certificate configured in Kestrel:Certificates:Default.")]
        private static partial void Configured(ILogger logger);
    }
}
