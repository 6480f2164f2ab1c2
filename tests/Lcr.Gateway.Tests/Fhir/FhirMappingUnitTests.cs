using System.Xml.Linq;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Fhir;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>The shared mapping, without a host: ids, references, meta and narratives for the API and for a self-contained Bundle.</summary>
public class FhirMappingUnitTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static Entry Problem(string comment) => new()
    {
        Id = "0191f0f0-0000-7000-8000-000000000001",
        Version = 3,
        NhsNumber = "9434765919",
        Category = RecordCategory.Problems,
        Code = new CodedConcept { System = FhirSystems.Snomed, Code = "195967001", Display = "Asthma" },
        Comment = comment,
        Provenance = new Provenance
        {
            SourceEntryId = "src-1",
            SourceOrganisation = new OrganisationReference { OdsCode = "B86001", DisplayName = "Beckett Street Surgery" },
            RecordedTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Now.AddDays(-1)),
        },
        Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active },
    };

    [Fact]
    public void The_api_names_an_entry_by_its_id_and_refers_relatively_and_by_ods_code()
    {
        var context = FhirMappingContext.ForApi("9434765919", Now);
        var c = Assert.IsType<R4.Condition>(EntryMapper.Map(Problem("x"), context));
        Assert.Equal("0191f0f0-0000-7000-8000-000000000001", c.Id);
        Assert.Equal("3", c.Meta!.VersionId);
        Assert.Equal(Now.AddDays(-1), c.Meta.LastUpdated);
        Assert.Equal("Patient/" + FhirValues.PatientId("9434765919"), c.Subject.Reference);
        Assert.Equal("B86001", c.Identifier[1].Assigner!.Identifier!.Value);
        Assert.Empty(context.Organisations);
    }

    [Fact]
    public void A_bundle_names_each_version_and_holds_its_organisations()
    {
        var context = FhirMappingContext.ForBundle("9434765919", Now);
        var c = Assert.IsType<R4.Condition>(EntryMapper.Map(Problem("x"), context));
        Assert.NotEqual("0191f0f0-0000-7000-8000-000000000001", c.Id);
        Assert.StartsWith("urn:uuid:", c.Subject.Reference);
        var org = Assert.IsType<R4.Organization>(Assert.Single(context.Organisations));
        Assert.Equal("1", org.Meta!.VersionId);
        Assert.NotNull(org.Text);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("Tom & Jerry's \"notes\"")]
    [InlineData("control\u0001char and lone \ud800 surrogate")]
    [InlineData("]]><div onclick='x'>")]
    public void Narratives_are_well_formed_xhtml_whatever_the_text(string comment)
    {
        var c = EntryMapper.Map(Problem(comment), FhirMappingContext.ForApi("9434765919", Now))!;
        Assert.Equal(R4.Narrative.NarrativeStatus.Generated, c.Text!.Status);
        var div = XElement.Parse(c.Text!.Div!);
        Assert.Equal(XName.Get("div", "http://www.w3.org/1999/xhtml"), div.Name);
        Assert.DoesNotContain(div.Descendants(), e => e.Name.LocalName is "script" || e.Attributes().Any());
        Assert.Contains("Asthma", div.Value);
    }

    [Fact]
    public void Patient_ids_are_stable_and_not_the_nhs_number()
    {
        Assert.Equal(FhirValues.PatientId("9434765919"), FhirValues.PatientId("9434765919"));
        Assert.DoesNotContain("9434765919", FhirValues.PatientId("9434765919"));
        Assert.True(FhirSearch.IsFhirId(FhirValues.PatientId("9434765919")));
    }
}
