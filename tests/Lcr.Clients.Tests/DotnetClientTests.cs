using Grpc.Core;
using Lcr.Client;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Microsoft.Extensions.Time.Testing;

namespace Lcr.Clients.Tests;

/// <summary>The C# helper and its sample against the real platform's gateway (every service its own process).</summary>
[Collection(ClientsPlatformCollection.Name)]
public sealed class DotnetClientTests(ClientsPlatform platform)
{
    [Fact]
    public async Task Signed_in_GP_reads_the_example_patients_record_with_a_patient_bound_access_token()
    {
        using var lcr = platform.Client();
        var session = await lcr.SignInAsync("gp.b86001", platform.Platform.SeedPassword);
        var tokens = session.AccessTokens(ClientsPlatform.ExamplePatient, PurposeOfUse.DirectCare);

        var record = await lcr.Gateway(tokens).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = ClientsPlatform.ExamplePatient });

        Assert.Equal(ClientsPlatform.ExamplePatient, record.Patient.NhsNumber);
        Assert.Contains(RecordCategory.Problems, record.ReturnedCategories);
        Assert.Contains(RecordCategory.Medications, record.ReturnedCategories);
        Assert.NotEmpty(record.ActiveProblems);
        Assert.NotEmpty(record.AuditEventId);
        Assert.NotEmpty(tokens.LastResponse!.CareRelationshipId);
        Assert.True(session.ExpireTime > DateTimeOffset.UtcNow.AddHours(1));
    }

    [Fact]
    public async Task A_gp_system_signs_the_gp_in_with_their_id_token_from_the_provider_and_reads_the_record()
    {
        var idToken = await Lcr.Testing.DevOidcProvider.IdTokenAsync("gp.b86001", "b86001-gp-system");
        using var lcr = platform.Client();
        var session = await lcr.SignInWithIdTokenAsync(idToken, "953712240002");

        var record = await lcr.Gateway(session.AccessTokens(ClientsPlatform.ExamplePatient))
            .GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = ClientsPlatform.ExamplePatient });

        Assert.Equal(ClientsPlatform.ExamplePatient, record.Patient.NhsNumber);
        Assert.Equal("gp.b86001", session.Professional.UserName);
    }

    [Fact]
    public async Task Access_token_renewed_shortly_before_expiry_is_a_new_token_that_the_gateway_accepts()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var lcr = platform.Client(clock);
        var session = await lcr.SignInAsync("gp.b86001", platform.Platform.SeedPassword);
        var tokens = session.AccessTokens(ClientsPlatform.ExamplePatient);
        var gateway = lcr.Gateway(tokens);

        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = ClientsPlatform.ExamplePatient });
        var first = tokens.LastResponse!;
        clock.Advance(first.ExpireTime.ToDateTimeOffset() - clock.GetUtcNow() - TimeSpan.FromSeconds(20));
        var record = await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = ClientsPlatform.ExamplePatient });

        Assert.Equal(2, tokens.IssuedCount);
        Assert.NotEqual(first.TokenId, tokens.LastResponse!.TokenId);
        Assert.NotEmpty(record.AuditEventId);
    }

    [Fact]
    public async Task Bad_NHS_number_is_INVALID_ARGUMENT_naming_the_field_in_typed_details()
    {
        using var lcr = platform.Client();
        var session = await lcr.SignInAsync("gp.b86001", platform.Platform.SeedPassword);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await session.AccessTokens("1234567890").GetTokenAsync());
        var error = e.ToPlatformError();

        Assert.Equal(StatusCode.InvalidArgument, error.Code);
        Assert.Equal(PlatformError.PlatformDomain, error.Domain);
        Assert.Contains(error.FieldViolations, v => v.Field == "nhs_number");
        Assert.DoesNotContain("1234567890", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opted_out_patient_is_refused_with_reason_PATIENT_OPTED_OUT_even_with_emergency_access()
    {
        using var lcr = platform.Client();
        var session = await lcr.SignInAsync("ed.rr8", platform.Platform.SeedPassword);
        var glass = await session.EmergencyAccessAsync(ClientsPlatform.OptedOutPatient, EmergencyAccessReason.ClinicalEmergency,
            "Unconscious patient in resus, no history available");

        var e = await Assert.ThrowsAsync<RpcException>(() => lcr.Gateway(new FixedToken(glass))
            .GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = ClientsPlatform.OptedOutPatient }).ResponseAsync);
        var error = e.ToPlatformError();

        Assert.Equal(StatusCode.PermissionDenied, error.Code);
        Assert.True(error.Is("PATIENT_OPTED_OUT"), error.ToString());
    }

    [Fact]
    public async Task Wrong_password_is_UNAUTHENTICATED_with_reason_INVALID_CREDENTIALS()
    {
        using var lcr = platform.Client();

        var e = await Assert.ThrowsAsync<RpcException>(() => lcr.SignInAsync("socialworker.00da", "not-the-password"));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.True(e.ToPlatformError().Is("INVALID_CREDENTIALS"), e.ToPlatformError().ToString());
    }

    [Fact]
    public async Task Sample_app_prints_the_record_summary_and_a_first_page_of_problems()
    {
        var sample = Repository.PathOf("clients", "dotnet", "Lcr.Client.Sample", "bin", Repository.Configuration, "net10.0", "Lcr.Client.Sample.dll");

        var result = await ChildProcess.RunAsync("dotnet", [sample], Repository.Root, TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["LCR_GATEWAY"] = platform.Platform.GatewayAddress,
            ["LCR_PASSWORD"] = platform.Platform.SeedPassword,
            ["LCR_NHS_NUMBER"] = ClientsPlatform.ExamplePatient,
            ["LCR_TIMEOUT_MS"] = "60000",
        });

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("returned categories: Demographics, Problems, Medications", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("first page of problems: 2 entries, more: True", result.StandardOutput, StringComparison.Ordinal);
    }
}
