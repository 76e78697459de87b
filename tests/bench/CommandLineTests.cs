using System.CommandLine;
using PushCompare.Bench;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;
using PushCompare.Bench.Targets;
using PushCompare.Bench.Transports;

namespace PushCompare.BenchTests;

/// <summary>Bad command lines are refused before anything starts, with a message that says what to fix.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--size 4", "--size must be at least 8")]
    [InlineData("-t pigeon!", "'pigeon!' is not a transport id")]
    [InlineData("--clients 10,x", "--clients '10,x' is not a comma-separated list")]
    [InlineData("--url ftp://example", "is not an absolute http:// or https:// URL")]
    [InlineData("--variant =Messaging:MaxMessageBytes=1", "has no name")]
    [InlineData("--variant small=4096", "'4096' is not Key=Value")]
    [InlineData("--variant wks=env:DOTNET_gcServer", "'env:DOTNET_gcServer' is not env:VAR=VALUE")]
    [InlineData("--variant a --variant a=X=1", "--variant 'a' is given twice")]
    [InlineData("--duration 0", "--duration must be greater than 0")]
    [InlineData("--compression -t websocket,sse", "--compression does not cover sse")]
    [InlineData("--compression -t websocket --url http://127.0.0.1:1", "with --url, start the server with it yourself")]
    [InlineData("--link 5g", "There is no link profile called '5g'; the profiles are loopback, lan, broadband, 4g, 3g, satellite.")]
    [InlineData("--link 4g --loss 150%", "The loss must be between 0 % and 50 %; 150 % is not.")]
    [InlineData("--rtt fast", "The round trip 'fast' is not a duration")]
    [InlineData("--bandwidth 5MB", "The bandwidth '5MB' is not a bandwidth")]
    [InlineData("--link 3g --cluster 2", "--link puts one link in front of one app: drop --cluster.")]
    public async Task Invalid_options_exit_non_zero_with_a_reason(string options, string message)
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(["echo", .. options.Split(' ')], output);

        Assert.NotEqual(0, exit);
        Assert.Contains(message, output.ToString());
    }

    [Fact]
    public async Task Variants_carry_app_settings_and_environment_variables_on_top_of_the_global_ones()
    {
        var settings = await ParseAsync("echo", "--server-arg", "LongPolling:PollTimeout=00:00:05", "--server-env", "DOTNET_TieredPGO=0",
            "--variant", "default",
            "--variant", "inline-off=Performance:InlineSocketScheduling=false",
            "--variant", "lean=env:DOTNET_gcServer=0, env:DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0,Metering:Enabled=false");

        Assert.Equal(["default", "inline-off", "lean"], settings.Variants.Select(v => v.Name));
        Assert.Empty(settings.Variants[0].ServerArgs);
        Assert.Empty(settings.Variants[0].ServerEnv);
        Assert.Equal(["Performance:InlineSocketScheduling=false"], settings.Variants[1].ServerArgs);
        Assert.Empty(settings.Variants[1].ServerEnv);
        Assert.Equal(["Metering:Enabled=false"], settings.Variants[2].ServerArgs);
        Assert.Equal(["DOTNET_gcServer=0", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"], settings.Variants[2].ServerEnv);

        // Each variant's app gets the bench's own setting (no connect rate limit), the global settings, then its own
        // (the last value of a key wins in both).
        var targets = BenchRunner.Targets(settings).Cast<AppTarget>().ToList();
        Assert.Equal([BenchRunner.UnlimitedConnects, "LongPolling:PollTimeout=00:00:05", "Performance:InlineSocketScheduling=false"], targets[1].ServerArgs);
        Assert.Equal(["DOTNET_TieredPGO=0", "DOTNET_gcServer=0", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"], targets[2].ServerEnv);
    }

    /// <summary>Parses a command line as the bench would and returns its settings without running anything.</summary>
    private static async Task<BenchSettings> ParseAsync(params string[] args)
    {
        BenchSettings? parsed = null;
        var output = new StringWriter();
        var root = Commands.Build((settings, _) =>
        {
            parsed = settings;
            return Task.FromResult(0);
        });
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
        Assert.True(exit == 0, output.ToString());
        return parsed!;
    }

    [Fact]
    public async Task Transports_are_ids_checked_against_the_server_not_a_list_of_the_benchs_own()
    {
        Assert.Null((await ParseAsync("push", "-t", "all")).RequestedTransports);
        // Any id is accepted here; whether the server offers it is only known once it is up.
        Assert.Equal(["sse", "carrier-pigeon"], (await ParseAsync("push", "-t", "SSE, carrier-pigeon,sse")).RequestedTransports);
        Assert.Equal(["websocket", "longpoll", "shortpoll", "sse"], TransportCatalog.Ids);
    }

    [Fact]
    public async Task A_transport_the_server_does_not_offer_is_refused_with_the_list_of_what_it_offers()
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(["push", "-t", "websocket,carrier-pigeon", "-c", "1", "-d", "1", "--no-progress"], output);

        Assert.Equal(2, exit);
        Assert.Contains("pushcompare does not offer transport 'carrier-pigeon': it offers websocket, longpoll, shortpoll, sse", output.ToString());
        Assert.DoesNotContain("✓", output.ToString()); // refused before any run, the valid websocket included
    }

    [Fact]
    public async Task A_transport_the_server_offers_but_the_bench_cannot_drive_is_refused_by_name()
    {
        await using var server = await ScriptedSseServer.StartAsync(new SseScript { ExtraTransports = new Dictionary<string, string> { ["carrier-pigeon"] = "RFC 1149" } });
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(["push", "--url", server.Url, "-t", "carrier-pigeon", "-c", "1", "-d", "1", "--no-progress"], output);

        Assert.Equal(2, exit);
        Assert.Contains("url offers 'carrier-pigeon' (RFC 1149), but the bench has no client for it: it has clients for websocket, longpoll, shortpoll, sse", output.ToString());
    }

    [Fact]
    public async Task All_measures_what_the_server_offers_and_names_what_the_bench_cannot_drive()
    {
        await using var server = await ScriptedSseServer.StartAsync(new SseScript { ExtraTransports = new Dictionary<string, string> { ["carrier-pigeon"] = "RFC 1149" } });
        var bench = (await BenchRun.StartAsync("push", "--url", server.Url, "-t", "all", "-c", "2", "-d", "1", "--warmup", "0.3", "--interval", "50")).Passed();

        Assert.Equal(["sse"], bench.Runs.Select(r => r.Transport)); // this server offers no other transport the bench has a client for
        Assert.Equal(["'carrier-pigeon' (RFC 1149)"], bench.Report!.Settings.UnmeasuredTransports);
        Assert.Contains("the server offers 'carrier-pigeon' (RFC 1149), which the bench has no client for: not measured", bench.Output);
        Assert.Contains(bench.Table("Runs").Notes, n => n.Contains("'carrier-pigeon' (RFC 1149)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rate_is_refused_outside_echo()
    {
        var output = new StringWriter();
        Assert.NotEqual(0, await BenchApp.RunAsync(["push", "--rate", "100"], output));
        Assert.Contains("--rate applies to the echo scenario only", output.ToString());
    }

    // Options are matched with a trailing space where a longer one starts the same ("--client" in "--clients").
    [Theory]
    [InlineData("echo", new[] { "--size", "--rate", "--client", "--poll-interval", "--transport" }, new[] { "--broadcast", "--interval ", "--poll-client" })]
    [InlineData("push", new[] { "--interval", "--broadcast", "--poll-client", "--transport" }, new[] { "--rate", "--client ", "--size", "--peer" })]
    [InlineData("lubbers", new[] { "--interval", "--broadcast", "--poll-client" }, new[] { "--rate", "--client ", "--size" })]
    [InlineData("idle", new[] { "--poll-client", "--transport", "--clients" }, new[] { "--rate", "--interval ", "--broadcast", "--compression", "--size" })]
    public async Task Each_scenarios_help_lists_only_the_options_it_uses(string scenario, string[] listed, string[] unlisted)
    {
        var output = new StringWriter();
        Assert.Equal(0, await BenchApp.RunAsync([scenario, "--help"], output));
        string help = output.ToString();
        foreach (string option in listed) Assert.Contains(option, help);
        foreach (string option in unlisted) Assert.DoesNotContain(option, help);
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("push")]
    [InlineData("lubbers")]
    [InlineData("idle")]
    public async Task Every_scenario_measures_every_transport_unless_told_otherwise(string scenario) =>
        Assert.Null((await ParseAsync(scenario)).RequestedTransports);

    [Fact]
    public async Task Help_lists_every_scenario()
    {
        var output = new StringWriter();
        Assert.Equal(0, await BenchApp.RunAsync(["--help"], output));
        foreach (var scenario in new[] { "echo", "push", "lubbers", "idle", "first-message", "switch" }) Assert.Contains(scenario, output.ToString());
    }
}
