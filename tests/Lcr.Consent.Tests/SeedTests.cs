using Lcr.Common.V1;
using Lcr.Consent.Seed;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Consent.Tests;

public class SeedTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private static string Patient(int index) => SyntheticCohort.Patients[index].NhsNumber;

    [Fact]
    public async Task Seed_tells_the_scenario_story_and_is_idempotent()
    {
        foreach (var seeder in host.Services.GetServices<IDevelopmentSeeder>())
        {
            await seeder.SeedAsync(CancellationToken.None);
            await seeder.SeedAsync(CancellationToken.None);
        }

        Assert.Equal(6L, await host.EventCountAsync());
        var client = host.Client;

        var optedOut = await client.EvaluateAccessAsync(Calls.Evaluate(Patient(SyntheticOrganisations.Scenario.OptedOut), emergency: true));
        Assert.Equal(AccessDecisionReason.PatientOptedOut, optedOut.Reason);
        var optOut = (await client.GetConsentAsync(new GetConsentRequest { NhsNumber = Patient(SyntheticOrganisations.Scenario.OptedOut) })).Consent.OptOut;
        Assert.Equal(ConsentChannel.Telephone, optOut.Channel);

        var mentalHealth = await client.EvaluateAccessAsync(Calls.Evaluate(Patient(SyntheticOrganisations.Scenario.WithholdsMentalHealth)));
        Assert.Equal([SyntheticOrganisations.MentalHealthTrust], mentalHealth.WithheldOrganisationOdsCodes);

        var blocks = Patient(SyntheticOrganisations.Scenario.BlocksProfessional);
        Assert.Equal(AccessDecisionReason.ProfessionalBlocked,
            (await client.EvaluateAccessAsync(Calls.Evaluate(blocks, ConsentSeeder.BlockedProfessionalId, SyntheticOrganisations.TeachingHospitals))).Reason);
        var colleague = await client.EvaluateAccessAsync(Calls.Evaluate(blocks, Calls.OtherViewer, SyntheticOrganisations.TeachingHospitals));
        Assert.Equal(AccessDecision.Permit, colleague.Decision);
        Assert.Equal([RecordCategory.Documents], colleague.WithheldCategories);

        Assert.True((await client.EvaluateAccessAsync(Calls.Evaluate(Patient(SyntheticOrganisations.Scenario.ReleasesSensitive)))).SensitiveEntriesReleased);

        var sealedPatient = Patient(SyntheticOrganisations.Scenario.Sealed);
        var seal = (await client.GetConsentAsync(new GetConsentRequest { NhsNumber = sealedPatient })).Consent.Seal;
        Assert.Equal(SealReason.StaffAsPatient, seal.Reason);
        Assert.Equal([SyntheticOrganisations.Scenario.SealedRecordNamedProfessionalId], seal.AllowedProfessionalIds);
        var gp = await client.EvaluateAccessAsync(Calls.Evaluate(sealedPatient, SyntheticOrganisations.Scenario.SealedRecordNamedProfessionalId,
            SyntheticOrganisations.BeckettStreetSurgery));
        Assert.True(gp.Sealed);
        Assert.True(gp.ViewerNamedOnSeal);
        var other = await client.EvaluateAccessAsync(Calls.Evaluate(sealedPatient, Calls.OtherViewer, SyntheticOrganisations.TeachingHospitals));
        Assert.True(other.Sealed);
        Assert.False(other.ViewerNamedOnSeal);

        var example = await client.EvaluateAccessAsync(Calls.Evaluate(Patient(SyntheticOrganisations.Scenario.ExamplePatient)));
        Assert.Equal(AccessDecisionReason.NoRestrictions, example.Reason);
        Assert.False(example.Sealed);
        Assert.False(example.SensitiveEntriesReleased);
    }
}
