using System.CommandLine;
using System.Globalization;
using PushCompare.Bench.Transports;
using static PushCompare.Hosting.CommandLineChecks;

namespace PushCompare.Bench.Cli;

/// <summary>The command line: one subcommand per scenario, sharing one set of options (defaults differ per scenario).</summary>
internal static class Commands
{
    public static RootCommand Build(Func<BenchSettings, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand("PushCompare bench: measures WebSocket, long polling, short polling and Server-Sent Events under load, with bytes counted by the client.");
        foreach (var defaults in ScenarioDefaults.All) root.Add(Scenario(defaults, run));
        return root;
    }

    private static Command Scenario(ScenarioDefaults d, Func<BenchSettings, CancellationToken, Task<int>> run)
    {
        var transport = new Option<string>("--transport", "-t")
        {
            Description = "Transport ids as the server lists them at GET /api/stats (" + string.Join(", ", TransportCatalog.Ids) +
                " here), a comma list of them, or all (the default: every one the server offers)",
            DefaultValueFactory = _ => d.Transports,
        };
        var clients = new Option<string>("--clients", "-c") { Description = "Concurrent clients; a comma list runs each count", DefaultValueFactory = _ => d.Clients };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds in the measurement window of each run", DefaultValueFactory = _ => d.Duration };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of traffic before the window (not measured)", DefaultValueFactory = _ => d.Warmup };
        var size = new Option<int>("--size", "-s") { Description = $"Echo message size in bytes (at least {Clients.Payload.MinSize})", DefaultValueFactory = _ => 32 };
        var interval = new Option<int>("--interval") { Description = "Milliseconds between server pushes to each client", DefaultValueFactory = _ => 1000 };
        var pollInterval = new Option<int>("--poll-interval") { Description = "Milliseconds between short polls (wait=0)", DefaultValueFactory = _ => 1000 };
        var rate = new Option<string?>("--rate", "-r") { Description = "Open loop: offered messages/s over all clients, sent on a fixed schedule whatever the replies do; a comma list steps up through the rates" };
        var p99 = new Option<double>("--p99-limit") { Description = "With --rate: a rate is held when p99 stays within this many ms", DefaultValueFactory = _ => 5 };
        var allSteps = new Option<bool>("--all-steps") { Description = "With --rate: keep stepping up after a rate that was not held" };
        var outDir = new Option<string?>("--out", "-o") { Description = "Folder for the report: <scenario>.json, .md and .svg" };
        var url = new Option<string?>("--url") { Description = "Measure a running server at this base URL instead of starting the app" };
        var serverPid = new Option<int?>("--server-pid") { Description = "With --url: the server's process id, for CPU and memory from /proc" };
        var serverDll = new Option<string?>("--server-dll") { Description = "The app to start (default: the PushCompare.Web.dll built with this bench)" };
        var serverArg = new Option<string[]>("--server-arg") { Description = "A setting for the started app, Key=Value (e.g. LongPolling:PollTimeout=00:00:05); repeatable", Arity = ArgumentArity.ZeroOrMore };
        var serverEnv = new Option<string[]>("--server-env") { Description = "An environment variable for the started app, NAME=VALUE (e.g. DOTNET_gcServer=0); repeatable", Arity = ArgumentArity.ZeroOrMore };
        var variant = new Option<string[]>("--variant")
        {
            Description = "Start the app once per variant and compare them: NAME (the app as is) or NAME=Key=Value[,env:VAR=VALUE,...] " +
                "(settings as --server-arg, env: entries as --server-env, both on top of the global ones); repeatable",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var rounds = new Option<int>("--rounds") { Description = "Repeat every run this many times, alternating the order of targets", DefaultValueFactory = _ => 1 };
        var peer = new Option<string?>("--peer") { Description = "Also run against a reference peer: node (bench/peers/node-ws-echo, WebSocket echo only)" };
        peer.AcceptOnlyFromAmong("node");
        var chromium = new Option<bool>("--chromium-headers") { Description = "Also run with the request headers Chromium 156 sends (the browser case)" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No live display while running" };
        var drain = new Option<double>("--drain") { Description = "Seconds to wait for replies still in flight when the window ends", DefaultValueFactory = _ => 10 };
        var pollClient = new Option<string>("--poll-client")
        {
            Description = "HTTP client of the long- and short-polling clients: httpclient (.NET HttpClient) or raw (hand-written HTTP/1.1, " +
                "one keep-alive connection per client, near-zero allocation)",
            DefaultValueFactory = _ => "httpclient",
        };
        pollClient.AcceptOnlyFromAmong("httpclient", "raw");
        var protocol = new Option<string>("--protocol")
        {
            Description = "HTTP version of the clients: h1 (HTTP/1.1), h2 (HTTP/2, always over TLS, as browsers speak it), a comma list, or all " +
                "(h1, h1+tls and h2+tls: the Lubbers matrix); one run each",
            DefaultValueFactory = _ => "h1",
        };
        var tls = new Option<bool>("--tls") { Description = "Over TLS (https://, wss://): the app also listens on a free https port with its self-signed certificate, which the client accepts for loopback only" };
        var clientsPerConnection = new Option<int>("--clients-per-connection")
        {
            Description = "HTTP/2 only: clients whose streams share one connection (default 1: each client is its own browser with its own connection)",
            DefaultValueFactory = _ => 1,
        };
        var broadcast = new Option<bool>("--broadcast")
        {
            Description = $"The clients subscribe with topic={BenchSettings.BroadcastTopic} and one publisher POSTs a tick to " +
                $"/topics/{BenchSettings.BroadcastTopic} every --interval ms (one message to every client) instead of each client's own push=",
        };
        var compression = new Option<bool>("--compression") { Description = "Start the app with WebSocket permessage-deflate and HTTP compression on; the clients negotiate both" };
        var cluster = new Option<string?>("--cluster")
        {
            Description = $"Also run through a local cluster: a private redis-server, N PushCompare.Web instances on it (default {DefaultClusterSize}) and the " +
                "gateway in front, alternating with the app alone (in memory) in the same invocation; adds Redis commands and bytes per message",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "N",
            // Given without a number: the default size. The number itself is checked with the other options (exit code 2).
            CustomParser = result => result.Tokens.Count == 0 ? DefaultClusterSize.ToString(CultureInfo.InvariantCulture) : result.Tokens[0].Value,
        };
        var gateways = new Option<int>("--gateways")
        {
            Description = "With --cluster: gateways in front of the instances; the client spreads its connections over them as an L4 load balancer " +
                "would (each proxied connection costs its gateway two file descriptors)",
            DefaultValueFactory = _ => 1,
        };
        var client = new Option<string>("--client")
        {
            Description = "The load client of closed-loop WebSocket echo: dotnet (the bench's own) or node (the Node ws client in bench/peers/node-ws-echo, one process)",
            DefaultValueFactory = _ => "dotnet",
        };
        client.AcceptOnlyFromAmong("dotnet", "node");
        var link = new Option<string?>("--link") { Description = "Over an emulated network link: lan, broadband, 4g, 3g or satellite (docs/measuring.md, \"Over an emulated link\")" };
        var rtt = new Option<string?>("--rtt") { Description = "The link's round trip (e.g. 120ms), replacing --link's own" };
        var bandwidth = new Option<string?>("--bandwidth") { Description = "The link's rate each way (e.g. 5mbit), replacing --link's own" };
        var loss = new Option<string?>("--loss") { Description = "The link's segment loss (e.g. 1%), replacing --link's own" };
        var jitter = new Option<string?>("--jitter") { Description = "The link's jitter on top of the one-way delay (e.g. 10ms), replacing --link's own" };
        var connectConcurrency = new Option<int>("--connect-concurrency") { Description = "Connections opened at once while clients connect", DefaultValueFactory = _ => 64 };

        var command = new Command(d.Name, d.Description)
        {
            transport, clients, duration, warmup, size, interval, pollInterval, rate, p99, allSteps, outDir, url, serverPid, serverDll,
            serverArg, serverEnv, variant, rounds, peer, chromium, noProgress, drain, connectConcurrency, pollClient, broadcast,
            protocol, tls, clientsPerConnection, compression, client, cluster, gateways, link, rtt, bandwidth, loss, jitter,
        };
        // Every option parses on every command, so one given to the wrong scenario is refused with a reason (below);
        // --help lists only those this scenario uses.
        foreach (var option in command.Options) option.Hidden = !Uses(d.Name, option.Name);
        command.SetAction(async (parsed, cancel) =>
        {
            BenchSettings settings;
            try
            {
                settings = new BenchSettings
                {
                    Scenario = d.Name,
                    RequestedTransports = ParseTransports(parsed.GetValue(transport)!),
                    Clients = ParseList(parsed.GetValue(clients)!, "--clients", int.Parse).Select(c => Positive(c, "--clients")).ToList(),
                    DurationSeconds = Positive(parsed.GetValue(duration), "--duration"),
                    WarmupSeconds = NonNegative(parsed.GetValue(warmup), "--warmup"),
                    Size = AtLeast(parsed.GetValue(size), Clients.Payload.MinSize, "--size"),
                    IntervalMs = Positive(parsed.GetValue(interval), "--interval"),
                    PollIntervalMs = Positive(parsed.GetValue(pollInterval), "--poll-interval"),
                    Rates = parsed.GetValue(rate) is { } r ? [.. ParseList(r, "--rate", double.Parse).Select(x => Positive(x, "--rate")).Order()] : [],
                    P99LimitMs = Positive(parsed.GetValue(p99), "--p99-limit"),
                    StopAfterFailedStep = !parsed.GetValue(allSteps),
                    OutDir = parsed.GetValue(outDir),
                    Url = parsed.GetValue(url) is { } u ? ParseUrl(u) : null,
                    ServerPid = parsed.GetValue(serverPid),
                    ServerDll = parsed.GetValue(serverDll) is { } dll ? Path.GetFullPath(dll) : null,
                    ServerArgs = [.. (parsed.GetValue(serverArg) ?? []).Select(a => KeyValue(a, "--server-arg"))],
                    ServerEnv = [.. (parsed.GetValue(serverEnv) ?? []).Select(a => KeyValue(a, "--server-env"))],
                    Variants = [.. (parsed.GetValue(variant) ?? []).Select(ParseVariant)],
                    Rounds = Positive(parsed.GetValue(rounds), "--rounds"),
                    NodePeer = parsed.GetValue(peer) == "node",
                    ChromiumHeaders = parsed.GetValue(chromium),
                    Progress = !parsed.GetValue(noProgress),
                    DrainSeconds = NonNegative(parsed.GetValue(drain), "--drain"),
                    ConnectConcurrency = Positive(parsed.GetValue(connectConcurrency), "--connect-concurrency"),
                    PollClient = parsed.GetValue(pollClient) == "raw" ? PollClientKind.Raw : PollClientKind.HttpClient,
                    Stacks = ParseStacks(parsed.GetValue(protocol)!, parsed.GetValue(tls)),
                    ClientsPerConnection = Positive(parsed.GetValue(clientsPerConnection), "--clients-per-connection"),
                    Broadcast = parsed.GetValue(broadcast),
                    Compression = parsed.GetValue(compression),
                    EchoClient = parsed.GetValue(client) == "node" ? EchoClientKind.Node : EchoClientKind.DotNet,
                    Cluster = parsed.GetValue(cluster) is { } n ? ClusterSize(n) : null,
                    Gateways = parsed.GetValue(gateways),
                    Link = ParseLink(parsed.GetValue(link), parsed.GetValue(rtt), parsed.GetValue(bandwidth), parsed.GetValue(loss), parsed.GetValue(jitter)),
                };
                if (!settings.Link.IsLoopback && settings.Cluster is not null) throw new FormatException("--link puts one link in front of one app: drop --cluster.");
                CheckNodeClient(settings);
                // The Node load client speaks WebSocket only, so "every transport" (the default) means WebSocket with it.
                if (settings.EchoClient == EchoClientKind.Node) settings = settings with { RequestedTransports = ["websocket"] };
                CheckCluster(settings, d.Name, OpenFilesLimit());
                CheckStacks(settings);
                if (settings.Broadcast && d.Name is not ("push" or "lubbers")) throw new FormatException("--broadcast applies to the push and lubbers scenarios only.");
                if (settings.Broadcast && settings.NodePeer) throw new FormatException("--broadcast needs the app's /topics: the Node peer has none.");
                // The raw HTTP clients (raw polling, SSE) parse the bytes themselves and have no Brotli/gzip decoder.
                if (settings.Compression && settings.PollClient == PollClientKind.Raw) throw new FormatException("--compression needs --poll-client httpclient: the raw client cannot decode a compressed body.");
                if (settings.Compression && Requested(settings).FirstOrDefault(t => t.CompressionRefusal is not null) is { } uncompressed)
                    throw new FormatException($"--compression does not cover {uncompressed.Id} ({uncompressed.CompressionRefusal}): pass --transport " +
                        string.Join(",", TransportCatalog.All.Where(t => t.CompressionRefusal is null).Select(t => t.Id)) + ".");
                if (settings.Compression && settings.Url is not null) throw new FormatException("--compression starts the app with compression on; with --url, start the server with it yourself.");
                if (settings.PollClient == PollClientKind.Raw && d.Name == "echo") throw new FormatException("--poll-client raw applies to the push and idle scenarios; echo uses HttpClient.");
                if (settings.PollClient == PollClientKind.Raw && settings.ChromiumHeaders) throw new FormatException("--chromium-headers needs --poll-client httpclient: the raw client sends only Host (and Content-Length on a POST).");
                if (settings.Url is not null && settings.Variants.Count > 0) throw new FormatException("--variant starts the app itself; it cannot be combined with --url.");
                if (settings.Variants.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new FormatException($"--variant '{twice.Key}' is given twice: variant names must differ.");
                if (settings.Rates.Count > 0 && d.Name != "echo") throw new FormatException("--rate applies to the echo scenario only.");
                if (d.Name == "switch" && (settings.ChromiumHeaders || settings.Cluster is not null))
                    throw new FormatException("switch moves one session between the bench's own readers on the app: drop --chromium-headers and --cluster.");
            }
            catch (FormatException ex)
            {
                return await CommandLineChecks.RefuseAsync(parsed.InvocationConfiguration.Error, ex);
            }
            return await run(settings, cancel);
        });
        return command;
    }

    /// <summary>
    /// Only the form is checked here: which ids exist is the server's to say, and the bench reads it from the server
    /// once it is up (BenchRunner). Null means all.
    /// </summary>
    private static List<string>? ParseTransports(string text)
    {
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return null;
        var ids = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0) throw new FormatException("--transport needs at least one transport.");
        foreach (string id in ids)
        {
            if (!id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                throw new FormatException($"'{id}' is not a transport id: use ids as GET /api/stats lists them (e.g. {string.Join(", ", TransportCatalog.Ids)}) or all.");
        }
        return [.. ids.Select(i => i.ToLowerInvariant()).Distinct()];
    }

    /// <summary>
    /// <c>--protocol</c> and <c>--tls</c> as the stacks to run. h2 means HTTP/2 over TLS, with or without <c>--tls</c>:
    /// browsers speak HTTP/2 only over TLS, so h2 without it (h2c) would measure a case no browser produces.
    /// </summary>
    internal static List<WireStack> ParseStacks(string text, bool tls)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new FormatException("--protocol needs h1, h2 or all.");
        var stacks = new List<WireStack>();
        foreach (string item in items)
        {
            switch (item.ToLowerInvariant())
            {
                case "h1" or "http/1.1":
                    stacks.Add(tls ? WireStack.Http11Tls : WireStack.Http11);
                    break;
                case "h2" or "http/2":
                    stacks.Add(WireStack.Http2Tls);
                    break;
                case "all" when tls:
                    throw new FormatException("--protocol all already runs h1, h1+tls and h2+tls: drop --tls.");
                case "all":
                    stacks.AddRange(WireStack.All);
                    break;
                case "h2c":
                    throw new FormatException("--protocol h2c is not offered: browsers speak HTTP/2 only over TLS, so h2 always means HTTP/2 + TLS.");
                case "h3" or "http/3":
                    throw new FormatException("--protocol h3 cannot be measured here: Kestrel's HTTP/3 needs libmsquic, which this machine does not have.");
                default:
                    throw new FormatException($"--protocol '{item}' is not h1, h2 or all.");
            }
        }
        return [.. stacks.Distinct()];
    }

    /// <summary>Whether scenario <paramref name="scenario"/> uses option <paramref name="option"/> (the others are hidden from its --help).</summary>
    private static Hosting.Links.LinkProfile ParseLink(string? name, string? rtt, string? bandwidth, string? loss, string? jitter)
    {
        try
        {
            return Hosting.Links.LinkProfile.Parse(name, rtt, bandwidth, loss, jitter);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message.Split(" (Parameter")[0], ex);
        }
    }

