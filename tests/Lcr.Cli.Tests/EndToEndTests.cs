using System.Diagnostics;
using System.Text.Json;
using Lcr.Client;
using Lcr.ServiceDefaults.DevData;
using Lcr.Testing;
using Lcr.Testing.Platform;

namespace Lcr.Cli.Tests;

/// <summary>Starts the real-process platform once for the end-to-end tests of the real `lcr` process.</summary>
public sealed class LcrPlatformFixture : IAsyncLifetime
{
    public RealPlatform Platform { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Identity also trusts the real development OpenID Connect provider (make test starts it) for lcr-cli's tokens.
        Platform = await RealPlatform.StartAsync(new RealPlatformOptions
        {
            ExtraEnvironment = new Dictionary<string, string>
            {
                ["Identity__Federation__Providers__0__Name"] = "dev-oidc",
                ["Identity__Federation__Providers__0__Authority"] = DevOidcProvider.Issuer,
                ["Identity__Federation__Providers__0__RequireHttpsMetadata"] = "false",
                ["Identity__Federation__Providers__0__Audiences__0"] = "lcr-cli",
                ["Identity__Federation__Providers__0__AllowedOrganisations__0"] = "B86001",
            },
        });
        await WarmUpAsync();
    }

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    /// <summary>
    /// Reads the example record until it answers (UNAVAILABLE or DEADLINE_EXCEEDED retried for up
    /// to two minutes): a fresh or restarted process compiles its code paths on first use, which on
    /// a busy shared machine can outlast the gateway's 5 s deadline to the services even after
    /// lcr's own retries. The tests then measure lcr's behaviour, not the platform's warm-up
    /// (the make run examples are checked by hand against a cold platform, docs/cli.md).
    /// </summary>
    public async Task WarmUpAsync()
    {
        using var lcr = LcrClient.Create(new LcrClientOptions { Address = new Uri(Platform.GatewayAddress), DefaultDeadline = TimeSpan.FromSeconds(60) });
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var session = await lcr.SignInAsync("gp.b86001", Platform.SeedPassword);
                await lcr.Gateway(session.AccessTokens(EndToEndTests.Example))
                    .GetPatientRecordAsync(new Lcr.Gateway.V1.GetPatientRecordRequest { NhsNumber = EndToEndTests.Example });
                return;
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded && attempt < 120)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }
}

/// <summary>
/// The real `lcr` process (dotnet tools/Lcr.Cli/bin/&lt;Configuration&gt;/net10.0/lcr.dll) against the
/// real-process platform, configured only through its environment and profile file, as the
/// examples `make run` prints use it.
/// </summary>
public sealed partial class EndToEndTests(LcrPlatformFixture fixture) : IClassFixture<LcrPlatformFixture>, IDisposable
{
    internal const string Example = "9990000018"; // the make run example patient, registered at Beckett Street Surgery
    private readonly string _home = Directory.CreateTempSubdirectory("lcr-e2e-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private sealed record Run(int ExitCode, string Out, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Out).RootElement;
        public JsonElement ErrorJson => JsonDocument.Parse(Error).RootElement.GetProperty("error");
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
    }

    private Task<Run> Lcr(params string[] args) => Lcr(withPlatformAddresses: true, args);

