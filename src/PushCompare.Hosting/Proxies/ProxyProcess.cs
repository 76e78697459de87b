using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace PushCompare.Hosting.Proxies;

/// <summary>The real programs that can stand between a browser and the instances.</summary>
public enum ProxyProgram
{
    /// <summary>nginx as the load balancer, with deploy/nginx.conf.</summary>
    Nginx,

    /// <summary>HAProxy as the load balancer, with deploy/haproxy.cfg.</summary>
    Haproxy,

    /// <summary>squid as the browser's forward proxy (a corporate network's), with <see cref="ProxyProcess.SquidConfiguration"/>.</summary>
    Squid,
}

/// <summary>
/// A real nginx, HAProxy or squid on free loopback ports, in a temporary folder of its own (its configuration, pid
/// file, logs, temporary files and certificate), in the foreground as this process' child; disposing it stops it
/// (SIGTERM) and deletes the folder. Never the system's: nothing is read from or written to /etc, /run or /var.
/// The balancers listen on plain HTTP and on TLS (a self-signed localhost certificate made for the run).
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly string _folder;

    private ProxyProcess(ProxyProgram program, ChildProcess child, string folder, Uri address, Uri? tlsAddress)
    {
        Program = program;
        Child = child;
        _folder = folder;
        Address = address;
        TlsAddress = tlsAddress;
    }

    public ProxyProgram Program { get; }

    public ChildProcess Child { get; }

    /// <summary>http://127.0.0.1:port/ — a balancer's plain HTTP front, or squid's proxy port.</summary>
    public Uri Address { get; }

    /// <summary>https://127.0.0.1:port/ — a balancer's TLS front (HTTP/2 and HTTP/1.1 by ALPN); null for squid.</summary>
    public Uri? TlsAddress { get; }

    /// <summary>The folder it runs in: its configuration as filled in (<c>pushcompare.conf</c>, <c>haproxy.cfg</c>, <c>squid.conf</c>) and its logs.</summary>
    public string Folder => _folder;

    /// <summary>Where the Debian package installs the program.</summary>
    public static string ExecutablePath(ProxyProgram program) => program switch
    {
        ProxyProgram.Nginx => "/usr/sbin/nginx",
        ProxyProgram.Haproxy => "/usr/sbin/haproxy",
        _ => "/usr/sbin/squid",
    };

    /// <summary>The Debian package and the shipped configuration's file name in deploy/.</summary>
    public static string PackageName(ProxyProgram program) => program.ToString().ToLowerInvariant();

    public static bool IsInstalled(ProxyProgram program) => File.Exists(ExecutablePath(program));

    /// <summary>What to do when it is missing, in a sentence.</summary>
    public static string InstallHint(ProxyProgram program) =>
        $"{PackageName(program)} was not found at {ExecutablePath(program)}: install it ('sudo apt-get install -y {PackageName(program)}', which ./test.sh does).";

    /// <summary>The shipped configuration of a balancer, as a person copies it: deploy/nginx.conf or deploy/haproxy.cfg.</summary>
    public static string ShippedConfigurationPath(ProxyProgram program, string deployFolder) =>
        Path.Combine(deployFolder, program == ProxyProgram.Nginx ? "nginx.conf" : "haproxy.cfg");

    /// <summary>
    /// Starts nginx or HAProxy in front of <paramref name="instances"/> with <paramref name="configuration"/> (the shipped
    /// file's text, or a variant of it) filled in for free loopback ports (or <paramref name="httpPort"/> for plain HTTP)
    /// and a fresh certificate.
    /// </summary>
    public static Task<ProxyProcess> StartBalancerAsync(ProxyProgram program, string configuration, IReadOnlyList<Uri> instances,
        CancellationToken cancel, Action<string>? onLine = null, int httpPort = 0)
    {
        if (program == ProxyProgram.Squid) throw new ArgumentException("squid is a forward proxy: StartSquidAsync.", nameof(program));
        return StartAsync(program, cancel, onLine, (folder, http, https) =>
        {
            string certificate = Path.Combine(folder, "localhost.pem");
            SelfSignedCertificate.WritePem(certificate, DateTimeOffset.UtcNow);
            var values = new Dictionary<string, string>
            {
                ["http"] = $"127.0.0.1:{http}",
                ["https"] = $"127.0.0.1:{https}",
                ["certificate"] = certificate,
            };
            var filled = DeployTemplate.Fill(configuration, instances, values);
            return program == ProxyProgram.Nginx ? Nginx(folder, filled) : Haproxy(folder, filled);
        }, tls: true, httpPort);
    }

    /// <summary>
    /// Starts squid as a forward proxy with <see cref="SquidConfiguration"/>: CONNECT (what a browser uses for https://
    /// and wss://, and Chromium for ws:// too) only to <paramref name="tlsPorts"/>, as a corporate proxy allows it only to 443.
    /// </summary>
    public static Task<ProxyProcess> StartSquidAsync(IEnumerable<int> tlsPorts, CancellationToken cancel, Action<string>? onLine = null)
    {
        var ports = string.Join(' ', tlsPorts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        return StartAsync(ProxyProgram.Squid, cancel, onLine, (folder, port, _) =>
        {
            File.WriteAllText(Path.Combine(folder, "squid.conf"), SquidConfiguration
                .Replace("{{port}}", $"127.0.0.1:{port}", StringComparison.Ordinal)
                .Replace("{{tls_ports}}", ports, StringComparison.Ordinal)
                .Replace("{{folder}}", folder, StringComparison.Ordinal));
            return ["-N", "-f", Path.Combine(folder, "squid.conf")];
        }, tls: false, httpPort: 0);
    }

    /// <summary>
    /// squid as a company's forward proxy, after Debian's default squid.conf: it relays plain HTTP requests to any port
    /// above 1024 (and the usual low ones), and CONNECT tunnels only to the TLS port(s) (443 in the wild; the test's TLS
    /// port here). It caches nothing and keeps its logs in its folder.
    /// </summary>
    public const string SquidConfiguration = """
        http_port {{port}}
        acl SSL_ports port {{tls_ports}}
        acl Safe_ports port 80 21 443 70 210 1025-65535 280 488 591 777
        acl CONNECT method CONNECT
        http_access deny !Safe_ports
        http_access deny CONNECT !SSL_ports
        http_access allow localhost
        http_access deny all
        cache deny all
        pid_filename {{folder}}/squid.pid
        cache_log stdio:/dev/stderr
        access_log stdio:{{folder}}/access.log
        coredump_dir {{folder}}
        shutdown_lifetime 0 seconds
        """;

    /// <summary>squid's access log so far (one line per request or tunnel, with its result: TCP_TUNNEL/200, TCP_DENIED/403, ...).</summary>
    public string AccessLog()
    {
        var path = Path.Combine(_folder, "access.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    // nginx reads the shipped file inside an http { } block, as a distribution's nginx.conf includes conf.d/*.conf:
    // this wrapper is what the distribution's file would give it, with every path in the folder.
    private static string[] Nginx(string folder, string site)
    {
        File.WriteAllText(Path.Combine(folder, "pushcompare.conf"), site);
        File.WriteAllText(Path.Combine(folder, "nginx.conf"), $$"""
            pid {{folder}}/nginx.pid;
            worker_processes 1;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{folder}}/client_body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
                include {{folder}}/pushcompare.conf;
            }
            """);
        return ["-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"];
    }

    private static string[] Haproxy(string folder, string configuration)
    {
        File.WriteAllText(Path.Combine(folder, "haproxy.cfg"), configuration);
        return ["-db", "-f", Path.Combine(folder, "haproxy.cfg")];
    }

    private static async Task<ProxyProcess> StartAsync(ProxyProgram program, CancellationToken cancel, Action<string>? onLine,
        Func<string, int, int, string[]> configure, bool tls, int httpPort)
    {
        if (!IsInstalled(program)) throw new ProcessSetupException(InstallHint(program));
        var folder = Directory.CreateTempSubdirectory($"pushcompare-{PackageName(program)}-").FullName;
        // The workers run as an unprivileged user when started as root (nginx's, squid's): they must reach the folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, program == ProxyProgram.Squid ? (UnixFileMode)0b111_111_111 : (UnixFileMode)0b111_101_101);
        // The ports are free when asked, but another process may take one before the program binds it: try a few.
        for (int attempt = 1; ; attempt++)
        {
            int http = httpPort > 0 ? httpPort : FreePort.Next(), https = tls ? FreePort.Next() : 0;
            var start = new ProcessStartInfo(ExecutablePath(program)) { WorkingDirectory = folder };
            try
            {
                foreach (var arg in configure(folder, http, https)) start.ArgumentList.Add(arg);
                var child = await ChildProcess.StartAsync($"{PackageName(program)} (port {http})", start,
                    ready => ListensAsync(tls ? [http, https] : [http], ready), TimeSpan.FromSeconds(20), cancel, onLine);
                return new ProxyProcess(program, child, folder, new Uri($"http://127.0.0.1:{http}/"), tls ? new Uri($"https://127.0.0.1:{https}/") : null);
            }
            catch (ProcessSetupException ex) when (attempt < 3 && httpPort == 0 && ex.Message.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                // The port was taken in between: others.
            }
            catch
            {
                Directory.Delete(folder, recursive: true);
                throw;
            }
        }
    }

    private static async Task<bool> ListensAsync(int[] ports, CancellationToken cancel)
    {
        foreach (int port in ports)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port, cancel);
            }
            catch (SocketException)
            {
                return false;
            }
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Child.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the system's temp cleaner (a worker may still be releasing a file).
        }
    }
}