    internal static bool Uses(string scenario, string option) => option switch
    {
        "--link" or "--rtt" or "--bandwidth" or "--loss" or "--jitter" => scenario is "echo" or "push" or "lubbers" or "first-message" or "switch",
        "--size" => scenario is "echo" or "first-message",
        "--rate" or "--p99-limit" or "--all-steps" or "--peer" or "--client" => scenario == "echo",
        // One client after another, each until its first reply: no window, no warm-up, no drain.
        "--duration" or "--warmup" or "--drain" or "--connect-concurrency" => scenario is not ("first-message" or "switch"),
        "--chromium-headers" or "--cluster" or "--gateways" => scenario != "switch",
        "--interval" => scenario is "push" or "lubbers" or "switch",
        "--broadcast" => scenario is "push" or "lubbers",
        "--poll-interval" => scenario is "echo" or "push" or "lubbers" or "switch",
        "--compression" => scenario is "echo" or "push" or "lubbers",
        "--poll-client" => scenario is "push" or "lubbers" or "idle",
        _ => true,
    };

    /// <summary>The Node load client does one thing: closed-loop WebSocket echo over plain HTTP/1.1.</summary>
    private static void CheckNodeClient(BenchSettings s)
    {
        if (s.EchoClient != EchoClientKind.Node) return;
        if (s.Scenario != "echo") throw new FormatException("--client node applies to the echo scenario only.");
        if (s.Rates.Count > 0) throw new FormatException("--client node runs closed loop only: drop --rate (the open loop needs the bench's own paced client).");
        if (s.RequestedTransports is { } ids && ids is not ["websocket"]) throw new FormatException("--client node speaks WebSocket only: pass --transport websocket (or no --transport).");
        if (s.Stacks is not [{ Tls: false, IsHttp2: false }]) throw new FormatException("--client node connects over plain ws:// (HTTP/1.1): drop --tls and --protocol.");
        if (s.ChromiumHeaders) throw new FormatException("--chromium-headers needs the bench's own client: the Node client sends the ws package's handshake.");
        if (s.Compression) throw new FormatException("--compression needs the bench's own client: the Node client does not offer permessage-deflate.");
    }