    /// <summary>Runs lcr; without the platform's addresses only what <paramref name="args"/> name is configured (no LCR_ADDRESS, no LCR_&lt;NAME&gt;_ADDRESS).</summary>
    private async Task<Run> Lcr(bool withPlatformAddresses, string[] args)
    {
        var dll = Path.Combine(RealPlatform.RepositoryRoot, "tools", "Lcr.Cli", "bin", RealPlatform.Configuration, "net10.0", "lcr.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: run `dotnet build lcr-platform.sln -c {RealPlatform.Configuration}` first");
        var p = fixture.Platform;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("LCR_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["HOME"] = _home;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(_home, ".config");
        start.Environment["LCR_PASSWORD"] = p.SeedPassword;
        start.Environment["LCR_CLIENT_SECRET"] = p.SeedClientSecret;
        start.Environment["LCR_TIMEOUT"] = "60";
        if (withPlatformAddresses)
        {
            start.Environment["LCR_ADDRESS"] = p.GatewayAddress;
            foreach (var s in new[] { PlatformService.Identity, PlatformService.Demographics, PlatformService.Consent, PlatformService.Clinical, PlatformService.Audit })
            {
                start.Environment[$"LCR_{s.ToString().ToUpperInvariant()}_ADDRESS"] = p.AddressOf(s);
            }
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Run(process.ExitCode, await stdout, await stderr);
    }

    private static void Ok(Run r) => Assert.True(r.ExitCode == 0, r.ToString());

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Gp_and_ig_officer_story_from_sign_in_to_verified_audit_chains()
    {
        var health = await Lcr("health", "--json");
        Ok(health);
        Assert.True(health.Json.GetProperty("allServing").GetBoolean());
        Assert.Equal(6, health.Json.GetProperty("services").GetArrayLength());

        // A GP signs in once; later commands use the cached session (owner-only file).
        var signin = await Lcr("signin", "--user", "gp.b86001");
        Ok(signin);
        Assert.Contains("Dr Priya Shah", signin.Out);
        var cache = Path.Combine(_home, ".config", "lcr", "sessions", "default.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));

        var token = await Lcr("token", Example);
        Ok(token);
        Assert.Equal(3, token.Out.Trim().Split('.').Length);

        var table = await Lcr("record", Example);
        Ok(table);
        Assert.Contains("999 000 0018", table.Out);
        Assert.Contains("Active problems", table.Out);

        var json = await Lcr("record", Example, "--json");
        Ok(json);
        Assert.Equal(Example, json.Json.GetProperty("patient").GetProperty("nhsNumber").GetString());
        Assert.NotEmpty(json.Json.GetProperty("activeProblems").EnumerateArray());

        var withToken = await Lcr("record", Example, "--token", token.Out.Trim(), "--json", "--category", "allergies");
        Ok(withToken);

        var page = await Lcr("entries", Example, "--category", "medications", "--page-size", "2", "--json");
        Ok(page);
        Assert.Equal(2, page.Json.GetProperty("entries").GetArrayLength());
        Assert.NotEmpty(page.Json.GetProperty("nextPageToken").GetString()!);
        var all = await Lcr("entries", Example, "--category", "medications", "--all", "--json");
        Ok(all);
        Assert.True(all.Json.GetProperty("entries").GetArrayLength() > 2);

        // The IG officer, in a second profile, records an opt-out: the GP is refused; then withdraws it.
        Ok(await Lcr("--profile", "ig", "signin", "--user", "ig.b86001"));
        var optOut = await Lcr("--profile", "ig", "consent", "opt-out", Example, "--channel", "letter", "--reason", "Letter ref IG/2291", "--json");
        Ok(optOut);
        Assert.True(optOut.Json.GetProperty("changed").GetBoolean());
        var refused = await Lcr("record", Example);
        Assert.Equal(ExitCodes.PermissionDenied, refused.ExitCode);
        Assert.Contains("PATIENT_OPTED_OUT", refused.Error);
        Assert.Contains("opted out", refused.Error);
        Ok(await Lcr("--profile", "ig", "consent", "withdraw-opt-out", Example, "--channel", "telephone", "--reason", "Phoned to opt back in"));
        Ok(await Lcr("record", Example));

        var restrict = await Lcr("--profile", "ig", "consent", "restrict", Example, "--block-organisation", "RGD",
            "--channel", "letter", "--reason", "Letter ref IG/2292", "--json");
        Ok(restrict);
        var restrictionId = restrict.Json.GetProperty("restriction").GetProperty("id").GetString();
        var shown = await Lcr("--profile", "ig", "consent", "show", Example, "--json");
        Ok(shown);
        Assert.Contains(shown.Json.GetProperty("consent").GetProperty("restrictions").EnumerateArray(),
            r => r.GetProperty("id").GetString() == restrictionId);

        // The access log shows the GP's reads and the refusal.
        var log = await Lcr("--profile", "ig", "access-log", Example, "--json");
        Ok(log);
        var lines = log.Json.GetProperty("entries").EnumerateArray().ToList();
        Assert.Contains(lines, l => l.GetProperty("viewerName").GetString() == "Dr Priya Shah" &&
            l.GetProperty("action").GetString() == "AUDIT_ACTION_VIEW_SUMMARY" && l.GetProperty("outcome").GetString() == "AUDIT_OUTCOME_PERMITTED");
        Assert.Contains(lines, l => l.GetProperty("outcome").GetString() == "AUDIT_OUTCOME_DENIED");
        var byPatient = await Lcr("--profile", "ig", "audit", "patient", Example, "--action", "consent-change", "--json");
        Ok(byPatient);
        Assert.True(byPatient.Json.GetProperty("events").GetArrayLength() >= 3);

        // The platform team: audit by professional (by user name), privacy review, chain verification.
        Ok(await Lcr("signin", "--client", "platform-admin"));
        var byGp = await Lcr("audit", "professional", "gp.b86001", "--json");
        Ok(byGp);
        Assert.Contains(byGp.Json.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "AUDIT_ACTION_VIEW_SUMMARY");
        var review = await Lcr("review", "run", "--days", "1");
        Ok(review);
        Assert.Contains("Privacy review", review.Out);
        Ok(await Lcr("review", "cases", "--json"));
        var verify = await Lcr("audit", "verify", "--json");
        Ok(verify);
        Assert.True(verify.Json.GetProperty("intact").GetBoolean());
        Assert.True(long.Parse(verify.Json.GetProperty("eventsVerified").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Seed_rides_out_a_service_outage_and_the_gp_reads_the_seeded_patients_back()
    {
        // The clinical record service is down when the seed starts (as while a platform starts
        // or a service restarts): the feed's contributions fail with UNAVAILABLE until it is
        // back, longer than a few seconds. Every seed call is idempotent, so lcr seed waits.
        var p = fixture.Platform;
        var gatewayLog = p.LogFileOf(PlatformService.Gateway);
        var logged = new FileInfo(gatewayLog).Length;
        await p.KillAsync(PlatformService.Clinical);
        Task<Run> seeding;
        try
        {
            seeding = Lcr("seed", "--patients", "3", "--json");
            await WaitUntilLoggedAsync(gatewayLog, logged, "CLINICAL_UNAVAILABLE", seeding);
            await Task.Delay(TimeSpan.FromSeconds(6)); // the outage outlasts a few quick retries
        }
        finally
        {
            await p.RestartAsync(PlatformService.Clinical);
        }

        await fixture.WarmUpAsync(); // the restarted service, warm again for the tests after this one

        var first = await seeding;
        Ok(first);
        Assert.Equal(3, first.Json.GetProperty("patientsCreated").GetInt32());
        Assert.Equal(3, first.Json.GetProperty("relationshipsCreated").GetInt32());
        var created = first.Json.GetProperty("entriesCreated").GetInt32();
        Assert.Equal(13, created); // problem, medication, result and letter each; an allergy for every third patient

        var second = await Lcr("seed", "--patients", "3", "--json");
        Ok(second);
        Assert.Equal(0, second.Json.GetProperty("patientsCreated").GetInt32());
        Assert.Equal(0, second.Json.GetProperty("entriesCreated").GetInt32());
        Assert.Equal(created, second.Json.GetProperty("entriesUnchanged").GetInt32());

        // They are there: the practice's GP (registered-GP relationship from the feed) reads each one through the gateway.
        Ok(await Lcr("signin", "--user", "gp.b86001"));
        foreach (var nhs in new[] { first.Json.GetProperty("firstNhsNumber").GetString()!, first.Json.GetProperty("lastNhsNumber").GetString()! })
        {
            var record = await Lcr("record", nhs, "--json");
            Ok(record);
            Assert.Equal(nhs, record.Json.GetProperty("patient").GetProperty("nhsNumber").GetString());
            Assert.Contains(record.Json.GetProperty("activeProblems").EnumerateArray(),
                e => e.GetProperty("code").GetProperty("display").GetString() == "Hypertensive disorder, systemic arterial");
            var letters = await Lcr("entries", nhs, "--category", "documents", "--json");
            Ok(letters);
            var letter = Assert.Single(letters.Json.GetProperty("entries").EnumerateArray());
            var content = await Lcr("document", nhs, letter.GetProperty("id").GetString()!);
            Ok(content);
            Assert.StartsWith("Hypertension annual review", content.Out);
        }
    }

    /// <summary>Waits until the log file gains a line containing <paramref name="text"/> after <paramref name="from"/> bytes (or the process ends).</summary>
    private static async Task WaitUntilLoggedAsync(string path, long from, string text, Task process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!process.IsCompleted)
        {
            await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                stream.Seek(from, SeekOrigin.Begin);
                using var reader = new StreamReader(stream);
                if ((await reader.ReadToEndAsync(timeout.Token)).Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_privacy_officer_lists_and_decides_the_alert_a_break_glass_raised_and_another_organisations_cannot_see_it()
    {
        // The ED doctor breaks glass: the audit service alerts RR8's privacy officer at once.
        Ok(await Lcr("--profile", "ed", "signin", "--user", "ed.rr8"));
        var glass = await Lcr("--profile", "ed", "token", Example, "--emergency-reason", "Collapsed in the emergency department");
        Ok(glass);
        var tokenId = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(glass.Out.Trim()).Id;

        Ok(await Lcr("--profile", "po", "signin", "--user", "privacy.rr8"));
        var list = await Lcr("--profile", "po", "alerts", "list", "--since", "1d", "--json");
        Ok(list);
        var alert = list.Json.GetProperty("cases").EnumerateArray().Single(c =>
            c.GetProperty("events").EnumerateArray().Any(e => e.TryGetProperty("accessTokenId", out var t) && t.GetString() == tokenId));
        var id = alert.GetProperty("id").GetString()!;
        Assert.Equal("RR8", alert.GetProperty("organisation").GetProperty("odsCode").GetString());
        Assert.Equal("PRIVACY_ALERT_ORIGIN_RAISED_AT_ACCESS", alert.GetProperty("origin").GetString());
        var table = await Lcr("--profile", "po", "alerts", "list", "--since", "1d");
        Ok(table);
        Assert.Contains(id, table.Out);

        Ok(await Lcr("--profile", "po", "alerts", "decide", id, "--status", "flagged", "--note", "Asked the ED lead"));
        var closed = await Lcr("--profile", "po", "alerts", "decide", id, "--status", "justified", "--note", "Collapsed: justified", "--json");
        Ok(closed);
        var history = closed.Json.GetProperty("reviewCase").GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["PRIVACY_REVIEW_CASE_STATUS_FLAGGED_FOR_INVESTIGATION", "PRIVACY_REVIEW_CASE_STATUS_JUSTIFIED"],
            history.Select(h => h.GetProperty("status").GetString()));
        var shown = await Lcr("--profile", "po", "alerts", "show", id);
        Ok(shown);
        Assert.Contains("Asked the ED lead", shown.Out);

        // The GP practice's privacy officer never sees it; a GP without the role is refused.
        Ok(await Lcr("--profile", "po2", "signin", "--user", "privacy.b86001"));
        Assert.Equal(ExitCodes.NotFound, (await Lcr("--profile", "po2", "alerts", "show", id)).ExitCode);
        var theirs = await Lcr("--profile", "po2", "alerts", "list", "--json");
        Ok(theirs);
        Assert.DoesNotContain(id, theirs.Out);
        Ok(await Lcr("--profile", "gp", "signin", "--user", "gp.b86001"));
        Assert.Equal(ExitCodes.PermissionDenied, (await Lcr("--profile", "gp", "alerts", "list")).ExitCode);
    }

    [Fact]
    public async Task Ig_officer_exports_the_practice_part_as_a_fhir_bundle_and_a_gp_is_refused()
    {
        var file = Path.Combine(_home, "sar.json");
        Ok(await Lcr("--profile", "ig", "signin", "--user", "ig.b86001"));

        var export = await Lcr("--profile", "ig", "export", Example, "--organisation", "B86001", "--output", file, "--json");

        Ok(export);
        Assert.False(File.Exists(file + ".partial"));
        var bytes = await File.ReadAllBytesAsync(file);
        Assert.Equal(bytes.LongLength, long.Parse(export.Json.GetProperty("bytes").ToString(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), export.Json.GetProperty("sha256").GetString());
        using var bundle = JsonDocument.Parse(bytes);
        Assert.Equal("Bundle", bundle.RootElement.GetProperty("resourceType").GetString());
        var resources = bundle.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")).ToList();
        Assert.Contains(resources, r => r.GetProperty("resourceType").GetString() == "Patient" &&
            r.GetProperty("identifier").EnumerateArray().Any(id => id.GetProperty("value").GetString() == Example));
        Assert.Equal(export.Json.GetProperty("resourceCounts").GetProperty("Condition").GetInt32(),
            resources.Count(r => r.GetProperty("resourceType").GetString() == "Condition"));
        Assert.NotEmpty(export.Json.GetProperty("auditEventId").GetString()!);

        // A GP may not answer subject access requests: the token for that purpose is refused (exit 4), nothing is written.
        Ok(await Lcr("signin", "--user", "gp.b86001"));
        var refused = await Lcr("export", Example, "--organisation", "B86001", "--output", Path.Combine(_home, "gp.json"), "--json");
        Assert.Equal(ExitCodes.PermissionDenied, refused.ExitCode);
        Assert.Equal("PURPOSE_NOT_PERMITTED", refused.ErrorJson.GetProperty("reason").GetString());
        Assert.False(File.Exists(Path.Combine(_home, "gp.json")));
    }

    [Fact]
    public async Task Ig_officer_exports_a_readable_copy_for_the_patient_beside_the_bundle()
    {
        // The GP looks at the record first, so the patient's copy has someone to show in "who has looked".
        Ok(await Lcr("signin", "--user", "gp.b86001"));
        Ok(await Lcr("record", Example));
        Ok(await Lcr("--profile", "ig", "signin", "--user", "ig.b86001"));
        var file = Path.Combine(_home, "sar-readable.json");

        var export = await Lcr("--profile", "ig", "export", Example, "--organisation", "B86001", "--output", file, "--format", "html", "--json");

        Ok(export);
        var htmlFile = Path.Combine(_home, "sar-readable.html");
        Assert.Equal(htmlFile, export.Json.GetProperty("html").GetString());
        Assert.False(File.Exists(htmlFile + ".partial"));
        using var bundle = JsonDocument.Parse(await File.ReadAllBytesAsync(file));
        var resources = bundle.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")).ToList();
        var clinical = new[] { "Condition", "MedicationStatement", "AllergyIntolerance", "Observation", "DocumentReference" };
        var entryIds = resources.Where(r => clinical.Contains(r.GetProperty("resourceType").GetString()))
            .Select(r => r.GetProperty("identifier").EnumerateArray().First(i => i.GetProperty("system").GetString() == global::Lcr.Cli.SubjectAccess.SubjectAccessRecord.EntryIdSystem)
                .GetProperty("value").GetString())
            .Distinct().Count();
        var auditEvents = resources.Count(r => r.GetProperty("resourceType").GetString() == "AuditEvent");

        // Well-formed HTML (AngleSharp's strict mode throws on any parse error), saying what the Bundle holds.
        var doc = new AngleSharp.Html.Parser.HtmlParser(new AngleSharp.Html.Parser.HtmlParserOptions { IsStrictMode = true })
            .ParseDocument(await File.ReadAllTextAsync(htmlFile));
        Assert.Contains("999 000 0018", doc.QuerySelector("#patient")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(bundle.RootElement.GetProperty("id").GetString()!, doc.QuerySelector(".facts")!.TextContent, StringComparison.Ordinal);
        // The gateway's Bundle names this organisation by its ODS code only (Organization.name = the code), so that is what the copy can say.
        Assert.Contains("B86001", Assert.Single(doc.QuerySelectorAll("section.organisation h2")).TextContent, StringComparison.Ordinal);
        Assert.True(entryIds > 0);
        Assert.Equal(entryIds, doc.QuerySelectorAll("article.entry").Length);
        Assert.Equal(entryIds, doc.QuerySelectorAll(".version.current, .version.withdrawn").Length);
        var rows = doc.QuerySelectorAll("#access tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(auditEvents, rows.Count);
        Assert.Contains(rows, r => r.Contains("Dr Priya Shah", StringComparison.Ordinal) && r.Contains("Looked at your record summary", StringComparison.Ordinal) &&
            r.Contains("B86001", StringComparison.Ordinal) && r.Contains("Direct care", StringComparison.Ordinal) && r.EndsWith("Allowed", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("Made a copy of your record", StringComparison.Ordinal)); // the export lists itself
        Assert.Empty(doc.QuerySelectorAll("script, link"));

        // The readable copy is named after the Bundle file: an --output ending .html would overwrite the Bundle, so it is refused.
        var clash = await Lcr("--profile", "ig", "export", Example, "--organisation", "B86001", "--output", Path.Combine(_home, "sar.html"), "--format", "html");
        Assert.Equal(ExitCodes.Usage, clash.ExitCode);
        Assert.False(File.Exists(Path.Combine(_home, "sar.html")));
    }

    [Fact]
    public async Task Ig_officer_seals_unseals_and_holds_the_access_log_for_review_and_consent_show_prints_them()
    {
        Ok(await Lcr("--profile", "ig", "signin", "--user", "ig.b86001"));

        // The seeded sealed patient: a member of staff, only their GP named.
        var seeded = SyntheticCohort.Patients[SyntheticOrganisations.Scenario.Sealed].NhsNumber;
        var shownSeeded = await Lcr("--profile", "ig", "consent", "show", seeded);
        Ok(shownSeeded);
        Assert.Contains("Sealed", shownSeeded.Out);
        Assert.Contains("staff-as-patient", shownSeeded.Out);
        Assert.Contains(SyntheticOrganisations.Scenario.SealedRecordNamedProfessionalId, shownSeeded.Out);

        // Another patient registered at Beckett Street (index % 3 == 0), left unsealed at the end.
        var nhs = SyntheticCohort.Patients[27].NhsNumber;
        var sealedReply = await Lcr("--profile", "ig", "consent", "seal", nhs, "--reason", "high-profile", "--note", "In the news, ref IG/S-1",
            "--review-date", DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            "--allow-professional", SyntheticOrganisations.Scenario.SealedRecordNamedProfessionalId, "--allow-team", "RR8:ED", "--json");
        Ok(sealedReply);
        var seal = sealedReply.Json.GetProperty("state").GetProperty("seal");
        Assert.Equal("SEAL_REASON_HIGH_PROFILE", seal.GetProperty("reason").GetString());
        Assert.Equal("RR8:ED", seal.GetProperty("allowedTeamIds")[0].GetString());

        var badReason = await Lcr("--profile", "ig", "consent", "seal", nhs, "--reason", "curiosity", "--note", "x", "--review-date", "2099-01-01");
        Assert.Equal(ExitCodes.Usage, badReason.ExitCode);
        var pastReview = await Lcr("--profile", "ig", "consent", "seal", nhs, "--reason", "staff", "--note", "x", "--review-date", "2020-01-01", "--json");
        Assert.Equal(ExitCodes.Usage, pastReview.ExitCode);
        Assert.Contains(pastReview.ErrorJson.GetProperty("fieldViolations").EnumerateArray(), v => v.GetProperty("field").GetString() == "seal.review_time");

        Ok(await Lcr("--profile", "ig", "consent", "review", "start", nhs, "--reason", "Coercion suspected, ref IG/R-1"));
        var shown = await Lcr("--profile", "ig", "consent", "show", nhs);
        Ok(shown);
        Assert.Contains("high-profile", shown.Out);
        Assert.Contains("In the news, ref IG/S-1", shown.Out);
        Assert.Contains("enhanced review", shown.Out);
        Assert.Contains("1290301000000109", shown.Out);

        Ok(await Lcr("--profile", "ig", "consent", "review", "complete", nhs, "--reason", "Reviewed, ref IG/R-2"));
        var unsealed = await Lcr("--profile", "ig", "consent", "unseal", nhs, "--reason", "No longer in the news", "--json");
        Ok(unsealed);
        Assert.True(unsealed.Json.GetProperty("changed").GetBoolean());
        var again = await Lcr("--profile", "ig", "consent", "unseal", nhs, "--reason", "Again");
        Ok(again);
        Assert.Contains("Nothing changed", again.Out);

        var history = await Lcr("--profile", "ig", "consent", "history", nhs, "--json");
        Ok(history);
        Assert.Equal(["CONSENT_CHANGE_KIND_RECORD_UNSEALED", "CONSENT_CHANGE_KIND_ACCESS_LOG_REVIEW_COMPLETED",
                "CONSENT_CHANGE_KIND_ACCESS_LOG_REVIEW_STARTED", "CONSENT_CHANGE_KIND_RECORD_SEALED"],
            history.Json.GetProperty("changes").EnumerateArray().Take(4).Select(c => c.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task An_emergency_doctor_claims_a_relationship_then_reads_the_record_and_a_trust_that_switched_claims_off_is_refused()
    {
        var nhs = global::Lcr.ServiceDefaults.DevData.SyntheticCohort.Patients[193].NhsNumber; // no relationship with the hospital's ED
        Ok(await Lcr("signin", "--user", "ed.rr8"));
        var none = await Lcr("record", nhs);
        Assert.Equal(ExitCodes.PermissionDenied, none.ExitCode);
        Assert.Contains($"lcr claim {nhs}", none.Error);

        var claim = await Lcr("claim", nhs, "--reason", "patient-presented", "--duration", "2h");
        Ok(claim);
        Assert.Contains("Claimed a care relationship", claim.Out);
        Assert.Contains("privacy officer", claim.Out);
        var again = await Lcr("claim", nhs, "--reason", "patient-presented", "--json");
        Ok(again);
        Assert.False(again.Json.TryGetProperty("created", out var created) && created.GetBoolean());
        Assert.Equal("CARE_RELATIONSHIP_KIND_SELF_CLAIMED", again.Json.GetProperty("careRelationship").GetProperty("kind").GetString());
        Ok(await Lcr("record", nhs));

        Ok(await Lcr("--profile", "mh", "signin", "--user", "mhnurse.rgd"));
        var off = await Lcr("--profile", "mh", "claim", nhs, "--reason", "referral-received");
        Assert.Equal(ExitCodes.PermissionDenied, off.ExitCode);
        Assert.Contains("SELF_CLAIMS_DISABLED", off.Error);
        Assert.Contains("switched self-claimed relationships off", off.Error);
    }

    [Fact]
    public async Task A_sealed_record_shows_the_notice_and_only_a_sealed_record_justification_breaks_the_glass()
    {
        // The seeded sealed patient names only gp.b86001; the ED doctor claims a relationship, which the seal overrides.
        var nhs = SyntheticCohort.Patients[SyntheticOrganisations.Scenario.Sealed].NhsNumber;
        Ok(await Lcr("--profile", "edseal", "signin", "--user", "ed.rr8"));
        Ok(await Lcr("--profile", "edseal", "claim", nhs, "--reason", "patient-presented"));

        var notice = await Lcr("--profile", "edseal", "record", nhs);
        Assert.Equal(ExitCodes.PermissionDenied, notice.ExitCode);
        Assert.Contains("sealed", notice.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("--sealed-justification", notice.Error);
        Assert.DoesNotContain(SyntheticCohort.Patients[SyntheticOrganisations.Scenario.Sealed].Family, notice.Error + notice.Out);

        var plainGlass = await Lcr("--profile", "edseal", "entries", nhs, "--category", "problems", "--emergency-reason", "Collapsed in the department");
        Assert.Equal(ExitCodes.PermissionDenied, plainGlass.ExitCode);
        Assert.Contains("RECORD_SEALED", plainGlass.Error);

        var lonely = await Lcr("--profile", "edseal", "token", nhs, "--sealed-justification", "Cardiac arrest, the sealed history is needed now");
        Assert.Equal(ExitCodes.Usage, lonely.ExitCode);

        var glass = await Lcr("--profile", "edseal", "record", nhs, "--emergency-reason", "Collapsed in the department",
            "--sealed-justification", "Cardiac arrest, the sealed history is needed now", "--json");
        Ok(glass);
        Assert.True(glass.Json.GetProperty("sealedRecord").GetBoolean());
        Assert.True(glass.Json.GetProperty("emergencyAccess").GetBoolean());
    }

    [Fact]
    public async Task Bad_nhs_number_exits_2_naming_the_field()
    {
        Ok(await Lcr("signin", "--user", "gp.b86001"));

        var r = await Lcr("record", "12345", "--json");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal("INVALID_ARGUMENT", r.ErrorJson.GetProperty("code").GetString());
        Assert.Contains(r.ErrorJson.GetProperty("fieldViolations").EnumerateArray(), v => v.GetProperty("field").GetString() == "nhs_number");
        Assert.Empty(r.Out);
    }

    [Fact]
    public async Task Garbage_token_exits_3_and_says_how_to_get_a_new_one()
    {
        var r = await Lcr("record", Example, "--token", "not-a-token");

        Assert.Equal(ExitCodes.Unauthenticated, r.ExitCode);
        Assert.Contains("UNAUTHENTICATED", r.Error);
        Assert.Contains($"lcr token {Example}", r.Error);

        var json = await Lcr("record", Example, "--token", "not-a-token", "--json");
        Assert.Equal(ExitCodes.Unauthenticated, json.ExitCode);
        Assert.StartsWith("TOKEN_", json.ErrorJson.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_signed_in_exits_3_and_names_the_sign_in_command()
    {
        var r = await Lcr("record", Example);

        Assert.Equal(ExitCodes.Unauthenticated, r.ExitCode);
        Assert.Contains("lcr signin --user", r.Error);
    }

    [Fact]
    public async Task A_gp_signs_in_with_an_id_token_from_the_provider_and_reads_a_record_without_a_platform_password()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", "lcr-cli");
        var file = Path.Combine(_home, "id-token");
        await File.WriteAllTextAsync(file, idToken);

        var usage = await Lcr("signin", "--id-token-file", file);
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);

        var signin = await Lcr("signin", "--id-token-file", file, "--role-profile", "953712240002");
        Ok(signin);
        Assert.Contains("through dev-oidc", signin.Out);
        Assert.Contains("B86001", signin.Out);

        var record = await Lcr("record", Example, "--json");
        Ok(record);
        Assert.Equal(Example, record.Json.GetProperty("patient").GetProperty("nhsNumber").GetString());
    }

    [Fact]
    public async Task The_platform_team_lists_a_person_the_provider_signed_in_but_the_platform_does_not_know_and_links_them()
    {
        // ig.b86001's account is not (yet) linked to their subject at the provider.
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Platform.GatewayAddress);
        var identity = new global::Lcr.Identity.V1.IdentityService.IdentityServiceClient(channel);
        var system = await identity.IssueSystemTokenAsync(new global::Lcr.Identity.V1.IssueSystemTokenRequest
        {
            ClientId = "platform-admin", ClientSecret = fixture.Platform.SeedClientSecret,
        });
        var admin = global::Lcr.Security.BearerToken.Metadata(system.SystemToken);
        var ig = (await identity.ListProfessionalsAsync(new global::Lcr.Identity.V1.ListProfessionalsRequest { OrganisationOdsCode = "B86001", PageSize = 200 }, admin))
            .Professionals.Single(p => p.UserName == "ig.b86001");
        await identity.UpdateProfessionalAsync(new global::Lcr.Identity.V1.UpdateProfessionalRequest
        {
            Professional = new global::Lcr.Identity.V1.Professional { Id = ig.Id, Etag = ig.Etag, FederatedSubject = "" },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "federated_subject" } },
        }, admin);

        var file = Path.Combine(_home, "id-token");
        await File.WriteAllTextAsync(file, await DevOidcProvider.IdTokenAsync("ig.b86001", "lcr-cli"));
        Assert.Equal(ExitCodes.Unauthenticated, (await Lcr("signin", "--id-token-file", file, "--role-profile", "582351388882")).ExitCode);

        Ok(await Lcr("signin", "--client", "platform-admin"));
        var list = await Lcr("joiners", "list", "--status", "open", "--org", "B86001", "--json");
        Ok(list);
        var joiner = list.Json.GetProperty("joiners").EnumerateArray().Single(j => j.GetProperty("subject").GetString() == ig.FederatedSubject);
        var id = joiner.GetProperty("id").GetString()!;
        var table = await Lcr("joiners", "list", "--status", "open");
        Ok(table);
        Assert.Contains("Joiners (", table.Out);
        Assert.Contains("lcr joiners link", table.Out);

        var link = await Lcr("joiners", "link", id, "ig.b86001", "--json");
        Ok(link);
        Assert.Equal("FEDERATED_JOINER_STATUS_LINKED", link.Json.GetProperty("joiner").GetProperty("status").GetString());
        Ok(await Lcr("signin", "--id-token-file", file, "--role-profile", "582351388882"));
    }
}
