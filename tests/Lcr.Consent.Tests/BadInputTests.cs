using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Consent.V1;

namespace Lcr.Consent.Tests;

/// <summary>Bad input: INVALID_ARGUMENT naming each bad field, and nothing written.</summary>
public class BadInputTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private const string BadNhs = "9990000000"; // right shape, wrong check digit
    private ConsentService.ConsentServiceClient Client => host.Client;

    private async Task NothingWritten(Func<Task> call, params string[] fields)
    {
        var before = await host.EventCountAsync();
        var patients = await host.CountAsync("select count(*) from consent_patients");
        await RpcAssert.InvalidFields(call, fields);
        Assert.Equal(before, await host.EventCountAsync());
        Assert.Equal(patients, await host.CountAsync("select count(*) from consent_patients"));
    }

    [Fact]
    public async Task Opt_out_with_unknown_channel_missing_reason_and_invalid_nhs_number_names_all_three()
    {
        await NothingWritten(async () => await Client.RecordOptOutAsync(
            new RecordOptOutRequest { NhsNumber = BadNhs, Channel = (ConsentChannel)42, Reason = " " }, ConsentHost.IgOfficer()),
            "nhs_number", "channel", "reason");
        await NothingWritten(async () => await Client.WithdrawOptOutAsync(
            new WithdrawOptOutRequest { NhsNumber = ConsentHost.NewNhsNumber(), Reason = "x" }, ConsentHost.IgOfficer()), "channel");
        await NothingWritten(async () => await Client.RecordOptOutAsync(
            new RecordOptOutRequest { NhsNumber = ConsentHost.NewNhsNumber(), Channel = ConsentChannel.Email, Reason = new string('x', 1001) },
            ConsentHost.IgOfficer()), "reason");
    }

    [Fact]
    public async Task Restriction_naming_nothing_is_refused_naming_the_target()
    {
        await NothingWritten(async () => await Client.AddRestrictionAsync(
            Calls.Add(ConsentHost.NewNhsNumber(), new Restriction()), ConsentHost.IgOfficer()), "restriction.target");
        await NothingWritten(async () => await Client.AddRestrictionAsync(
            new AddRestrictionRequest { NhsNumber = ConsentHost.NewNhsNumber(), RequestId = Guid.NewGuid().ToString() }, ConsentHost.IgOfficer()),
            "restriction");
    }

    [Fact]
    public async Task Restriction_without_reason_or_channel_or_request_id_names_each()
    {
        await NothingWritten(async () => await Client.AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = ConsentHost.NewNhsNumber(),
            Restriction = Calls.WithholdOrganisation("RGD"),
        }, ConsentHost.IgOfficer()), "restriction.reason", "restriction.channel", "request_id");
    }

    [Theory]
    [InlineData("category-unspecified")]
    [InlineData("category-unknown")]
    [InlineData("category-demographics")]
    [InlineData("organisation-bad-ods")]
    [InlineData("blocked-organisation-empty")]
    [InlineData("entry-not-uuid")]
    [InlineData("professional-not-uuid")]
    [InlineData("end-in-past")]
    public async Task Malformed_restriction_targets_and_end_times_name_the_field(string kind)
    {
        var (restriction, field) = kind switch
        {
            "category-unspecified" => (Calls.WithholdCategory(RecordCategory.Unspecified), "restriction.withheld_category"),
            "category-unknown" => (Calls.WithholdCategory((RecordCategory)99), "restriction.withheld_category"),
            "category-demographics" => (Calls.WithholdCategory(RecordCategory.Demographics), "restriction.withheld_category"),
            "organisation-bad-ods" => (Calls.WithholdOrganisation("R!8"), "restriction.withheld_organisation.ods_code"),
            "blocked-organisation-empty" => (Calls.BlockOrganisation(""), "restriction.blocked_organisation.ods_code"),
            "entry-not-uuid" => (new Restriction { WithheldEntryId = "entry-1" }, "restriction.withheld_entry_id"),
            "professional-not-uuid" => (Calls.BlockProfessional("rr8.admin.clerk"), "restriction.blocked_professional_id"),
            "end-in-past" => (new Restriction(Calls.WithholdOrganisation("RGD")) { EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)) },
                "restriction.end_time"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await NothingWritten(async () => await Client.AddRestrictionAsync(Calls.Add(ConsentHost.NewNhsNumber(), restriction), ConsentHost.IgOfficer()),
            field);
    }

    [Fact]
    public async Task Remove_restriction_needs_a_uuid_a_reason_and_a_channel()
    {
        await NothingWritten(async () => await Client.RemoveRestrictionAsync(
            new RemoveRestrictionRequest { NhsNumber = BadNhs, RestrictionId = "nope" }, ConsentHost.IgOfficer()),
            "nhs_number", "restriction_id", "reason", "channel");
    }

    [Fact]
    public async Task Evaluate_access_names_every_bad_field()
    {
        await RpcAssert.InvalidFields(async () => await Client.EvaluateAccessAsync(new EvaluateAccessRequest
        {
            NhsNumber = "12345",
            ViewerOrganisationOdsCode = "not an ods code",
            RequestedCategories = { RecordCategory.Problems, RecordCategory.Unspecified },
        }), "nhs_number", "viewer_professional_id", "viewer_organisation_ods_code", "requested_categories");
        await RpcAssert.InvalidFields(async () => await Client.EvaluateAccessAsync(
            Calls.Evaluate(ConsentHost.NewNhsNumber(), categories: (RecordCategory)77)), "requested_categories");
    }

    [Fact]
    public async Task Reads_validate_the_nhs_number_and_page_size()
    {
        await RpcAssert.InvalidFields(async () => await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = "999 000 0018" }), "nhs_number");
        await RpcAssert.InvalidFields(async () => await Client.ListConsentHistoryAsync(
            new ListConsentHistoryRequest { NhsNumber = ConsentHost.NewNhsNumber(), PageSize = -1, PageToken = "garbage" }), "page_size", "page_token");
    }

    [Fact]
    public async Task Changes_without_an_identified_caller_are_unauthenticated_and_write_nothing()
    {
        var before = await host.EventCountAsync();
        var nhs = ConsentHost.NewNhsNumber();
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.RecordOptOutAsync(Calls.OptOut(nhs)));
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.ReleaseSensitive())));
        Assert.Equal(before, await host.EventCountAsync());
    }
}
