using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

public class RequestTextGuardTests
{
    [Fact]
    public void Control_characters_in_any_nested_text_field_are_named()
    {
        var request = new CreatePatientRequest
        {
            Patient = new Patient
            {
                NhsNumber = "9434765919",
                Name = new HumanName { Family = "Nul\0l", Given = { "Ann", "B\u0007b" } },
                Telephones = { new Telephone { Kind = TelephoneKind.Mobile, Number = "07700\0900123" } },
                RegisteredPractice = new OrganisationReference { OdsCode = "B86001" },
            },
        };
        var e = Assert.Throws<InvalidArgumentException>(() => RequestTextGuardInterceptor.Check(request));
        Assert.Equal(["patient.name.family", "patient.name.given[1]", "patient.telephones[0].number"],
            e.Violations.Select(v => v.Field).Order());
        Assert.DoesNotContain("Nul", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ordinary_text_with_tabs_newlines_and_unicode_passes()
    {
        var request = new CreatePatientRequest
        {
            Patient = new Patient
            {
                Name = new HumanName { Family = "Öztürk-O'Brien\u200D", Given = { "José" } },
                Address = new Address { Lines = { "Flat 2\t12 Beckett Street\r\nLeeds" } },
            },
        };
        RequestTextGuardInterceptor.Check(request);
    }
}
