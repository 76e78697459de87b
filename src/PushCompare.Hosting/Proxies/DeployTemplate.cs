using System.Text;

namespace PushCompare.Hosting.Proxies;

/// <summary>
/// Fills in a shipped configuration (deploy/nginx.conf, deploy/haproxy.cfg): the only parts that differ between the
/// file a person copies and the one the tests and the cluster command run are the <c>{{...}}</c> placeholders for
/// addresses and paths. A line holding <c>{{instance}}</c> is repeated once per instance (with <c>{{name}}</c> =
/// web1, web2, ...); every other placeholder is replaced wherever it stands. One left unfilled is an error, so a
/// placeholder added to a shipped file is never run literally.
/// </summary>
public static class DeployTemplate
{
    public const string Instance = "{{instance}}";
    public const string InstanceName = "{{name}}";

    public static string Fill(string template, IReadOnlyList<Uri> instances, IReadOnlyDictionary<string, string> values)
    {
        var filled = new StringBuilder();
        foreach (var line in template.Split('\n'))
        {
            if (line.Contains(Instance, StringComparison.Ordinal))
            {
                for (int i = 0; i < instances.Count; i++)
                {
                    filled.Append(line.Replace(Instance, instances[i].Authority, StringComparison.Ordinal)
                        .Replace(InstanceName, $"web{i + 1}", StringComparison.Ordinal)).Append('\n');
                }
            }
            else
            {
                filled.Append(line).Append('\n');
            }
        }
        var text = filled.ToString(0, filled.Length - 1); // as many lines as the template
        foreach (var (key, value) in values) text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        // Only lines that are not comments count: the header comment names the placeholders.
        var unfilled = text.Split('\n').Where(l => !l.TrimStart().StartsWith('#') && l.Contains("{{", StringComparison.Ordinal)).ToList();
        if (unfilled.Count > 0) throw new ProcessSetupException($"The configuration has placeholders nothing fills in: {string.Join(" | ", unfilled.Select(l => l.Trim()))}");
        return text;
    }
}
