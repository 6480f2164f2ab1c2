using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using Lcr.Identity.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>Signing in (a professional or a system client), signing out, and getting tokens.</summary>
internal static class SessionCommands
{
    public static IEnumerable<Command> Create(CliEnvironment env) => [SignIn(env), SignOut(env), Token(env)];

    private static Command SignIn(CliEnvironment env)
    {
        var user = new Option<string>("--user") { Description = "User name, e.g. gp.b86001 (default: $LCR_USER, else the profile's)." };
        var password = new Option<string>("--password")
        {
            Description = "Password (default: $LCR_PASSWORD; asked for at a terminal). Prefer the variable: flags show in the process list.",
        };
        var client = new Option<string>("--client")
        {
            Description = "Sign in as a system client instead (e.g. platform-admin for audit and privacy review, or a feed client); secret from $LCR_CLIENT_SECRET or --secret-file.",
        };
        var secretFile = new Option<string>("--secret-file") { Description = "File holding the system client's secret." };
        var idTokenFile = new Option<string>("--id-token-file")
        {
            Description = "Sign in with an ID token from a trusted identity provider (e.g. NHS CIS2) instead of a password: " +
                "the file holding it, or - for stdin (scripts/dev-oidc.sh id-token gives one from the development provider). Needs --role-profile.",
        };
        var roleProfile = new Option<string>("--role-profile")
        {
            Description = "With --id-token-file: the role profile (person_roleid of nhsid_nrbac_roles) to act in for this session.",
        };
        var printToken = new Option<bool>("--print-token") { Description = "Print only the token on stdout (for scripts)." };
        var command = new Command("signin",
            "Signs in and caches the session (or system) token for this profile, so later commands need no --token. " +
            "The cache is owner-only (0600) in the sessions directory beside the profile file; LCR_NO_CACHE=1 turns it off.")
        {
            user, password, client, secretFile, idTokenFile, roleProfile, printToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            if (parse.GetValue(client) is { Length: > 0 } clientId)
            {
                await SystemSignIn(i, clientId, parse.GetValue(secretFile), parse.GetValue(printToken));
                return;
            }

            if (parse.GetValue(idTokenFile) is { Length: > 0 } idFile)
            {
                await FederatedSignIn(i, env, idFile, parse.GetValue(roleProfile), parse.GetValue(printToken));
                return;
            }

            var name = i.Settings.Pick(parse.GetValue(user), "--user", EnvironmentNames.User, p => p.User).Value ??
                throw new CliException(ExitCodes.Usage, "say who is signing in: --user <name> (or $LCR_USER, or `lcr profile set user <name>`)");
            i.Hint = i.Hint with { User = name };
            var secret = parse.GetValue(password) ?? env.Variable(EnvironmentNames.Password);
            if (secret is null && env.Interactive && !i.Json)
            {
                secret = env.Console.Prompt(new TextPrompt<string>($"Password for {name}:").Secret());
            }

            if (secret is null)
            {
                throw new CliException(ExitCodes.Usage, "no password: set $LCR_PASSWORD (or pass --password)");
            }

            var reply = await i.Identity.SignInAsync(new SignInRequest { UserName = name, Password = secret }, i.Options());
            CacheSession(i, reply.SessionToken, reply.ExpireTime, name, reply.Professional);
            if (i.Json)
            {
                i.WriteJson(reply);
            }
            else if (parse.GetValue(printToken))
            {
                i.WriteLine(reply.SessionToken);
            }
            else
            {
                var who = reply.Professional is { } p ? $"{p.DisplayName} ({name})" : name;
                var roles = reply.Professional?.RoleAssignments.Select(r => $"{r.RoleName} at {r.Organisation?.OdsCode}") ?? [];
                i.WriteLine($"Signed in to {i.Address} as {who}" + (reply.ExpireTime is { } t ? $", until {Text.Time(t)}." : "."));
                if (roles.Any())
                {
                    i.WriteLine("Roles: " + string.Join("; ", roles));
                }

                i.WriteLine(i.Cache.Enabled
                    ? $"Session cached for profile '{i.Settings.ProfileName.Value}' in {i.Cache.FilePath} (owner-only). Next: `lcr record <nhs-number>`."
                    : "Session not cached (LCR_NO_CACHE): pass it on with --session or $LCR_SESSION (use --print-token).");
            }
        }));
        return command;
    }

    /// <summary>Keeps a new session in the profile's cache, whichever way it was obtained.</summary>
    private static void CacheSession(Invocation i, string token, Timestamp? expire, string name, Professional? professional)
    {
        var record = i.Cache.Load(i.Address);
        record.Session = new CachedSession
        {
            Token = token,
            ExpireTime = expire?.ToDateTimeOffset(),
            UserName = name,
            ProfessionalId = professional?.Id ?? string.Empty,
            DisplayName = professional?.DisplayName ?? string.Empty,
        };
        i.Cache.Save(record);
    }

    /// <summary>ExchangeFederatedToken: the provider's ID token and the chosen role profile become a platform session.</summary>
    private static async Task FederatedSignIn(Invocation i, CliEnvironment env, string file, string? roleProfile, bool printToken)
    {
        if (string.IsNullOrWhiteSpace(roleProfile))
        {
            throw new CliException(ExitCodes.Usage, "say which role profile to act in: --role-profile <person_roleid>");
        }

        string idToken;
        try
        {
            idToken = (file == "-" ? await env.In.ReadToEndAsync() : await File.ReadAllTextAsync(file)).Trim();
        }
        catch (IOException)
        {
            throw new CliException(ExitCodes.Usage, "cannot read the ID token file given with --id-token-file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, "cannot read the ID token file given with --id-token-file");
        }

        var reply = await i.Identity.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = "urn:ietf:params:oauth:token-type:id_token",
            RoleProfileId = roleProfile.Trim(),
        }, i.Options());
        var name = reply.Professional?.UserName ?? string.Empty;
        i.Hint = i.Hint with { User = name };
        CacheSession(i, reply.SessionToken, reply.ExpireTime, name, reply.Professional);
        if (i.Json)
        {
            i.WriteJson(reply);
        }
        else if (printToken)
        {
            i.WriteLine(reply.SessionToken);
        }
        else
        {
            var role = reply.Professional?.RoleAssignments.FirstOrDefault(r => r.Id == reply.RoleAssignmentId);
            i.WriteLine($"Signed in to {i.Address} through {reply.Provider} as {reply.Professional?.DisplayName} ({name})" +
                (role is null ? string.Empty : $", acting as {role.RoleName} at {role.Organisation?.OdsCode}") +
                (reply.ExpireTime is { } t ? $", until {Text.Time(t)}." : "."));
            i.WriteLine(i.Cache.Enabled
                ? $"Session cached for profile '{i.Settings.ProfileName.Value}' in {i.Cache.FilePath} (owner-only). Next: `lcr record <nhs-number>`."
                : "Session not cached (LCR_NO_CACHE): pass it on with --session or $LCR_SESSION (use --print-token).");
        }
    }

    private static async Task SystemSignIn(Invocation i, string clientId, string? secretFile, bool printToken)
    {
        i.Hint = i.Hint with { Credential = CredentialKind.System, Client = clientId };
        var secret = i.ClientSecret(secretFile) ??
            throw new CliException(ExitCodes.Usage, $"no secret for client '{clientId}': set $LCR_CLIENT_SECRET or pass --secret-file");
        var reply = await i.Identity.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = clientId, ClientSecret = secret }, i.Options());
        var record = i.Cache.Load(i.Address);
        record.SystemTokens[clientId] = new CachedToken { Token = reply.SystemToken, ExpireTime = reply.ExpireTime?.ToDateTimeOffset() };
        i.Cache.Save(record);
        if (i.Json)
        {
            i.WriteJson(reply);
        }
        else if (printToken)
        {
            i.WriteLine(reply.SystemToken);
        }
        else
        {
            i.WriteLine($"Signed in to {i.Address} as system client {clientId} (scopes: {string.Join(", ", reply.Scopes)})" +
                (reply.ExpireTime is { } t ? $", until {Text.Time(t)}." : "."));
            if (i.Cache.Enabled)
            {
                i.WriteLine($"Token cached in {i.Cache.FilePath} (owner-only); lcr renews it from $LCR_CLIENT_SECRET when it expires.");
            }
        }
    }

    private static Command SignOut(CliEnvironment env)
    {
        var command = new Command("signout", "Forgets this profile's cached session and system tokens (deletes the cache file).");
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, i =>
        {
            var removed = i.Cache.Delete();
            if (i.Json)
            {
                i.WriteLine($"{{\"signedOut\": {(removed ? "true" : "false")}}}");
            }
            else
            {
                i.WriteLine(removed ? $"Signed out: removed {i.Cache.FilePath}." : "Nothing cached for this profile.");
            }

            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command Token(CliEnvironment env)
    {
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number (10 digits).", Arity = ArgumentArity.ZeroOrOne };
        var nhsOption = new Option<string>("--nhs") { Description = "The patient's NHS number (alternative to the argument)." };
        var purpose = PurposeOption();
        var reason = EmergencyOption();
        var sealedReason = SealedJustificationOption();
        var session = new Option<string>("--session") { Description = "A session token (default: $LCR_SESSION, else the cached session from `lcr signin`)." };
        var command = new Command("token",
            "Gets an access token bound to one patient from your session and prints it (for scripts and other clients). " +
            "With --emergency-reason it breaks glass: emergency access is flagged on every event and always reviewed.")
        {
            nhs, nhsOption, purpose, reason, sealedReason, session,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs) ?? parse.GetValue(nhsOption) ??
                throw new CliException(ExitCodes.Usage, "which patient? `lcr token <nhs-number>`");
            var p = Parsing.Purpose(i.Settings.Pick(parse.GetValue(purpose), "--purpose", EnvironmentNames.Purpose, x => x.Purpose, "direct-care"));
            var sessionToken = i.SessionToken(parse.GetValue(session));
            i.Hint = i.Hint with { NhsNumber = patient };
            var reply = await i.IssueAsync(sessionToken, patient, p, parse.GetValue(reason), parse.GetValue(sealedReason));
            if (i.Json)
            {
                i.WriteJson(reply);
            }
            else
            {
                i.WriteLine(reply.AccessToken);
            }
        }));
        return command;
    }

    public static Option<string> PurposeOption() => new("--purpose")
    {
        Description = "Purpose of use: direct-care, subject-access or information-governance (default: $LCR_PURPOSE, else the profile's, else direct-care).",
    };

    public static Option<string> EmergencyOption() => new("--emergency-reason")
    {
        Description = "Break glass: why you need the record now (at least 10 characters). Recorded, flagged and reviewed.",
    };

    public static Option<string> SealedJustificationOption() => new("--sealed-justification")
    {
        Description = "With --emergency-reason, break glass into a SEALED record: why you must see this sealed record now " +
            "(20 to 1000 characters). Alerted to your privacy officer at once.",
    };

    public static Option<string> TokenOption() => new("--token")
    {
        Description = "An access token for this patient (default: $LCR_TOKEN; without one, lcr gets one from your cached session).",
    };
}
