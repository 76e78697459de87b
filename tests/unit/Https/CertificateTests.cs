using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using PushCompare.Web.Http;

namespace PushCompare.UnitTests.Https;

/// <summary>Which certificate the HTTPS endpoint uses, and the self-signed one kept across runs.</summary>
public sealed class CertificateTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pushcompare-cert-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(true, true, CertificateSource.Configured)]
    [InlineData(true, false, CertificateSource.Configured)]
    [InlineData(false, true, CertificateSource.DevelopmentCertificate)]
    [InlineData(false, false, CertificateSource.SelfSigned)]
    public void A_configured_certificate_wins_then_the_development_one_then_our_own(bool configured, bool development, CertificateSource expected)
    {
        var settings = configured ? new Dictionary<string, string?> { ["Kestrel:Certificates:Default:Path"] = "server.pfx" } : [];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.Equal(expected, HttpsCertificates.Choose(configuration, development));
    }

    [Fact]
    public void The_self_signed_certificate_names_localhost_and_both_loopbacks_for_server_auth_and_is_kept_across_runs()
    {
        string path = Path.Combine(_folder, "sub", "localhost.pfx");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        using var first = HttpsCertificates.LoadOrCreate(path, time);
        using var second = HttpsCertificates.LoadOrCreate(path, time);

        Assert.True(File.Exists(path));
        Assert.Equal(first.Thumbprint, second.Thumbprint); // the same across runs: a browser told to trust it once stays told
        Assert.True(second.HasPrivateKey);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path)); // it holds a key
        var names = first.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1", "::1"], names.EnumerateIPAddresses().Select(a => a.ToString()));
        var usage = first.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal("1.3.6.1.5.5.7.3.1", Assert.Single(usage.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()).Value);
        Assert.True(first.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime.AddDays(300));
    }

    [Fact]
    public void A_certificate_about_to_expire_or_a_damaged_file_is_replaced()
    {
        string path = Path.Combine(_folder, "localhost.pfx");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string original;
        using (var made = HttpsCertificates.LoadOrCreate(path, time)) original = made.Thumbprint;

        time.Advance(TimeSpan.FromDays(360)); // within a week of the end of its year
        using (var renewed = HttpsCertificates.LoadOrCreate(path, time)) Assert.NotEqual(original, renewed.Thumbprint);

        File.WriteAllBytes(path, [1, 2, 3]);
        using var replaced = HttpsCertificates.LoadOrCreate(path, time);
        Assert.True(replaced.HasPrivateKey);
    }
}