    /// <summary>Combinations of the stacks with other options that cannot run, each refused with what to change.</summary>
    private static void CheckStacks(BenchSettings s)
    {
        bool anyTls = s.Stacks.Any(x => x.Tls), anyH2 = s.Stacks.Any(x => x.IsHttp2);
        if (anyH2 && s.PollClient == PollClientKind.Raw) throw new FormatException("--poll-client raw speaks HTTP/1.1 only: use --protocol h1 (with or without --tls), or the httpclient poll client for h2.");
        if (anyTls && s.NodePeer) throw new FormatException("--peer node serves plain ws:// only: it cannot be measured over TLS or HTTP/2.");
        if (s.ClientsPerConnection > 1 && !anyH2) throw new FormatException("--clients-per-connection applies to HTTP/2 only (--protocol h2): over HTTP/1.1 every client needs its own connections.");
        if (s.Url is { } url)
        {
            bool https = url.Scheme == Uri.UriSchemeHttps;
            if (s.Stacks.Any(x => x.Tls != https))
            {
                throw new FormatException(https
                    ? $"--url {url} is https://: run it with --tls or --protocol h2 (a plaintext run needs an http:// URL)."
                    : $"--url {url} is http://: TLS and HTTP/2 runs need an https:// URL.");
            }
        }
    }

