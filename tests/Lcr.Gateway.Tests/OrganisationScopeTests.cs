using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Orgs = Lcr.ServiceDefaults.DevData.SyntheticOrganisations;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Where trust stops (issue 17): an organisation's IG officers and systems act only for the
/// patients the organisation is linked to; only the platform's own IG team acts for everyone;
/// every token issue and refusal is audited from what was really issued or refused.
/// </summary>
[Collection(PlatformCollection.Name)]
public class OrganisationScopeTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    /// <summary>A new patient, registered by <paramref name="feed"/>'s organisation at <paramref name="practice"/>.</summary>
    private async Task<string> NewPatientAsync(string feed, string practice)
    {
        var nhs = AuthorizationMatrixTests.UnusedNhsNumber();
        var patient = AuthorizationMatrixTests.NewPatient(nhs);
        patient.RegisteredPractice = new OrganisationReference { OdsCode = practice };
        await new DemographicsService.DemographicsServiceClient(Gateway).CreatePatientAsync(
            new CreatePatientRequest { Patient = patient }, Bearer(await SystemAsync(Gateway, feed, "demographics.write")));
        return nhs;
    }

    private Task<IssueAccessTokenResponse> IgTokenAsync(string user, string nhs, PurposeOfUse purpose = PurposeOfUse.InformationGovernance) =>
        AccessAsync(Gateway, user, nhs, purpose);

    private async Task<long> EventsAsync(string nhs, string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where nhs_number = @nhs and " + where,
            [("nhs", nhs), .. parameters]))!;

    private static void AssertNotLinked(RpcException e, params string[] mustNotContain)
    {
        Assert.Equal("ORGANISATION_NOT_LINKED", Reason(e));
        Assert.Contains("holds no data about this patient", e.Status.Detail, StringComparison.Ordinal);
        foreach (var s in mustNotContain)
        {
            Assert.DoesNotContain(s, e.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_IG_officer_is_refused_IG_and_subject_access_tokens_for_a_patient_their_organisation_has_no_link_with_and_each_refusal_is_audited()
    {
        var nhs = await NewPatientAsync("b86002-gp-feed", Orgs.RoundhayRoadMedicalCentre);

        foreach (var purpose in new[] { PurposeOfUse.InformationGovernance, PurposeOfUse.SubjectAccessRequest })
        {
            var e = await Fails(StatusCode.PermissionDenied, async () => await IgTokenAsync("ig.b86001", nhs, purpose));
            AssertNotLinked(e, nhs);
            Assert.Equal(1, await EventsAsync(nhs, "action = 7 and outcome = 2 and denial_reason = 12 and purpose_of_use = @p and actor_ods = 'B86001'",
                ("p", (int)purpose)));
        }

        // Nothing permitted was recorded: no token was handed out.
        Assert.Equal(0, await EventsAsync(nhs, "action = 7 and outcome = 1"));
    }

    [Fact]
    public async Task The_platform_IG_team_gets_IG_and_subject_access_tokens_for_any_patient()
    {
        var nhs = await NewPatientAsync("b86002-gp-feed", Orgs.RoundhayRoadMedicalCentre);
        foreach (var purpose in new[] { PurposeOfUse.InformationGovernance, PurposeOfUse.SubjectAccessRequest })
        {
            var token = await IgTokenAsync("ig.platform", nhs, purpose);
            Assert.NotEmpty(token.AccessToken);
        }
    }

    [Fact]
    public async Task An_IG_officer_acts_for_a_patient_registered_at_their_practice_one_it_contributed_to_and_one_it_has_a_relationship_with()
    {
        // Registered at B86001 (by another organisation's registration feed).
        var registered = await NewPatientAsync("b86002-gp-feed", Orgs.BeckettStreetSurgery);
        Assert.NotEmpty((await IgTokenAsync("ig.b86001", registered)).AccessToken);

        // Registered elsewhere; B86001 contributed an entry.
        var contributed = await NewPatientAsync("b86002-gp-feed", Orgs.RoundhayRoadMedicalCentre);
        await Fails(StatusCode.PermissionDenied, async () => await IgTokenAsync("ig.b86001", contributed));
        await new ClinicalRecordService.ClinicalRecordServiceClient(Gateway).UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = "SystmOne",
            Entries =
            {
                new EntryContribution
                {
                    Entry = new Entry
                    {
                        NhsNumber = contributed,
                        Category = RecordCategory.Problems,
                        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "195967001", Display = "Asthma" },
                        Provenance = new Provenance { SourceEntryId = "scope-" + Guid.NewGuid().ToString("N") },
                        Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2024, Month = 1, Day = 5 } },
                    },
                },
            },
        }, Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "record.contribute")));
        Assert.NotEmpty((await IgTokenAsync("ig.b86001", contributed, PurposeOfUse.SubjectAccessRequest)).AccessToken);

        // Registered elsewhere; an ended care relationship names B86001 (its extended-access clinic).
        var related = await NewPatientAsync("b86002-gp-feed", Orgs.RoundhayRoadMedicalCentre);
        await IdentityClient(Gateway).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = related,
                Kind = CareRelationshipKind.Referral,
                OrganisationOdsCode = Orgs.BeckettStreetSurgery,
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-60)),
                EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-30)),
                Source = new Provenance { SourceEntryId = "scope-" + Guid.NewGuid().ToString("N"), SourceSystem = "SystmOne" },
            },
        }, Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "relationships.write")));
        Assert.NotEmpty((await IgTokenAsync("ig.b86001", related)).AccessToken);
    }

    [Fact]
    public async Task Token_issued_events_record_the_tokens_real_purpose_id_and_relationship()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        foreach (var purpose in new[] { PurposeOfUse.InformationGovernance, PurposeOfUse.SubjectAccessRequest })
        {
            var token = await IgTokenAsync("ig.b86001", nhs, purpose);
            Assert.Equal(1, await EventsAsync(nhs, "action = 7 and outcome = 1 and purpose_of_use = @p and access_token_id = @t",
                ("p", (int)purpose), ("t", token.TokenId)));
        }

        var care = await AccessAsync(Gateway, "gp.b86001", nhs);
        Assert.NotEmpty(care.CareRelationshipId);
        Assert.Equal(1, await EventsAsync(nhs, "action = 7 and outcome = 1 and purpose_of_use = 1 and access_token_id = @t and care_relationship_id = @r",
            ("t", care.TokenId), ("r", care.CareRelationshipId)));
    }

    [Fact]
    public async Task A_session_the_gateway_cannot_verify_gets_no_token_so_no_token_leaves_unaudited()
    {
        // A gateway whose own token check refuses every session (wrong audience), as when it
        // cannot verify a session identity would still accept: it authenticates before anything
        // else (the authentication middleware and the method's policy), so identity is never
        // asked and no token exists that the audit log does not know about.
        await using var blind = platform.CreateGateway(s => s.AddSingleton(sp =>
            new Lcr.Security.PlatformTokenVerifier(sp.GetRequiredService<Lcr.Security.SigningKeyCache>(),
                Microsoft.Extensions.Options.Options.Create(new Lcr.Security.TokenVerificationOptions { Audience = "somewhere-else" }), TimeProvider.System)));
        var nhs = Nhs(Scenario.ExamplePatient);
        var before = await EventsAsync(nhs, "action = 7 and actor_ods = 'B86001'");
        await Fails(StatusCode.Unauthenticated, async () => await AccessAsync(blind.Channel, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest));
        Assert.Equal(before, await EventsAsync(nhs, "action = 7 and actor_ods = 'B86001'"));

        // Through a gateway that verifies it, the same request is issued and audited from the token.
        var token = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        Assert.Equal(1, await EventsAsync(nhs, "action = 7 and outcome = 1 and purpose_of_use = 3 and access_token_id = @t and actor_ods = 'B86001'",
            ("t", token.TokenId)));
    }

    [Fact]
    public async Task A_token_refused_by_identity_is_audited_with_identitys_reason_and_the_requested_purpose()
    {
        // The clerk's role may not request information-governance access.
        var nhs = Nhs(Scenario.ExamplePatient + 9);
        var before = await EventsAsync(nhs, "action = 7 and outcome = 2 and denial_reason = 10 and purpose_of_use = 4");
        var e = await Fails(StatusCode.PermissionDenied, async () => await IgTokenAsync("clerk.rr8", nhs));
        Assert.Equal("PURPOSE_NOT_PERMITTED", Reason(e));
        Assert.Equal(before + 1, await EventsAsync(nhs, "action = 7 and outcome = 2 and denial_reason = 10 and purpose_of_use = 4"));
    }

    [Fact]
    public async Task A_system_with_consent_write_is_refused_for_a_patient_its_organisation_has_no_link_with_and_the_refusal_is_audited()
    {
        var nhs = await NewPatientAsync("b86003-gp-feed", Orgs.KirkstallHealthCentre);
        var consent = new ConsentService.ConsentServiceClient(Gateway);
        var other = Bearer(await SystemAsync(Gateway, "b86002-gp-feed", "consent.write", "consent.read"));
        var e = await Fails(StatusCode.PermissionDenied, async () => await consent.RecordOptOutAsync(new RecordOptOutRequest
        {
            NhsNumber = nhs, Channel = ConsentChannel.Letter, Reason = "Letter ref IG/1",
        }, other));
        AssertNotLinked(e, nhs);
        Assert.Equal(1, await EventsAsync(nhs, "action = 10 and outcome = 2 and denial_reason = 12 and actor_id = 'b86002-gp-feed'"));
        await Fails(StatusCode.PermissionDenied, async () => await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, other));
        Assert.NotNull(await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs },
            Bearer(await SystemAsync(Gateway, "b86003-gp-feed", "consent.read"))));

        // The registering organisation's own feed may.
        await consent.RecordOptOutAsync(new RecordOptOutRequest
        {
            NhsNumber = nhs, Channel = ConsentChannel.Letter, Reason = "Letter ref IG/2",
        }, Bearer(await SystemAsync(Gateway, "b86003-gp-feed", "consent.write")));
    }

    [Fact]
    public async Task A_system_with_audit_read_is_refused_one_patients_trail_when_its_organisation_has_no_link_with_them()
    {
        // A hospital's audit tool (registered by the platform team) reads only the trails of its own organisation's patients;
        // the platform team's own client (LCR01) reads every trail.
        var nhs = await NewPatientAsync("b86002-gp-feed", Orgs.RoundhayRoadMedicalCentre);
        var admin = Bearer(await SystemAsync(Gateway, "platform-admin", "identity.admin"));
        var created = await IdentityClient(Gateway).CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient
            {
                ClientId = "rr8-audit-" + Guid.NewGuid().ToString("N")[..8], DisplayName = "RR8 audit tool",
                Organisation = new OrganisationReference { OdsCode = "RR8" }, Scopes = { "audit.read" },
            },
        }, admin);
        var hospital = Bearer((await IdentityClient(Gateway).IssueSystemTokenAsync(new IssueSystemTokenRequest
        {
            ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret, Scopes = { "audit.read" },
        })).SystemToken);
        var audit = new AuditService.AuditServiceClient(Gateway);
        var e = await Fails(StatusCode.PermissionDenied, async () => await audit.ListEventsByPatientAsync(
            new ListEventsByPatientRequest { NhsNumber = nhs }, hospital));
        AssertNotLinked(e, nhs);
        Assert.Equal(1, await EventsAsync(nhs, "action = 11 and outcome = 2 and denial_reason = 12"));
        Assert.NotEmpty((await audit.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs },
            Bearer(await SystemAsync(Gateway, "platform-admin", "audit.read")))).Events);
    }

    [Fact]
    public async Task A_demographics_feed_updates_only_linked_patients_and_the_refusal_says_no_more_than_not_linked()
    {
        var nhs = await NewPatientAsync("b86003-gp-feed", Orgs.KirkstallHealthCentre);
        var demographics = new DemographicsService.DemographicsServiceClient(Gateway);
        var other = Bearer(await SystemAsync(Gateway, "b86002-gp-feed", "demographics.write"));
        UpdateContactDetailsRequest Change(string n) => new()
        {
            NhsNumber = n, Address = new Address { Lines = { "2 Moved Street", "Leeds" }, Postcode = "LS8 5AB" },
        };

        var existing = await Fails(StatusCode.PermissionDenied, async () => await demographics.UpdateContactDetailsAsync(Change(nhs), other));
        var absent = await Fails(StatusCode.PermissionDenied, async () =>
            await demographics.UpdateContactDetailsAsync(Change(AuthorizationMatrixTests.UnusedNhsNumber()), other));
        AssertNotLinked(existing, nhs);
        Assert.Equal(existing.Status.Detail, absent.Status.Detail);
        Assert.Equal(1, await EventsAsync(nhs, "action = 9 and outcome = 2 and denial_reason = 12 and actor_id = 'b86002-gp-feed'"));

        // The organisation that registered the patient may.
        var own = Bearer(await SystemAsync(Gateway, "b86003-gp-feed", "demographics.write"));
        Assert.Equal("LS8 5AB", (await demographics.UpdateContactDetailsAsync(Change(nhs), own)).Patient.Address.Postcode);
    }

    [Fact]
    public async Task The_organisation_link_check_is_internal_only()
    {
        var e = await Fails(StatusCode.PermissionDenied, async () => await IdentityClient(Gateway).CheckOrganisationLinkAsync(
            new CheckOrganisationLinkRequest { NhsNumber = Nhs(Scenario.ExamplePatient), OrganisationOdsCode = Orgs.BeckettStreetSurgery },
            Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "relationships.read"))));
        Assert.Equal("INTERNAL_ONLY", Reason(e));
    }
}
