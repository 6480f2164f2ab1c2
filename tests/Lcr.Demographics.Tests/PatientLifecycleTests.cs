using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Demographics.Tests;

public class PatientLifecycleTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    private DemographicsService.DemographicsServiceClient Client => host.Client;

    [Fact]
    public async Task Created_patient_is_returned_normalised_with_version_one()
    {
        var nhs = DemographicsHost.NewNhsNumber();
        var created = await host.CreateAsync(DemographicsHost.NewPatient(nhs));
        Assert.Equal(1, created.Version);
        Assert.Equal("v1", created.Etag);

        var got = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = nhs })).Patient;
        Assert.Equal(nhs, got.NhsNumber);
        Assert.Equal("LS9 7TF", got.Address.Postcode);
        Assert.Equal("B86001", got.RegisteredPractice.OdsCode);
        Assert.Equal(["Amelia"], got.Name.Given);
        Assert.Equal(new Date { Year = 1984, Month = 3, Day = 14 }, got.BirthDate);
        Assert.Equal(TelephoneKind.Mobile, Assert.Single(got.Telephones).Kind);
        Assert.False(got.Restricted);
        Assert.NotNull(got.CreateTime);
    }

    [Fact]
    public async Task Restricted_flag_round_trips_and_can_be_cleared()
    {
        var p = DemographicsHost.NewPatient();
        p.Restricted = true;
        var created = await host.CreateAsync(p);
        Assert.True((await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = p.NhsNumber })).Patient.Restricted);

        var cleared = (await Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber, Restricted = false },
            UpdateMask = new FieldMask { Paths = { "restricted" } },
            Etag = created.Etag,
        }, DemographicsHost.Feed())).Patient;
        Assert.False(cleared.Restricted);
        Assert.Equal("Hart", cleared.Name.Family); // fields outside the mask untouched
    }

    [Fact]
    public async Task Re_sending_the_same_create_is_idempotent()
    {
        var p = DemographicsHost.NewPatient();
        var first = await host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = p }, DemographicsHost.Feed());
        var second = await host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = p }, DemographicsHost.Feed());
        Assert.True(first.Created);
        Assert.False(second.Created); // a feed can tell what it created
        Assert.Equal(first.Patient.Version, second.Patient.Version);
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from patient_versions where nhs_number = @n", ("n", p.NhsNumber)));
    }

    [Fact]
    public async Task Creating_an_existing_patient_with_other_details_is_already_exists()
    {
        var p = DemographicsHost.NewPatient();
        await host.CreateAsync(p);
        p.Name.Family = "Okafor";
        await RpcAssert.Fails(StatusCode.AlreadyExists, () => host.CreateAsync(p));
    }

    [Fact]
    public async Task Unknown_patient_is_not_found_and_bad_number_is_invalid()
    {
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }));
        await RpcAssert.InvalidFields(async () => await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9990000000" }), "nhs_number");
    }

    [Fact]
    public async Task Bad_create_names_every_bad_field_and_writes_nothing()
    {
        var p = DemographicsHost.NewPatient(nhs: "9990000000");
        p.Address.Postcode = "NOT A POSTCODE";
        p.BirthDate = new Date { Year = DateTime.UtcNow.Year + 1, Month = 1, Day = 1 };
        p.Name.Family = new string('x', 101);
        p.Telephones.Add(new Telephone { Kind = TelephoneKind.Unspecified, Number = "abc" });
        p.Email = "not-an-email";
        await RpcAssert.InvalidFields(() => host.CreateAsync(p),
            "patient.nhs_number", "patient.address.postcode", "patient.birth_date", "patient.name.family",
            "patient.telephones[1].kind", "patient.telephones[1].number", "patient.email");
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from patients where nhs_number = '9990000000'"));
    }

    [Fact]
    public async Task Missing_required_fields_are_named()
    {
        var p = new Patient { NhsNumber = DemographicsHost.NewNhsNumber() };
        await RpcAssert.InvalidFields(() => host.CreateAsync(p), "patient.name", "patient.birth_date", "patient.gender");
        await RpcAssert.InvalidFields(async () => await Client.CreatePatientAsync(new CreatePatientRequest(), DemographicsHost.Feed()), "patient");
    }

    [Fact]
    public async Task Death_before_birth_and_impossible_dates_are_refused()
    {
        var p = DemographicsHost.NewPatient();
        p.DeathDate = new Date { Year = 1980, Month = 1, Day = 1 };
        await RpcAssert.InvalidFields(() => host.CreateAsync(p), "patient.death_date");
        p.DeathDate = null;
        p.BirthDate = new Date { Year = 2023, Month = 2, Day = 29 };
        await RpcAssert.InvalidFields(() => host.CreateAsync(p), "patient.birth_date");
    }

    [Fact]
    public async Task Writes_without_a_caller_are_unauthenticated()
    {
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await Client.CreatePatientAsync(new CreatePatientRequest { Patient = DemographicsHost.NewPatient() }));
    }

    [Fact]
    public async Task Stale_etag_is_aborted_and_changes_nothing()
    {
        var p = DemographicsHost.NewPatient();
        var v1 = await host.CreateAsync(p);
        var v2 = (await Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber, Email = "new@example.org" },
            UpdateMask = new FieldMask { Paths = { "email" } },
            Etag = v1.Etag,
        }, DemographicsHost.Feed())).Patient;
        Assert.Equal(2, v2.Version);

        await RpcAssert.Fails(StatusCode.Aborted, async () => await Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber, Email = "stale@example.org" },
            UpdateMask = new FieldMask { Paths = { "email" } },
            Etag = v1.Etag,
        }, DemographicsHost.Feed()));

        var now = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = p.NhsNumber })).Patient;
        Assert.Equal("new@example.org", now.Email);
        Assert.Equal(2, now.Version);
    }

    [Fact]
    public async Task Update_needs_an_etag_and_known_mask_paths()
    {
        var p = DemographicsHost.NewPatient();
        var v1 = await host.CreateAsync(p);
        await RpcAssert.InvalidFields(async () => await Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber },
            UpdateMask = new FieldMask { Paths = { "email" } },
        }, DemographicsHost.Feed()), "etag");
        await RpcAssert.InvalidFields(async () => await Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber },
            UpdateMask = new FieldMask { Paths = { "nhs_number" } },
            Etag = v1.Etag,
        }, DemographicsHost.Feed()), "update_mask.paths[0]");
    }

    [Fact]
    public async Task A_bad_update_mask_path_is_named_by_position_with_the_allowed_paths_and_never_echoed()
    {
        var p = DemographicsHost.NewPatient();
        var v1 = await host.CreateAsync(p);
        var e = await RpcAssert.Fails(StatusCode.InvalidArgument, async () => await Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber },
            UpdateMask = new FieldMask { Paths = { "email", "zqx\r\n{\"level\":\"Error\"} 9434765919" } },
            Etag = v1.Etag,
        }, DemographicsHost.Feed()));
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations);
        Assert.Equal("update_mask.paths[1]", violation.Field);
        Assert.Contains("allowed:", violation.Description, StringComparison.Ordinal);
        foreach (var piece in new[] { "zqx", "\"level\"", "9434765919", "\r", "\n" })
        {
            Assert.DoesNotContain(piece, e.Status.Detail + violation.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_concurrent_updates_from_one_read_one_wins_one_is_aborted()
    {
        var p = DemographicsHost.NewPatient();
        var v1 = await host.CreateAsync(p);
        Task<UpdatePatientResponse> Update(string email) => Client.UpdatePatientAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = p.NhsNumber, Email = email },
            UpdateMask = new FieldMask { Paths = { "email" } },
            Etag = v1.Etag,
        }, DemographicsHost.Feed()).ResponseAsync;

        var results = await Task.WhenAll(new[] { "a@example.org", "b@example.org" }.Select(async e =>
        {
            try
            {
                return (await Update(e)).Patient.Email;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Aborted)
            {
                return null;
            }
        }));
        var winner = Assert.Single(results, r => r is not null);
        var now = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = p.NhsNumber })).Patient;
        Assert.Equal(winner, now.Email);
        Assert.Equal(2, now.Version);
    }

    [Fact]
    public async Task Concurrent_read_modify_write_clients_lose_no_update()
    {
        var p = DemographicsHost.NewPatient();
        p.Telephones.Clear();
        await host.CreateAsync(p);
        const int writers = 6;

        async Task AddNumber(int i)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var current = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = p.NhsNumber })).Patient;
                var change = new Patient { NhsNumber = p.NhsNumber };
                change.Telephones.AddRange(current.Telephones);
                change.Telephones.Add(new Telephone { Kind = TelephoneKind.Work, Number = $"0113 206 40{i:00}" });
                try
                {
                    await Client.UpdatePatientAsync(new UpdatePatientRequest
                    {
                        Patient = change,
                        UpdateMask = new FieldMask { Paths = { "telephones" } },
                        Etag = current.Etag,
                    }, DemographicsHost.Feed());
                    return;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
                {
                    await Task.Delay(Random.Shared.Next(1, 10));
                }
            }

            throw new InvalidOperationException("writer starved");
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(AddNumber));
        var final = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = p.NhsNumber })).Patient;
        Assert.Equal(writers, final.Telephones.Count);
        Assert.Equal(writers + 1, final.Version);
        Assert.Equal((long)writers + 1, await host.Database.ScalarAsync("select count(*) from patient_versions where nhs_number = @n", ("n", p.NhsNumber)));
    }

    [Fact]
    public async Task Contact_details_update_records_who_which_organisation_and_when()
    {
        var p = DemographicsHost.NewPatient();
        await host.CreateAsync(p);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var updated = (await Client.UpdateContactDetailsAsync(new UpdateContactDetailsRequest
        {
            NhsNumber = p.NhsNumber,
            Address = new Address { Lines = { "1 Otley Road", "Leeds" }, Postcode = "ls6 3hn" },
            Telephones = { new Telephone { Kind = TelephoneKind.Home, Number = "0113 206 4201" } },
        }, CallerHeaders.For(new Actor
        {
            Kind = ActorKind.Professional, Id = "prof-42", RoleCode = "R8008",
            Organisation = new OrganisationReference { OdsCode = "RR8" },
        }))).Patient;
        Assert.Equal("LS6 3HN", updated.Address.Postcode);
        Assert.Equal(string.Empty, updated.Email); // replaced as a whole
        Assert.Equal("Hart", updated.Name.Family);

        var history = (await Client.ListPatientHistoryAsync(new ListPatientHistoryRequest { NhsNumber = p.NhsNumber })).Versions;
        Assert.Equal(2, history.Count);
        var latest = history[0];
        Assert.Equal(ChangeKind.ContactDetailsUpdated, latest.ChangeKind);
        Assert.Equal("prof-42", latest.ChangedBy.Id);
        Assert.Equal("RR8", latest.ChangedBy.Organisation.OdsCode);
        Assert.Equal("R8008", latest.ChangedBy.RoleCode);
        Assert.True(latest.ChangeTime.ToDateTimeOffset() > before);
        Assert.Equal("LS9 7TF", history[1].Patient.Address.Postcode); // the old version is kept as it was
        Assert.Equal(ChangeKind.Created, history[1].ChangeKind);
    }

    [Fact]
    public async Task Contact_details_need_an_address()
    {
        var p = DemographicsHost.NewPatient();
        await host.CreateAsync(p);
        await RpcAssert.InvalidFields(async () => await Client.UpdateContactDetailsAsync(
            new UpdateContactDetailsRequest { NhsNumber = p.NhsNumber }, DemographicsHost.Feed()), "address");
    }

    [Fact]
    public async Task History_is_paged_newest_first()
    {
        var p = DemographicsHost.NewPatient();
        var current = await host.CreateAsync(p);
        for (var i = 0; i < 4; i++)
        {
            current = (await Client.UpdatePatientAsync(new UpdatePatientRequest
            {
                Patient = new Patient { NhsNumber = p.NhsNumber, Email = $"e{i}@example.org" },
                UpdateMask = new FieldMask { Paths = { "email" } },
                Etag = current.Etag,
            }, DemographicsHost.Feed())).Patient;
        }

        var versions = new List<long>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListPatientHistoryAsync(new ListPatientHistoryRequest { NhsNumber = p.NhsNumber, PageSize = 2, PageToken = token });
            Assert.True(page.Versions.Count <= 2);
            versions.AddRange(page.Versions.Select(v => v.Patient.Version));
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal([5L, 4, 3, 2, 1], versions);
    }
}