    internal const int DefaultClusterSize = 3;

    private static int ClusterSize(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) ? n
        : throw new FormatException($"--cluster '{text}' is not a number of instances.");

    /// <summary>
    /// <c>--cluster</c>'s combinations, each refused with what to change: it compares the app alone with the app behind
    /// the gateway, both started here, over plain HTTP/1.1 (the gateway listens on http:// only).
    /// </summary>
    internal static void CheckCluster(BenchSettings s, string scenario, long? openFilesLimit)
    {
        if (s.Cluster is not { } instances)
        {
            if (s.Gateways != 1) throw new FormatException("--gateways applies to --cluster only.");
            return;
        }
        if (instances < 1) throw new FormatException($"--cluster must be at least 1 (the instances behind the gateway), not {instances}.");
        if (s.Gateways < 1) throw new FormatException($"--gateways must be at least 1, not {s.Gateways}.");
        if (s.NodePeer) throw new FormatException("--cluster compares the app alone with the app behind the gateway; --peer node cannot be added to it (run the peer in an invocation of its own).");
        if (s.Url is not null) throw new FormatException("--cluster starts the app and a cluster of it itself; it cannot be combined with --url.");
        if (s.Variants.Count > 0) throw new FormatException("--cluster compares the app alone with the cluster; it cannot be combined with --variant (use --server-arg for settings of both).");
        if (s.Stacks.Any(x => x.Tls)) throw new FormatException("--cluster: the gateway listens on plain http:// only, so it runs over --protocol h1 without --tls.");
        if (s.EchoClient == EchoClientKind.Node) throw new FormatException("--cluster needs the bench's own client (it reads the cluster's Redis at its window's edges): drop --client node.");
        if (openFilesLimit is { } limit && GatewayDescriptors(s, scenario) is var needed && needed > limit)
        {
            int clients = s.Clients.Max();
            int enough = (int)Math.Ceiling(clients * ConnectionsPerClient(s, scenario) * DescriptorsPerConnection / (limit - GatewayBaseDescriptors));
            static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
            throw new FormatException($"--cluster with {N(clients)} clients: each proxied connection costs its gateway two file descriptors (the client's and the " +
                $"one to an instance), about {N(needed)} per gateway here, over this process's limit of {N(limit)} open files (ulimit -n), which the " +
                $"gateway inherits. Raise it (ulimit -n 65536) or spread the connections over more gateways: --gateways {N(enough)}.");
        }
    }

