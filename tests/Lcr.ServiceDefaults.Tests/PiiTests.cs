using System.Diagnostics;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Lcr.ServiceDefaults.Tests;

public class PiiTests
{
    [Theory]
    [InlineData("patient 9434765919 not found", "patient [nhs-number] not found")]
    [InlineData("nhs=943 476 5919;", "nhs=[nhs-number];")]
    [InlineData("nhs 943-476-5919", "nhs [nhs-number]")]
    [InlineData("lives at LS9 7TF now", "lives at [postcode] now")]
    [InlineData("postcode ls97tf", "postcode [postcode]")]
    [InlineData("mail jo.bloggs+1@nhs.net please", "mail [email] please")]
    [InlineData("call 07700 900123", "call [telephone]")]
    [InlineData("call +44 7700 900123", "call [telephone]")]
    public void Scrub_masks_identifier_shaped_text(string input, string expected) => Assert.Equal(expected, Pii.Scrub(input));

    [Theory]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e4736")] // a trace id
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e")] // a GUID
    [InlineData("took 12 ms, 3 rows")]
    [InlineData("/lcr.demographics.v1.DemographicsService/GetPatient")]
    [InlineData("12345678901234")] // a longer number is not an NHS number
    public void Scrub_leaves_ordinary_text_alone(string input) => Assert.Equal(input, Pii.Scrub(input));

    [Fact]
    public void Pseudonyms_are_stable_per_key_and_differ_across_keys()
    {
        var a = new PatientPseudonymiser(new byte[32]);
        var b = new PatientPseudonymiser(Enumerable.Repeat((byte)1, 32).ToArray());
        Assert.Equal(a.Pseudonym("9434765919"), a.Pseudonym("9434765919"));
        Assert.NotEqual(a.Pseudonym("9434765919"), a.Pseudonym("4698194180"));
        Assert.NotEqual(a.Pseudonym("9434765919"), b.Pseudonym("9434765919"));
        Assert.DoesNotContain("9434765919", a.Pseudonym("9434765919"), StringComparison.Ordinal);
        Assert.Equal(20, a.Pseudonym("9434765919").Length);
    }

    [Fact]
    public void Short_pseudonymisation_keys_are_refused() =>
        Assert.Throws<ArgumentException>(() => new PatientPseudonymiser(new byte[8]));

    [Fact]
    public void Log_formatter_scrubs_message_state_and_exception()
    {
        var formatter = new RedactingJsonConsoleFormatter();
        using var writer = new StringWriter();
        var state = new List<KeyValuePair<string, object?>>
        {
            new("Nhs", "9434765919"),
            new("{OriginalFormat}", "Looked up {Nhs}"),
        };
        var exception = new InvalidOperationException("duplicate key 9434765919 at LS9 7TF");
        formatter.Write(new Microsoft.Extensions.Logging.Abstractions.LogEntry<List<KeyValuePair<string, object?>>>(
            LogLevel.Error, "test", new EventId(1), state, exception, (s, _) => "Looked up 9434765919"), null, writer);
        var line = writer.ToString();
        Assert.DoesNotContain("9434765919", line, StringComparison.Ordinal);
        Assert.DoesNotContain("LS9 7TF", line, StringComparison.Ordinal);
        Assert.Contains("[nhs-number]", line, StringComparison.Ordinal);
        Assert.Contains("\"level\":\"Error\"", line, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Span_processor_scrubs_attributes_and_status()
    {
        using var activity = new Activity("test").Start();
        activity.SetTag("db.statement", "GET summary:9434765919");
        activity.SetTag("count", 3);
        activity.SetStatus(ActivityStatusCode.Error, "patient 9434765919 failed");
        activity.Stop();
        new PiiScrubbingActivityProcessor().OnEnd(activity);
        Assert.Equal("GET summary:[nhs-number]", activity.GetTagItem("db.statement"));
        Assert.Equal(3, activity.GetTagItem("count"));
        Assert.Equal("patient [nhs-number] failed", activity.StatusDescription);
    }
}
