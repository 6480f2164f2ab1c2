using Grpc.Core;
using Lcr.Demographics.V1;

namespace Lcr.Bench.Seeding.Tests;

public class DemographicsFillerTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    [Fact]
    public async Task Bulk_loaded_patients_read_back_and_a_resent_registration_changes_nothing()
    {
        await using (var source = host.DataSource())
        {
            await BulkLoader.FillAsync(new DemographicsFiller(), source, 4, Feeds.Small, TextWriter.Null);
        }

        var filler = FillerCohort.First(4)[3];
        var sent = FillerCohort.Demographics(filler);
        var stored = (await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = filler.NhsNumber }, Feeds.Of("B86001"))).Patient;
        Assert.Equal(sent.Name.Family, stored.Name.Family);
        Assert.Equal(sent.Name.Given, stored.Name.Given);
        Assert.Equal(sent.BirthDate, stored.BirthDate);
        Assert.Equal(FillerCohort.PracticeOf(filler), stored.RegisteredPractice.OdsCode);
        Assert.Equal(sent.Telephones[0].Number, stored.Telephones[0].Number);
        Assert.Equal(1, stored.Version);

        // CreatePatient answers a re-send of the same registration with the stored patient (and
        // ALREADY_EXISTS for anything different): the bulk-loaded row is the one it would have made.
        var again = (await host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = sent }, Feeds.Of("B86001"))).Patient;
        Assert.Equal(stored, again);
        var changed = sent.Clone();
        changed.Name.Family += "-Smith";
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = changed }, Feeds.Of("B86001")).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
    }
}