    /// <summary>What a gateway holds open besides its proxied connections (runtime, probes, its pools): ~280 measured, with room.</summary>
    internal const int GatewayBaseDescriptors = 400;

    /// <summary>
    /// Two per proxied connection (the client's, the one to an instance), and 10% more: a gateway's pools do not always
    /// reuse a connection at once (11,255 were open in each of two gateways with 5,000 long-polling clients each).
    /// </summary>
    private const double DescriptorsPerConnection = 2 * 1.1;

    /// <summary>File descriptors each gateway needs at the run with the most clients: its proxied connections', plus its own.</summary>
    internal static long GatewayDescriptors(BenchSettings s, string scenario) =>
        (long)Math.Ceiling(Math.Ceiling((double)s.Clients.Max() / s.Gateways) * ConnectionsPerClient(s, scenario) * DescriptorsPerConnection) + GatewayBaseDescriptors;

    /// <summary>
    /// Connections a client holds at once: echo over polling or SSE has a request beside its poll or stream (2); a
    /// WebSocket, a push or idle client one (an SSE push client's ack connection is closed after each ack).
    /// </summary>
    private static int ConnectionsPerClient(BenchSettings s, string scenario)
    {
        return scenario == "echo" ? Requested(s).Max(t => t.EchoConnections) : 1;
    }

