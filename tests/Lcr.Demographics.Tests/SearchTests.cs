using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Tests;

public class SearchTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    private static readonly Date Dob = new() { Year = 1971, Month = 6, Day = 2 };

    private async Task<string> Seed(string family, string given, string postcode = "LS8 5AB",
        AdministrativeGender gender = AdministrativeGender.Female, Date? dob = null)
    {
        var p = DemographicsHost.NewPatient(family: family, given: given);
        p.BirthDate = dob ?? Dob;
        p.Address.Postcode = postcode;
        p.Gender = gender;
        await host.CreateAsync(p);
        return p.NhsNumber;
    }

    [Fact]
    public async Task Search_ignores_case_and_accents()
    {
        var nhs = await Seed("Öztürk", "Emre", gender: AdministrativeGender.Male);
        foreach (var family in new[] { "ozturk", "OZTÜRK", " Öztürk " })
        {
            var found = await host.Client.SearchPatientsAsync(new SearchPatientsRequest { Family = family, BirthDate = Dob });
            Assert.Contains(found.Patients, p => p.NhsNumber == nhs);
        }
    }

    [Fact]
    public async Task Search_narrows_by_given_prefix_postcode_and_gender()
    {
        var dob = new Date { Year = 1990, Month = 1, Day = 20 };
        var joanne = await Seed("Taylor", "Joanne", "LS7 4DN", AdministrativeGender.Female, dob);
        var john = await Seed("Taylor", "John", "LS9 6LD", AdministrativeGender.Male, dob);
        var grace = await Seed("Taylor", "Grace", "LS7 4DN", AdministrativeGender.Female, dob);

        async Task<string[]> Find(SearchPatientsRequest r)
        {
            r.Family = "taylor";
            r.BirthDate = dob;
            return (await host.Client.SearchPatientsAsync(r)).Patients.Select(p => p.NhsNumber).Order().ToArray();
        }

        Assert.Equal(new[] { joanne, john, grace }.Order(), await Find(new SearchPatientsRequest()));
        Assert.Equal(new[] { joanne, john }.Order(), await Find(new SearchPatientsRequest { GivenPrefix = "JO" }));
        Assert.Equal(new[] { joanne, grace }.Order(), await Find(new SearchPatientsRequest { Postcode = "ls74dn" }));
        Assert.Equal([john], await Find(new SearchPatientsRequest { Gender = AdministrativeGender.Male }));
        Assert.Empty(await Find(new SearchPatientsRequest { GivenPrefix = "zz" }));
    }

    [Fact]
    public async Task Search_pages_without_gaps_or_duplicates_even_when_rows_arrive_between_pages()
    {
        var dob = new Date { Year = 1965, Month = 11, Day = 5 };
        var expected = new List<string>();
        foreach (var given in new[] { "Ann", "Bea", "Cal", "Dee", "Eve", "Fay", "Gus" })
        {
            expected.Add(await Seed("Walker", given, dob: dob));
        }

        var seen = new List<string>();
        var token = string.Empty;
        var pages = 0;
        do
        {
            var page = await host.Client.SearchPatientsAsync(new SearchPatientsRequest { Family = "Walker", BirthDate = dob, PageSize = 3, PageToken = token });
            seen.AddRange(page.Patients.Select(p => p.NhsNumber));
            token = page.NextPageToken;
            if (pages++ == 0)
            {
                // A patient sorting before the current position arrives after page one:
                // keyset paging neither repeats nor skips what remains.
                await Seed("Walker", "Aaron", dob: dob);
            }
        }
        while (token.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Search_refuses_bad_input_by_field()
    {
        await RpcAssert.InvalidFields(async () => await host.Client.SearchPatientsAsync(new SearchPatientsRequest()), "family", "birth_date");
        await RpcAssert.InvalidFields(async () => await host.Client.SearchPatientsAsync(
            new SearchPatientsRequest { Family = "Hart", BirthDate = Dob, PageSize = -1 }), "page_size");
        await RpcAssert.InvalidFields(async () => await host.Client.SearchPatientsAsync(
            new SearchPatientsRequest { Family = "Hart", BirthDate = Dob, Postcode = "XX" }), "postcode");
        await RpcAssert.InvalidFields(async () => await host.Client.SearchPatientsAsync(
            new SearchPatientsRequest { Family = "Hart", BirthDate = Dob, Gender = (AdministrativeGender)42 }), "gender");
        await RpcAssert.InvalidFields(async () => await host.Client.SearchPatientsAsync(
            new SearchPatientsRequest { Family = "Hart", BirthDate = new Date { Year = 3000, Month = 1, Day = 1 } }), "birth_date");
    }

    [Fact]
    public async Task A_page_token_cannot_be_replayed_with_other_filters()
    {
        var dob = new Date { Year = 1950, Month = 2, Day = 2 };
        await Seed("Hughes", "Ann", dob: dob);
        await Seed("Hughes", "Bea", dob: dob);
        var page = await host.Client.SearchPatientsAsync(new SearchPatientsRequest { Family = "Hughes", BirthDate = dob, PageSize = 1 });
        Assert.NotEmpty(page.NextPageToken);
        await RpcAssert.InvalidFields(async () => await host.Client.SearchPatientsAsync(
            new SearchPatientsRequest { Family = "Evans", BirthDate = dob, PageSize = 1, PageToken = page.NextPageToken }), "page_token");
    }
}
