using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>The profile file: show the resolved settings and where each came from, set values, switch profiles.</summary>
internal static class ProfileCommands
{
    public static readonly string[] Keys = ["address", "user", "purpose", "client", "feed-client", "timeout", "services.<name>"];

    public static Command Create(CliEnvironment env)
    {
        var profile = new Command("profile",
            "Named profiles in the profile file ($LCR_CONFIG, else $XDG_CONFIG_HOME/lcr/config.json, else ~/.config/lcr/config.json): " +
            "flags override environment variables, which override the profile.");
        profile.Subcommands.Add(Show(env));
        profile.Subcommands.Add(Set(env));
        profile.Subcommands.Add(Unset(env));
        profile.Subcommands.Add(Use(env));
        profile.Subcommands.Add(List(env));
        return profile;
    }

    private static Command Show(CliEnvironment env)
    {
        var command = new Command("show", "Shows the settings this invocation would use and where each comes from (flag, env, profile, default).");
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, i =>
        {
            var s = i.Settings;
            var rows = new List<(string Key, Resolved Value)>
            {
                ("profile", s.ProfileName),
                ("address", s.Address),
                ("user", s.Pick(null, "--user", EnvironmentNames.User, p => p.User)),
                ("purpose", s.Pick(null, "--purpose", EnvironmentNames.Purpose, p => p.Purpose, "direct-care")),
                ("client", s.Pick(null, "--client", EnvironmentNames.Client, p => p.Client, "platform-admin")),
                ("feed-client", s.Pick(null, "--client", EnvironmentNames.FeedClient, p => p.FeedClient, SeedCommand.DefaultFeedClient)),
                ("timeout", s.Timeout),
            };
            var session = i.Cache.Load(i.Address);
            var signedIn = session.Session is { } c
                ? $"{c.UserName} until {(c.ExpireTime is { } t ? Text.Time(t) : "?")}" + (c.ExpireTime <= env.Clock.GetUtcNow() ? " (expired)" : string.Empty)
                : "not signed in";
            var systems = string.Join(", ", session.SystemTokens.Select(kv => kv.Key + (kv.Value.IsValidAt(env.Clock.GetUtcNow()) ? string.Empty : " (expired)")));
            if (i.Json)
            {
                var o = new JsonObject { ["configFile"] = s.ConfigPath, ["sessionCache"] = i.Cache.Enabled ? i.Cache.FilePath : null };
                foreach (var (key, value) in rows)
                {
                    o[key] = new JsonObject { ["value"] = value.Value, ["source"] = value.Source };
                }

                o["session"] = session.Session is { } ss ? new JsonObject { ["user"] = ss.UserName, ["expireTime"] = ss.ExpireTime?.ToString("o", CultureInfo.InvariantCulture) } : null;
                o["systemClients"] = new JsonArray(session.SystemTokens.Keys.Select(k => (JsonNode)JsonValue.Create(k)!).ToArray());
                i.WriteLine(o.ToJsonString(JsonOut.Indented));
                return Task.CompletedTask;
            }

            var table = new Table { Title = new TableTitle($"lcr settings ({Markup.Escape(s.ConfigPath)})"), Border = TableBorder.Rounded };
            table.AddColumn("Setting").AddColumn("Value").AddColumn("From");
            foreach (var (key, value) in rows)
            {
                table.AddRow(key, Markup.Escape(value.Value ?? "-"), Markup.Escape(value.Source));
            }

            table.AddRow("session", Markup.Escape(signedIn), Markup.Escape(i.Cache.Enabled ? i.Cache.FilePath : "cache off (LCR_NO_CACHE)"));
            table.AddRow("system tokens", Markup.Escape(systems.Length > 0 ? systems : "-"), string.Empty);
            i.Console.Write(table);
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command Set(CliEnvironment env)
    {
        var key = new Argument<string>("key") { Description = "One of " + string.Join(", ", Keys) + "." };
        var value = new Argument<string>("value") { Description = "The value." };
        var command = new Command("set", "Sets a value in the current (or --profile) profile, creating the file and profile if needed.") { key, value };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, i =>
        {
            var (file, name, profile) = Editable(i);
            Apply(profile, parse.GetValue(key)!, parse.GetValue(value));
            file.Save(i.Settings.ConfigPath);
            i.Note($"Set {parse.GetValue(key)} in profile '{name}' ({i.Settings.ConfigPath}).");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command Unset(CliEnvironment env)
    {
        var key = new Argument<string>("key") { Description = "One of " + string.Join(", ", Keys) + "." };
        var command = new Command("unset", "Removes a value from the current (or --profile) profile.") { key };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, i =>
        {
            var (file, name, profile) = Editable(i);
            Apply(profile, parse.GetValue(key)!, null);
            file.Save(i.Settings.ConfigPath);
            i.Note($"Unset {parse.GetValue(key)} in profile '{name}'.");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command Use(CliEnvironment env)
    {
        var name = new Argument<string>("name") { Description = "The profile to use from now on." };
        var command = new Command("use", "Makes a profile the current one (currentProfile in the file); $LCR_PROFILE and --profile still override it.") { name };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, i =>
        {
            var file = i.Settings.File;
            var n = parse.GetValue(name)!;
            file.CurrentProfile = n;
            if (!file.Profiles.ContainsKey(n))
            {
                file.Profiles[n] = new Profile();
            }

            file.Save(i.Settings.ConfigPath);
            i.Note($"Now using profile '{n}'.");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command List(CliEnvironment env)
    {
        var command = new Command("list", "Lists the profiles in the file.");
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, i =>
        {
            var file = i.Settings.File;
            if (i.Json)
            {
                i.WriteLine(JsonSerializer.Serialize(file, ProfileFile.Json));
                return Task.CompletedTask;
            }

            var table = new Table { Border = TableBorder.Rounded }.AddColumn("Profile").AddColumn("Address").AddColumn("User").AddColumn("Purpose");
            foreach (var (n, p) in file.Profiles.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                table.AddRow(Markup.Escape(n + (n == i.Settings.ProfileName.Value ? " *" : string.Empty)), Markup.Escape(p.Address ?? "-"),
                    Markup.Escape(p.User ?? "-"), Markup.Escape(p.Purpose ?? "-"));
            }

            i.Console.Write(table);
            return Task.CompletedTask;
        }));
        return command;
    }

    private static (ProfileFile File, string Name, Profile Profile) Editable(Invocation i)
    {
        var file = i.Settings.File;
        var name = i.Settings.ProfileName.Value!;
        if (!file.Profiles.TryGetValue(name, out var profile))
        {
            profile = file.Profiles[name] = new Profile();
        }

        return (file, name, profile);
    }

    /// <summary>Sets (or with null clears) one key, validating the value.</summary>
    internal static void Apply(Profile p, string key, string? value)
    {
        switch (key)
        {
            case "address":
                if (value is not null && (!Uri.TryCreate(value, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
                {
                    throw new CliException(ExitCodes.Usage, $"address '{value}' must be an http:// or https:// URL");
                }

                p.Address = value;
                break;
            case "user":
                p.User = value;
                break;
            case "purpose":
                if (value is not null)
                {
                    _ = Parsing.Purpose(new Resolved(value, "the value"));
                }

                p.Purpose = value;
                break;
            case "client":
                p.Client = value;
                break;
            case "feed-client":
                p.FeedClient = value;
                break;
            case "timeout":
                if (value is null)
                {
                    p.TimeoutSeconds = null;
                }
                else if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 3600)
                {
                    p.TimeoutSeconds = seconds;
                }
                else
                {
                    throw new CliException(ExitCodes.Usage, $"timeout '{value}' must be whole seconds between 1 and 3600");
                }

                break;
            case var k when k.StartsWith("services.", StringComparison.Ordinal) &&
                HealthCommand.Services.Skip(1).Any(s => s.Name == k["services.".Length..]):
                p.Services ??= new Dictionary<string, string>(StringComparer.Ordinal);
                if (value is null)
                {
                    p.Services.Remove(k["services.".Length..]);
                }
                else
                {
                    p.Services[k["services.".Length..]] = value;
                }

                break;
            default:
                throw new CliException(ExitCodes.Usage, $"unknown setting '{key}': use one of {string.Join(", ", Keys)}");
        }
    }
}
