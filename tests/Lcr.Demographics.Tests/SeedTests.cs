using Lcr.Demographics.V1;
using Lcr.ServiceDefaults.DevData;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Demographics.Tests;

public class SeedTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    [Fact]
    public async Task Seed_merges_the_scenario_pair_and_records_the_death_once()
    {
        await host.SeedAsync();
        await host.SeedAsync(); // idempotent

        var away = SyntheticCohort.Patients[Scenario.MergedAway].NhsNumber;
        var into = SyntheticCohort.Patients[Scenario.MergedInto].NhsNumber;
        var merged = await host.Client.ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = away });
        Assert.Equal(into, merged.CurrentNhsNumber);
        Assert.Equal([away], merged.MergedNhsNumbers);
        var list = await host.Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = into });
        var s = Assert.Single(list.Supersessions);
        Assert.Equal("seed-merge-0001", s.NoticeId);
        Assert.Equal(Lcr.Common.V1.ActorKind.Platform, s.ReportedBy.Kind);
        Assert.Equal("dev-seed", s.ReportedBy.Id);

        var deceased = SyntheticCohort.Patients[Scenario.Deceased].NhsNumber;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var death = (await host.Client.ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = deceased })).DeathDate;
        var died = new DateOnly(death.Year, death.Month, death.Day);
        Assert.InRange(today.DayNumber - died.DayNumber, 29, 31); // 30 days in the UK's calendar, whatever the UTC date
        var history = await host.Client.ListPatientHistoryAsync(new ListPatientHistoryRequest { NhsNumber = deceased });
        Assert.Equal([ChangeKind.Updated, ChangeKind.Created], history.Versions.Select(v => v.ChangeKind));
        Assert.NotNull(history.Versions[0].Patient.DeathDate);

        // Nobody else in the cohort is merged or dead.
        var others = SyntheticCohort.Patients.Where((_, i) => i is not (Scenario.MergedAway or Scenario.MergedInto or Scenario.Deceased)).Select(p => p.NhsNumber);
        foreach (var nhs in others.Take(70))
        {
            var r = await host.Client.ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = nhs });
            Assert.False(r.Superseded);
            Assert.Empty(r.MergedNhsNumbers);
            Assert.Null(r.DeathDate);
        }
    }
}
