namespace PushCompare.Gateway;

/// <summary>
/// <c>PushCompare.Gateway [--Gateway:Destinations:0=URL ...]</c> runs the gateway in front of running instances;
/// <c>PushCompare.Gateway cluster [options]</c> starts a whole local cluster (see <see cref="LocalCluster"/>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["cluster", ..]) return await LocalCluster.RunAsync(args);
        await GatewayApp.Build(args).RunAsync();
        return 0;
    }
}