    /// <summary>The transports the command line asks for that the bench knows (all of them for "all"); the server's registry decides later.</summary>
    private static IEnumerable<BenchTransport> Requested(BenchSettings s) => s.RequestedTransports is { } ids
        ? TransportCatalog.All.Where(t => ids.Contains(t.Id, StringComparer.OrdinalIgnoreCase)).DefaultIfEmpty(TransportCatalog.All[0])
        : TransportCatalog.All;

    /// <summary>This process's soft limit of open files (children inherit it), from /proc/self/limits; null when unknown or unlimited.</summary>
    private static long? OpenFilesLimit()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields is [var soft, ..] && long.TryParse(soft, CultureInfo.InvariantCulture, out long n) ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static List<T> ParseList<T>(string text, string option, Func<string, IFormatProvider, T> parse)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new FormatException($"{option} needs at least one value.");
        try
        {
            return [.. items.Select(i => parse(i, CultureInfo.InvariantCulture))];
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new FormatException($"{option} '{text}' is not a comma-separated list of numbers.");
        }
    }

    private static Uri ParseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"--url '{text}' is not an absolute http:// or https:// URL.");

    private static string KeyValue(string text, string option) =>
        text.IndexOf('=') > 0 ? text : throw new FormatException($"{option} '{text}' is not Key=Value.");

    /// <summary>NAME alone, or NAME=item[,item...] where an item is Key=Value (an app setting) or env:VAR=VALUE (its environment).</summary>
    private static Variant ParseVariant(string text)
    {
        const string Env = "env:";
        int eq = text.IndexOf('=');
        string name = (eq < 0 ? text : text[..eq]).Trim();
        if (name.Length == 0) throw new FormatException($"--variant '{text}' has no name: use NAME or NAME=Key=Value[,env:VAR=VALUE].");
        var items = eq < 0 ? [] : text[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        List<string> args = [], env = [];
        foreach (string item in items)
        {
            bool isEnv = item.StartsWith(Env, StringComparison.OrdinalIgnoreCase);
            string pair = isEnv ? item[Env.Length..] : item;
            if (pair.IndexOf('=') <= 0) throw new FormatException($"--variant '{text}': '{item}' is not {(isEnv ? "env:VAR=VALUE" : "Key=Value")}.");
            (isEnv ? env : args).Add(pair);
        }
        return new Variant(name, args, env);
    }
}
