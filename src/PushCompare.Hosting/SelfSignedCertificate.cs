using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PushCompare.Hosting;

/// <summary>
/// The self-signed <c>localhost</c> / <c>127.0.0.1</c> / <c>::1</c> server certificate: the app's HTTPS endpoint makes
/// one when it has no other, and a balancer that ends TLS (nginx, HAProxy) gets one in its temporary folder.
/// </summary>
public static class SelfSignedCertificate
{
    /// <summary>A self-signed server certificate for localhost, 127.0.0.1 and ::1 (ECDSA P-256), valid from 5 minutes ago for <paramref name="validity"/>.</summary>
    public static X509Certificate2 Create(DateTimeOffset now, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=PushCompare (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>
    /// Writes a new one (valid a day) as one PEM file, the certificate then its private key: the form both nginx
    /// (<c>ssl_certificate</c> and <c>ssl_certificate_key</c> on the same file) and HAProxy (<c>crt</c>) read.
    /// </summary>
    public static void WritePem(string path, DateTimeOffset now)
    {
        using var certificate = Create(now, TimeSpan.FromDays(1));
        using var key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds a private key; the balancers read it before dropping privileges
    }
}
