using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>How `lcr consent show` prints a seal and an enhanced review, and the seal reasons lcr accepts (no host).</summary>
public sealed class ConsentSealViewTests
{
    private static string Render(ConsentState state)
    {
        var console = new TestConsole().Width(220);
        AuditView.Consent(console, state);
        return console.Output;
    }

    private static readonly Timestamp At = Timestamp.FromDateTime(new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc));

    [Fact]
    public void A_seal_and_a_review_are_printed_with_who_why_and_when()
    {
        var text = Render(new ConsentState
        {
            NhsNumber = "9990000018",
            Version = 3,
            Seal = new Seal
            {
                Reason = SealReason.StaffAsPatient,
                Note = "[red]Member of staff[/] at RR8",
                ReviewTime = Timestamp.FromDateTime(new DateTime(2027, 6, 1, 0, 0, 0, DateTimeKind.Utc)),
                AllowedProfessionalIds = { "0c0a5e11-0000-4000-8000-000000000018" },
                AllowedTeamIds = { "RR8:ED" },
                SealedBy = new Actor { Kind = ActorKind.Professional, Id = "ig-1", DisplayName = "Mr George Hill", Organisation = new OrganisationReference { OdsCode = "B86001" } },
                SealTime = At,
            },
            AccessLogReview = new AccessLogReview { SnomedCode = "1290301000000109", Reason = "Coercion suspected", StartTime = At },
        });

        Assert.Contains("Sealed (staff-as-patient, 2 named)", text);
        Assert.Contains("Mr George Hill (B86001)", text);
        Assert.Contains("review by 2027-06-01", text);
        Assert.Contains("[red]Member of staff[/] at RR8", text); // caller text is never read as markup
        Assert.Contains("0c0a5e11-0000-4000-8000-000000000018", text);
        Assert.Contains("RR8:ED", text);
        Assert.Contains("enhanced review", text);
        Assert.Contains("1290301000000109", text);
    }

    [Fact]
    public void An_unsealed_record_says_so_and_an_automatic_seal_is_called_out()
    {
        Assert.Contains("Not sealed.", Render(new ConsentState { NhsNumber = "9990000018" }));
        Assert.Equal("view-surge, automatic, 0 named", ConsentSealView.Describe(new Seal { Reason = SealReason.ViewSurge, Automatic = true }));
    }

    [Theory]
    [InlineData("staff", SealReason.StaffAsPatient)]
    [InlineData("staff-as-patient", SealReason.StaffAsPatient)]
    [InlineData("High-Profile", SealReason.HighProfile)]
    [InlineData("safeguarding", SealReason.Safeguarding)]
    [InlineData("other", SealReason.Other)]
    public void Seal_reasons_are_the_friendly_names(string value, SealReason expected) =>
        Assert.Equal(expected, ConsentSealCommands.SealReasonOf(value));

    [Theory]
    [InlineData("view-surge")]
    [InlineData("curiosity")]
    public void Other_seal_reasons_are_a_usage_error_that_does_not_echo_them(string value)
    {
        var e = Assert.Throws<CliException>(() => ConsentSealCommands.SealReasonOf(value));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.DoesNotContain("curiosity", e.Message, StringComparison.Ordinal);
    }
}
