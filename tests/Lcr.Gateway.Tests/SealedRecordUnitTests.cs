using System.Diagnostics.Metrics;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Records;
using Lcr.Gateway.Telemetry;
using Lcr.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Tests;

/// <summary>The sealed-record rule and the view-surge rule, without a host.</summary>
public class SealedRecordUnitTests
{
    private const string Justification = "Cardiac arrest, the sealed history is needed now";

    private static VerifiedAccessToken Token(PurposeOfUse purpose, string? justification = null, string professional = "prof-1") => new(
        "jti", professional, "Dr A", "RR8", "R8000", "ra-1", "9000000009", purpose, new HashSet<RecordCategory>(), null,
        purpose == PurposeOfUse.EmergencyCare ? new EmergencyAccessGrant(EmergencyAccessReason.ClinicalEmergency, "Collapsed in clinic") : null,
        DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5), "kid")
    {
        SealedRecordJustification = justification,
    };

    private static EvaluateAccessResponse Permit(bool sealedRecord, bool named = false) => new()
    {
        Decision = AccessDecision.Permit, Sealed = sealedRecord, ViewerNamedOnSeal = named,
    };

    [Fact]
    public void An_unsealed_record_is_read_as_usual_and_carries_no_seal_in_audit()
    {
        var token = Token(PurposeOfUse.DirectCare);
        var kind = SealedRecordRule.Decide(Permit(false), token);
        Assert.Equal(SealedRecordAccessKind.NotSealed, kind);
        Assert.Null(SealedRecordRule.AuditDetail(kind, token));
    }

    [Fact]
    public void A_viewer_named_on_the_seal_reads_it_flagged_as_named_even_with_a_justification()
    {
        foreach (var token in new[] { Token(PurposeOfUse.DirectCare), Token(PurposeOfUse.EmergencyCare, Justification) })
        {
            var kind = SealedRecordRule.Decide(Permit(true, named: true), token);
            Assert.Equal(SealedRecordAccessKind.ViewerNamed, kind);
            var detail = SealedRecordRule.AuditDetail(kind, token)!;
            Assert.True(detail.ViewerNamed);
            Assert.Empty(detail.BreakGlassJustification);
        }
    }

    [Fact]
    public void Emergency_access_with_a_sealed_record_justification_breaks_the_glass_and_audit_carries_it()
    {
        var token = Token(PurposeOfUse.EmergencyCare, Justification);
        var kind = SealedRecordRule.Decide(Permit(true), token);
        Assert.Equal(SealedRecordAccessKind.BrokeGlass, kind);
        var detail = SealedRecordRule.AuditDetail(kind, token)!;
        Assert.False(detail.ViewerNamed);
        Assert.Equal(Justification, detail.BreakGlassJustification);
    }

    [Fact]
    public void Everyone_else_gets_the_notice_emergency_access_without_a_justification_included()
    {
        foreach (var token in new[] { Token(PurposeOfUse.DirectCare), Token(PurposeOfUse.EmergencyCare), Token(PurposeOfUse.EmergencyCare, "   ") })
        {
            var kind = SealedRecordRule.Decide(Permit(true), token);
            Assert.Equal(SealedRecordAccessKind.Notice, kind);
            var detail = SealedRecordRule.AuditDetail(kind, token)!;
            Assert.False(detail.ViewerNamed);
            Assert.Empty(detail.BreakGlassJustification);
        }
    }

    [Fact]
    public void The_notice_says_emergency_access_is_possible_only_for_care_tokens_and_names_nobody()
    {
        Assert.True(SealedRecordRule.Notice(Token(PurposeOfUse.DirectCare)).EmergencyAccessPossible);
        Assert.True(SealedRecordRule.Notice(Token(PurposeOfUse.EmergencyCare)).EmergencyAccessPossible);
        Assert.False(SealedRecordRule.Notice(Token(PurposeOfUse.InformationGovernance)).EmergencyAccessPossible);
        Assert.False(SealedRecordRule.Notice(Token(PurposeOfUse.SubjectAccessRequest)).EmergencyAccessPossible);
        var notice = SealedRecordRule.Notice(Token(PurposeOfUse.DirectCare));
        Assert.Equal(SealedRecordRule.Message, notice.Message);
        Assert.DoesNotContain("9000000009", notice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_seal_names_a_professional_by_platform_id_whatever_the_case()
    {
        var id = Guid.NewGuid().ToString();
        var seal = new Seal { AllowedProfessionalIds = { id.ToUpperInvariant() }, AllowedTeamIds = { "RR8:WARD-12" } };
        Assert.True(SealedRecordRule.NamesProfessional(seal, id));
        Assert.False(SealedRecordRule.NamesProfessional(seal, Guid.NewGuid().ToString()));
        Assert.False(SealedRecordRule.NamesProfessional(seal, "RR8:WARD-12"));
    }

    [Fact]
    public void Only_care_views_of_records_that_are_not_sealed_count_towards_a_surge()
    {
        Assert.True(ViewSurgeRule.Counts(Token(PurposeOfUse.DirectCare), SealedRecordAccessKind.NotSealed));
        Assert.True(ViewSurgeRule.Counts(Token(PurposeOfUse.EmergencyCare), SealedRecordAccessKind.NotSealed));
        Assert.False(ViewSurgeRule.Counts(Token(PurposeOfUse.InformationGovernance), SealedRecordAccessKind.NotSealed));
        Assert.False(ViewSurgeRule.Counts(Token(PurposeOfUse.SubjectAccessRequest), SealedRecordAccessKind.NotSealed));
        Assert.False(ViewSurgeRule.Counts(Token(PurposeOfUse.DirectCare), SealedRecordAccessKind.ViewerNamed));
        Assert.False(ViewSurgeRule.Counts(Token(PurposeOfUse.EmergencyCare, Justification), SealedRecordAccessKind.BrokeGlass));
        Assert.False(ViewSurgeRule.Counts(Token(PurposeOfUse.DirectCare, professional: string.Empty), SealedRecordAccessKind.NotSealed));
    }

    [Fact]
    public void A_surge_is_more_distinct_viewers_than_the_limit_within_the_window_and_the_seal_is_reviewed_after_the_set_time()
    {
        var o = new ViewSurgeOptions { DistinctViewers = 3, Window = TimeSpan.FromMinutes(20), ReviewAfter = TimeSpan.FromDays(2) };
        Assert.False(ViewSurgeRule.Exceeded(3, o));
        Assert.True(ViewSurgeRule.Exceeded(4, o));
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddMinutes(-20), ViewSurgeRule.WindowStart(now, o));
        Assert.Equal(now.AddDays(2), ViewSurgeRule.ReviewTime(now, o));

        var defaults = new ViewSurgeOptions();
        Assert.Equal(30, defaults.DistinctViewers);
        Assert.Equal(TimeSpan.FromHours(1), defaults.Window);
        Assert.Equal(TimeSpan.FromDays(7), defaults.ReviewAfter);
    }

    [Fact]
    public void A_full_queue_drops_the_view_and_counts_it_without_waiting_and_uncounted_views_are_never_queued()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new GatewayMetrics(services.GetRequiredService<IMeterFactory>());
        var dropped = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, metrics.ViewSurgeSkipped))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "cause" && (string?)tag.Value == "queue_full")
                {
                    dropped += value;
                }
            }
        });
        listener.Start();
        var monitor = new ViewSurgeMonitor(Options.Create(new ViewSurgeOptions { QueueCapacity = 1 }), metrics, TimeProvider.System);

        monitor.Observe(Token(PurposeOfUse.InformationGovernance), "9000000009", SealedRecordAccessKind.NotSealed); // not a counted view
        monitor.Observe(Token(PurposeOfUse.DirectCare, professional: "prof-1"), "9000000009", SealedRecordAccessKind.NotSealed);
        monitor.Observe(Token(PurposeOfUse.DirectCare, professional: "prof-2"), "9000000009", SealedRecordAccessKind.NotSealed); // full

        Assert.Equal(1, dropped);
        Assert.True(monitor.Views.TryRead(out var queued));
        Assert.Equal("prof-1", queued.ProfessionalId);
        Assert.False(monitor.Views.TryRead(out _));
    }
}
