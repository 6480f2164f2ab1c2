using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Issue 23: no secret value is committed, the dev overlay included. Dev's Secrets come from
/// git-ignored env files with random values (k8s/overlays/dev/secrets/generate.sh, run by
/// k8s/deploy.sh); production renders none (the operator's secret store provides them).
/// </summary>
public sealed partial class SecretsTests
{
    [Fact]
    public void Production_renders_no_Secret_and_dev_renders_every_one_from_generated_files()
    {
        Assert.Empty(Manifests.Render("production").OfKind("Secret"));
        var dev = Manifests.Render("dev").OfKind("Secret").Select(s => Manifests.BaseName(s.Name)).Order(StringComparer.Ordinal);
        Assert.Equal(
            ["lcr-audit", "lcr-audit-migrations", "lcr-clinical", "lcr-consent", "lcr-demographics", "lcr-identity", "lcr-platform", "lcr-postgres", "lcr-redis", "lcr-redis-server"],
            dev);
    }

    [Fact]
    public void No_rendered_Secret_carries_a_value_committed_in_the_repository()
    {
        var problems = new List<string>();
        var checkedValues = 0;
        foreach (var secret in Manifests.Render("dev").OfKind("Secret"))
        {
            Assert.Null(secret.Json["stringData"]);
            foreach (var (key, encoded) in Manifests.StringMap(secret.Json["data"]))
            {
                var value = Encoding.UTF8.GetString(Convert.FromBase64String(Regex.Replace(encoded, @"\s", "")));
                // The whole value and, in a connection string, the password alone.
                var parts = PasswordPart().Matches(value).Select(m => m.Groups["password"].Value).Prepend(value);
                foreach (var part in parts)
                {
                    Assert.True(part.Length >= 16, $"{secret}: {key} is shorter than 16 characters");
                    checkedValues++;
                    var found = Repo.Run("git", ["grep", "-F", "-l", "-q", "-e", part, "--", "."]);
                    Assert.True(found.ExitCode is 0 or 1, $"git grep failed: {found.Stderr}");
                    if (found.ExitCode == 0)
                    {
                        problems.Add($"{secret}: {key} is committed in the repository");
                    }
                }
            }
        }

        Assert.True(checkedValues >= 10, $"only {checkedValues} values checked");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void No_committed_file_under_k8s_holds_a_secret_looking_literal()
    {
        var files = Repo.Run("git", ["ls-files", "-z", "k8s"]);
        Assert.Equal(0, files.ExitCode);
        var problems = new List<string>();
        var scanned = 0;
        foreach (var path in files.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // npm's lock file holds package integrity hashes (base64 SHA-512), not secrets.
            if (Path.GetFileName(path) == "package-lock.json" || !File.Exists(Repo.At(path)))
            {
                continue;
            }

            scanned++;
            problems.AddRange(SecretLiterals.Find(path, File.ReadAllText(Repo.At(path))));
        }

        Assert.True(scanned > 40, $"only {scanned} files scanned");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_literal_check_finds_keys_passwords_and_secret_objects_but_not_paths_or_names()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Assert.True(SecretLiterals.LooksRandom(key));
        // A password as generate.sh makes them: 32 random letters and digits.
        Assert.True(SecretLiterals.LooksRandom(new string(Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)).Where(char.IsAsciiLetterOrDigit).Take(32).ToArray())));
        Assert.True(SecretLiterals.LooksRandom("bGNyLWRldi1vbmx5LXBzZXVkb255bS1rZXktMDAwMDE="));
        Assert.False(SecretLiterals.LooksRandom("443/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare"));
        Assert.False(SecretLiterals.LooksRandom("/spec/template/spec/topologySpreadConstraints/1/whenUnsatisfiable"));

        Assert.NotEmpty(SecretLiterals.Find("a.yaml", $"data:\n  K: \"x={key}\"\n"));
        Assert.NotEmpty(SecretLiterals.Find("a.sh", "echo 'Host=db;Username=postgres;Password=hunter2-but-longer'\n"));
        Assert.NotEmpty(SecretLiterals.Find("a.yaml", "secretGenerator:\n  - name: s\n    literals: [A=b]\n"));
        Assert.NotEmpty(SecretLiterals.Find("a.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {A: b}\n"));
        Assert.Empty(SecretLiterals.Find("a.sh", "echo \"Host=db;Password=$pg\"; printf 'password=%s' \"$x\"\n"));
        Assert.Empty(SecretLiterals.Find("a.yaml", "secretGenerator:\n  - {name: s, envs: [secrets/s.env]}\n"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_dev_generator_writes_random_owner_only_files_keeps_them_and_refuses_a_partial_set()
    {
        var script = Repo.At("k8s/overlays/dev/secrets/generate.sh");
        var a = Directory.CreateTempSubdirectory("lcr-dev-secrets-a-").FullName;
        var b = Directory.CreateTempSubdirectory("lcr-dev-secrets-b-").FullName;
        try
        {
            Assert.Equal(0, Repo.Run("bash", [script, a]).ExitCode);
            Assert.Equal(0, Repo.Run("bash", [script, b]).ExitCode);
            var first = File.ReadAllText(Path.Combine(a, "platform.env"));
            Assert.NotEqual(first, File.ReadAllText(Path.Combine(b, "platform.env")));
            Assert.All(Directory.GetFiles(a, "*.env"), f =>
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));

            // The PostgreSQL and Redis passwords are the ones the connection strings carry.
            var postgres = File.ReadAllText(Path.Combine(a, "postgres.env")).Trim().Split('=', 2)[1];
            Assert.Contains($"Password={postgres}", File.ReadAllText(Path.Combine(a, "identity.env")), StringComparison.Ordinal);
            var redis = File.ReadAllText(Path.Combine(a, "redis-server.env")).Trim().Split('=', 2)[1];
            Assert.Contains($"password={redis}", File.ReadAllText(Path.Combine(a, "redis.env")), StringComparison.Ordinal);

            Assert.Equal(0, Repo.Run("bash", [script, a]).ExitCode);
            Assert.Equal(first, File.ReadAllText(Path.Combine(a, "platform.env")));

            File.Delete(Path.Combine(b, "postgres.env"));
            var partial = Repo.Run("bash", [script, b]);
            Assert.Equal(1, partial.ExitCode);
            Assert.False(File.Exists(Path.Combine(b, "postgres.env")));
        }
        finally
        {
            Directory.Delete(a, recursive: true);
            Directory.Delete(b, recursive: true);
        }
    }

    [GeneratedRegex(@"(?i)password=(?<password>[^;,]+)")]
    private static partial Regex PasswordPart();
}
