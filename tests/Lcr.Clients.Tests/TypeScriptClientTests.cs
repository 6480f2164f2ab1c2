using Lcr.Testing.Platform;

namespace Lcr.Clients.Tests;

/// <summary>
/// The TypeScript client as another system's developer uses it: built from a clean copy of
/// clients/typescript and protos/ (npm ci, buf generate, tsc), its own unit tests, and the
/// example run with node against the real platform's gateway.
/// </summary>
[Collection(ClientsPlatformCollection.Name)]
public sealed class TypeScriptClientTests(ClientsPlatform platform)
{
    [Fact]
    public async Task Generated_client_builds_from_the_protos_and_its_retry_deadline_and_error_detail_tests_pass()
    {
        var client = await platform.TypeScriptAsync();

        var result = await client.Npm(["test"], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("# fail 0", result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"# pass [1-9]", result.StandardOutput);
        Assert.True(File.Exists(Path.Combine(client.Directory, "gen", "lcr", "gateway", "v1", "gateway_pb.ts")));
        Assert.True(File.Exists(Path.Combine(client.Directory, "gen", "google", "rpc", "error_details_pb.ts")));
    }

    [Fact]
    public async Task Example_signs_in_gets_an_access_token_and_prints_the_patients_record_categories()
    {
        var result = await RunExample(ClientsPlatform.ExamplePatient);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("Signed in as ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Access token for {ClientsPlatform.ExamplePatient} expires", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("returned categories: DEMOGRAPHICS, PROBLEMS, MEDICATIONS, ALLERGIES, TEST_RESULTS, DOCUMENTS",
            result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"PROBLEMS: [1-9]\d* entries", result.StandardOutput);
        Assert.Matches(@"audit event [0-9a-f-]{36}", result.StandardOutput);
    }

    [Fact]
    public async Task Example_prints_INVALID_ARGUMENT_with_the_nhs_number_field_for_a_bad_NHS_number()
    {
        var result = await RunExample("1234567890");

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains("Error: INVALID_ARGUMENT", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("field nhs_number: ", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_prints_the_ErrorInfo_reason_when_the_professional_has_no_care_relationship()
    {
        var result = await RunExample(ClientsPlatform.OtherPracticesPatient);

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains("Error: PERMISSION_DENIED", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("reason: NO_CARE_RELATIONSHIP", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_prints_PATIENT_OPTED_OUT_for_an_opted_out_patient()
    {
        var result = await RunExample(ClientsPlatform.OptedOutPatient);

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains("Error: PERMISSION_DENIED", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("reason: PATIENT_OPTED_OUT", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_retries_reads_on_UNAVAILABLE_but_never_sign_in_and_reports_the_audit_outage()
    {
        await platform.Platform.KillAsync(PlatformService.Audit);
        ProcessResult result;
        try
        {
            result = await RunExample(ClientsPlatform.ExamplePatient);
        }
        finally
        {
            await platform.RestartAndRecoverAsync(PlatformService.Audit);
        }

        // Sign-in works without audit; issuing the access token needs it (issuing is audited).
        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains("Signed in as ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("retrying IssueAccessToken after UNAVAILABLE (attempt 2)", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("attempt 3", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying SignIn", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("Error: UNAVAILABLE", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("reason: AUDIT_UNAVAILABLE", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_signs_in_with_an_id_token_from_the_provider_and_no_password()
    {
        var idToken = await Lcr.Testing.DevOidcProvider.IdTokenAsync("gp.b86001", "b86001-gp-system");
        var result = await RunExample(ClientsPlatform.ExamplePatient, new Dictionary<string, string>
        {
            ["LCR_PASSWORD"] = string.Empty,
            ["LCR_ID_TOKEN"] = idToken,
            ["LCR_ROLE_PROFILE"] = "953712240002",
        });

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("Signed in as Dr Priya Shah", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Access token for {ClientsPlatform.ExamplePatient} expires", result.StandardOutput, StringComparison.Ordinal);
    }

    private async Task<ProcessResult> RunExample(string nhsNumber, IReadOnlyDictionary<string, string>? extra = null)
    {
        var client = await platform.TypeScriptAsync();
        var environment = new Dictionary<string, string>
        {
            ["LCR_GATEWAY"] = platform.Platform.GatewayAddress,
            ["LCR_USER"] = "gp.b86001",
            ["LCR_PASSWORD"] = platform.Platform.SeedPassword,
            ["LCR_NHS_NUMBER"] = nhsNumber,
            // A generous deadline: the test machine is shared and the platform's first calls warm it up.
            ["LCR_TIMEOUT_MS"] = "60000",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            environment[k] = v;
        }

        return await client.RunExampleAsync(environment);
    }
}
