using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Gateway.Tests.Http;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Sealing.SealScenario;

namespace Lcr.Gateway.Tests.Sealing;

/// <summary>
/// A sealed record through the gateway, end to end on the real services: the named read it, the
/// glass breaks only with a sealed-record justification, and everyone else sees the notice and
/// nothing else, each answer audited with what the seal meant for it (seen through
/// <see cref="AuditTap"/> on the way to the real audit service).
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class SealedRecordTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly AuditTap _tap = new();
    private GatewayHost _gateway = null!;

    private Grpc.Net.Client.GrpcChannel Gateway => _gateway.Channel;

    public Task InitializeAsync()
    {
        _gateway = platform.CreateGateway(wrap: (service, handler) => service == ServiceNames.Audit ? _tap.Wrap(handler) : handler);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<string> DirectCareAsync(string userName, string nhs) => (await AccessAsync(Gateway, userName, nhs)).AccessToken;

    private async Task<GetPatientRecordResponse> RecordAsync(string token, string nhs) =>
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token));

    private IReadOnlyList<AuditEvent> Views(string nhs, string token) => _tap.For(nhs)
        .Where(e => ViewerContextSource.IsRecordView(e.Action) && e.AccessTokenId == Token(token)).ToList();

    /// <summary>The access token's id (jti), to pick out its events.</summary>
    private static string Token(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        return System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(payload)).RootElement.GetProperty("jti").GetString()!;
    }

    private static async Task AssertSealedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal(SealedRecordRule.Reason, Reason(e));
        Assert.Equal(SealedRecordRule.Message, e.Status.Detail);
    }

    [Fact]
    public async Task A_professional_named_on_the_seal_reads_it_and_every_event_says_so()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        var named = await NewProfessionalAsync(Gateway);
        await SealAsync(Gateway, nhs, [named.Id]);

        var token = await DirectCareAsync(named.UserName, nhs);
        var record = await RecordAsync(token, nhs);
        Assert.True(record.SealedRecord);
        Assert.Null(record.SealedNotice);
        Assert.Equal(family, record.Patient.Name.Family);
        await RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, Bearer(token));

        var views = Views(nhs, token);
        Assert.Equal(2, views.Count);
        Assert.All(views, e =>
        {
            Assert.Equal(AuditOutcome.Permitted, e.Outcome);
            Assert.True(e.SealedRecord.ViewerNamed);
            Assert.Empty(e.SealedRecord.BreakGlassJustification);
        });
    }

    [Fact]
    public async Task A_professional_with_a_relationship_but_not_named_gets_the_notice_only_and_record_sealed_everywhere_else()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        var named = await NewProfessionalAsync(Gateway);
        var other = await NewProfessionalAsync(Gateway);
        var before = await RecordAsync(await DirectCareAsync(other.UserName, nhs), nhs);
        Assert.Equal(family, before.Patient.Name.Family); // not sealed yet: the relationship is real
        await SealAsync(Gateway, nhs, [named.Id]);

        var token = await DirectCareAsync(other.UserName, nhs);
        var notice = await RecordAsync(token, nhs);

        // Byte for byte: the notice and nothing else (no demographics, counts, versions or ids).
        var expected = new GetPatientRecordResponse
        {
            SealedNotice = new SealedRecordNotice { Message = SealedRecordRule.Message, EmergencyAccessPossible = true },
        };
        Assert.Equal(expected.ToByteArray(), notice.ToByteArray());
        var text = Encoding.UTF8.GetString(notice.ToByteArray());
        Assert.DoesNotContain(family, text, StringComparison.Ordinal);
        Assert.DoesNotContain(nhs, text, StringComparison.Ordinal);

        await AssertSealedAsync(async () => await RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, Bearer(token)));
        await AssertSealedAsync(async () => await RecordsClient(Gateway).GetRecordEntryAsync(
            new GetRecordEntryRequest { NhsNumber = nhs, EntryId = Guid.NewGuid().ToString() }, Bearer(token)));
        await AssertSealedAsync(async () => await RecordsClient(Gateway).GetDocumentContentAsync(
            new GetDocumentContentRequest { NhsNumber = nhs, EntryId = Guid.NewGuid().ToString() }, Bearer(token)));

        // The same through JSON over HTTP.
        var http = _gateway.CreateHttpClient();
        var json = JsonHttp.Ok(await JsonHttp.GetAsync(http, $"/v1/patients/{nhs}/record", token));
        Assert.Equal(SealedRecordRule.Message, json.GetProperty("sealedNotice").GetProperty("message").GetString());
        Assert.DoesNotContain(family, json.GetRawText(), StringComparison.Ordinal);
        Assert.False(json.TryGetProperty("patient", out _));
        var (status, body) = await JsonHttp.GetAsync(http, $"/v1/patients/{nhs}/entries?category=RECORD_CATEGORY_PROBLEMS", token);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(SealedRecordRule.Reason, JsonHttp.Status(body).Reason);

        // Every answer audited as denied, RECORD_SEALED, viewer not named, nothing returned.
        var views = Views(nhs, token);
        Assert.Equal(6, views.Count);
        Assert.All(views, e =>
        {
            Assert.Equal(AuditOutcome.Denied, e.Outcome);
            Assert.Equal(AuditDenialReason.RecordSealed, e.DenialReason);
            Assert.False(e.SealedRecord.ViewerNamed);
            Assert.Empty(e.ReturnedCategories);
            Assert.Empty(e.ReturnedEntryIds);
        });
    }

    [Fact]
    public async Task Emergency_access_without_a_sealed_record_justification_gets_the_notice()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        await SealAsync(Gateway, nhs, [Guid.NewGuid().ToString()]);
        var ed = await NewProfessionalAsync(Gateway, SyntheticOrganisations.TeachingHospitals);

        var token = await EmergencyAsync(Gateway, ed.UserName, nhs);
        var notice = await RecordAsync(token, nhs);
        Assert.Equal(SealedRecordRule.Message, notice.SealedNotice.Message);
        Assert.True(notice.SealedNotice.EmergencyAccessPossible);
        Assert.Null(notice.Patient);
        Assert.DoesNotContain(family, Encoding.UTF8.GetString(notice.ToByteArray()), StringComparison.Ordinal);
        var e = Assert.Single(Views(nhs, token));
        Assert.Equal(AuditDenialReason.RecordSealed, e.DenialReason);
        Assert.NotNull(e.EmergencyAccess);
    }

    [Fact]
    public async Task Emergency_access_with_a_sealed_record_justification_reads_it_and_every_event_carries_the_justification()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        await SealAsync(Gateway, nhs, [Guid.NewGuid().ToString()]);
        var ed = await NewProfessionalAsync(Gateway, SyntheticOrganisations.TeachingHospitals);

        var token = await EmergencyAsync(Gateway, ed.UserName, nhs, Justification);
        var record = await RecordAsync(token, nhs);
        Assert.True(record.SealedRecord);
        Assert.True(record.EmergencyAccess);
        Assert.Equal(family, record.Patient.Name.Family);

        var issued = Assert.Single(_tap.For(nhs), x => x.Action == AuditAction.EmergencyAccess);
        Assert.Equal(Justification, issued.SealedRecord.BreakGlassJustification);
        var view = Assert.Single(Views(nhs, token));
        Assert.Equal(AuditOutcome.Permitted, view.Outcome);
        Assert.False(view.SealedRecord.ViewerNamed);
        Assert.Equal(Justification, view.SealedRecord.BreakGlassJustification);
    }

    [Fact]
    public async Task A_team_named_on_the_seal_admits_a_professional_whose_token_rests_on_that_team()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        const string team = "RR8:SEAL-WARD";
        var feed = Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", Lcr.Security.Scopes.RelationshipsWrite));
        await IdentityClient(Gateway).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs, Kind = CareRelationshipKind.InpatientEpisode, TeamId = team,
                StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-3)),
                Source = new Provenance { SourceEntryId = "admission-" + nhs, SourceSystem = "test" },
            },
        }, feed);
        var onWard = await NewProfessionalAsync(Gateway, SyntheticOrganisations.TeachingHospitals, "R8000", team);
        var gp = await NewProfessionalAsync(Gateway);
        await SealAsync(Gateway, nhs, [], [team]);

        var ward = await RecordAsync(await DirectCareAsync(onWard.UserName, nhs), nhs);
        Assert.True(ward.SealedRecord);
        Assert.Equal(family, ward.Patient.Name.Family);
        Assert.NotNull((await RecordAsync(await DirectCareAsync(gp.UserName, nhs), nhs)).SealedNotice);
    }

    [Fact]
    public async Task Search_leaves_a_sealed_patient_out_lists_the_nhs_number_and_audits_the_refusal()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        var named = await NewProfessionalAsync(Gateway);
        var other = await NewProfessionalAsync(Gateway);
        await SealAsync(Gateway, nhs, [named.Id]);
        var search = new SearchPatientsRequest { Family = family, BirthDate = new Date { Year = 1979, Month = 6, Day = 2 } };
        var demographics = new DemographicsService.DemographicsServiceClient(Gateway);

        var hidden = await demographics.SearchPatientsAsync(search, Bearer(await SessionAsync(Gateway, other.UserName)));
        Assert.Empty(hidden.Patients);
        Assert.Equal([nhs], hidden.SealedNhsNumbers);
        Assert.DoesNotContain(family, Encoding.UTF8.GetString(hidden.ToByteArray()), StringComparison.Ordinal);
        var refused = Assert.Single(_tap.For(nhs), e => e.Action == AuditAction.Search && e.Actor.Id == other.Id);
        Assert.Equal(AuditOutcome.Denied, refused.Outcome);
        Assert.Equal(AuditDenialReason.RecordSealed, refused.DenialReason);
        Assert.Empty(refused.ReturnedCategories);

        var shown = await demographics.SearchPatientsAsync(search, Bearer(await SessionAsync(Gateway, named.UserName)));
        Assert.Equal(nhs, Assert.Single(shown.Patients).NhsNumber);
        Assert.Empty(shown.SealedNhsNumbers);
    }

    [Fact]
    public async Task An_opt_out_keeps_its_own_refusal_on_a_sealed_record()
    {
        var nhs = Nhs(SyntheticOrganisations.Scenario.OptedOut);
        var token = await DirectCareAsync("gp.b86001", nhs);
        await SealAsync(Gateway, nhs, [Guid.NewGuid().ToString()]);
        try
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await RecordAsync(token, nhs));
            Assert.Equal("PATIENT_OPTED_OUT", Reason(e));
        }
        finally
        {
            await UnsealAsync(Gateway, nhs);
        }
    }

    [Fact]
    public async Task An_unsealed_record_is_read_as_before_and_carries_no_seal()
    {
        var (nhs, family) = await RegisterPatientAsync(Gateway);
        var named = await NewProfessionalAsync(Gateway);
        var other = await NewProfessionalAsync(Gateway);
        await SealAsync(Gateway, nhs, [named.Id]);
        await UnsealAsync(Gateway, nhs);

        var token = await DirectCareAsync(other.UserName, nhs);
        var record = await RecordAsync(token, nhs);
        Assert.False(record.SealedRecord);
        Assert.Equal(family, record.Patient.Name.Family);
        Assert.Null(Assert.Single(Views(nhs, token)).SealedRecord);
    }
}
