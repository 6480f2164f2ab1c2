using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Platform.Tests;

/// <summary>
/// What `make run` seeds for issue 21, read through the real processes as a newcomer would: the
/// merged pair (the temporary number points to the kept one, whose record holds both), the deceased
/// patient (a notice on the view) and the example patient's risks and alerts (first, highest first).
/// </summary>
[Collection(nameof(SmokeTests))]
public sealed class SeededStoryTests
{
    private static string Nhs(int index) => SyntheticCohort.Patients[index].NhsNumber;

    [Fact]
    public async Task The_seeded_merged_pair_deceased_patient_and_alerts_read_as_the_docs_say()
    {
        await using var platform = await RealPlatform.StartAsync();
        using var client = new PlatformClient(platform.GatewayAddress);

        // The merged pair: RR8's emergency department saw the patient under the temporary number.
        var ed = await client.SignInAsync("ed.rr8", platform.SeedPassword);
        var pointer = await RpcAssert.Fails(StatusCode.FailedPrecondition, "NHS_NUMBER_SUPERSEDED",
            () => client.AccessAsync(ed, Nhs(Scenario.MergedAway)));
        Assert.Equal(Nhs(Scenario.MergedInto), pointer.Metadata["current_nhs_number"]);

        var kept = await client.AccessAsync(ed, Nhs(Scenario.MergedInto)); // RR8's relationship recorded under the old number counts
        var merged = await PlatformClient.WarmAsync(() => client.ReadAsync(Nhs(Scenario.MergedInto), kept));
        Assert.Equal([Nhs(Scenario.MergedAway)], merged.MergedNhsNumbers);
        var all = merged.ActiveProblems.Concat(merged.Allergies).Concat(merged.RecentDocuments).ToList();
        var fromOld = all.Where(e => e.NhsNumber == Nhs(Scenario.MergedAway)).ToList();
        Assert.NotEmpty(fromOld);
        Assert.All(fromOld, e => Assert.Equal(SyntheticOrganisations.TeachingHospitals, e.Provenance.SourceOrganisation.OdsCode));
        Assert.Contains(all, e => e.NhsNumber == Nhs(Scenario.MergedInto));

        // The deceased patient: the ED doctor breaks glass within the period care continues for.
        var glass = await client.Identity.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = Nhs(Scenario.Deceased), ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Brought in; confirming history",
        }, BearerToken.Metadata(ed), DateTime.UtcNow + PlatformClient.Deadline);
        var deceased = await client.ReadAsync(Nhs(Scenario.Deceased), BearerToken.Metadata(glass.AccessToken));
        Assert.NotNull(deceased.Deceased);
        var died = new DateOnly(deceased.Deceased.DeathDate.Year, deceased.Deceased.DeathDate.Month, deceased.Deceased.DeathDate.Day);
        Assert.InRange(DateOnly.FromDateTime(DateTime.UtcNow).DayNumber - died.DayNumber, 29, 31);
        Assert.StartsWith("This patient died on ", deceased.Deceased.Message, StringComparison.Ordinal);

        // The example patient's risks and alerts, first and highest severity first, for their GP.
        var gp = await client.SignInAsync("gp.b86001", platform.SeedPassword);
        var example = await client.ReadAsync(Nhs(Scenario.ExamplePatient), await client.AccessAsync(gp, Nhs(Scenario.ExamplePatient)));
        Assert.True(example.Alerts.Count >= 3);
        Assert.Equal(AlertSeverity.High, example.Alerts[0].Alert.Severity);
        Assert.Equal(example.Alerts.Select(a => a.Alert.Severity).OrderDescending(), example.Alerts.Select(a => a.Alert.Severity));
        Assert.Contains(example.Alerts, a => a.Alert.Kind == AlertKind.RiskToStaff);
        Assert.Contains(example.Alerts, a => a.Alert.Kind == AlertKind.Safeguarding);
        Assert.All(example.Alerts, a => Assert.Equal(EntryStatus.Active, a.Status));
        Assert.False(example.AlertDetailsWithheld);
        Assert.Contains(RecordCategory.RisksAndAlerts, example.ReturnedCategories);
        SmokeTests.AssertNoPatientDataIn(platform);
    }
}
