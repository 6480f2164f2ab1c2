using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Finds secret-looking literals in a committed file: a connection string's password, a
/// high-entropy key (base64 or random letters and digits), a Secret object with values, or a
/// kustomize secretGenerator with literals. Findings name the line and the kind, never the value.
/// </summary>
internal static partial class SecretLiterals
{
    public static IReadOnlyList<string> Find(string path, string text)
    {
        var findings = new List<string>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (Password().IsMatch(lines[i]))
            {
                findings.Add($"{path}:{i + 1}: a password literal");
            }

            if (Token().Matches(lines[i]).Any(m => LooksRandom(m.Value)))
            {
                findings.Add($"{path}:{i + 1}: a key-like literal");
            }
        }

        if (path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal))
        {
            foreach (var doc in Manifests.Parse(text))
            {
                if (doc["kind"]?.ToString() == "Secret" && (HasEntries(doc["data"]) || HasEntries(doc["stringData"])))
                {
                    findings.Add($"{path}: Secret {doc["metadata"]?["name"]} holds values");
                }

                foreach (var generator in (doc["secretGenerator"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if (HasEntries(generator["literals"]))
                    {
                        findings.Add($"{path}: secretGenerator {generator["name"]} holds literals");
                    }
                }
            }
        }

        return findings;
    }

    /// <summary>
    /// Mixed letters and digits whose characters are spread like random ones (Shannon entropy near
    /// the most the length allows), unlike paths and identifiers made of words.
    /// </summary>
    public static bool LooksRandom(string token)
    {
        var t = token.TrimEnd('=');
        if (t.Length < 20 || !t.Any(char.IsAsciiLetterUpper) || !t.Any(char.IsAsciiLetterLower) || !t.Any(char.IsAsciiDigit))
        {
            return false;
        }

        var entropy = -t.GroupBy(c => c).Sum(g => (double)g.Count() / t.Length * Math.Log2((double)g.Count() / t.Length));
        return entropy >= Math.Min(4.4, 0.8 * Math.Log2(t.Length));
    }

    private static bool HasEntries(JsonNode? node) => node switch
    {
        JsonObject o => o.Count > 0,
        JsonArray a => a.Count > 0,
        _ => false,
    };

    // "Password=..." in a connection string (Npgsql, StackExchange.Redis), unless the value is a
    // shell or printf substitution ($x, %s) or left empty.
    [GeneratedRegex(@"(?i)password\s*=\s*(?![$%{\s;""',]|$)")]
    private static partial Regex Password();

    [GeneratedRegex(@"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{20,}={0,2}(?![A-Za-z0-9+/=])")]
    private static partial Regex Token();
}
