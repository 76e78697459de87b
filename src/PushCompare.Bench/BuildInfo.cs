using System.Reflection;

namespace PushCompare.Bench;

/// <summary>Paths fixed at build time (see the csproj), so the bench finds the app it starts without being told.</summary>
internal static class BuildInfo
{
    public static string WebDll => Metadata("PushCompare.WebDll");

    public static string GatewayDll => Metadata("PushCompare.GatewayDll");

    public static string RepoRoot => Metadata("PushCompare.RepoRoot");

    public static string NodePeerDirectory => Path.Combine(RepoRoot, "bench", "peers", "node-ws-echo");

    private static string Metadata(string key) =>
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
}
