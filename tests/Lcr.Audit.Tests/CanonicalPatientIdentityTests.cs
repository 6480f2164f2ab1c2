using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;

namespace Lcr.Audit.Tests;

/// <summary>
/// Issue 21's fields in the canonical form: covered by the chain hash, and only in a third format
/// used when one is set, so every event stored before keeps its hash.
/// </summary>
public class CanonicalPatientIdentityTests
{
    private static AuditEventRow Row() => new()
    {
        EventId = Guid.Parse("0190f5a4-7c1e-7d2a-9b1e-3f4a5b6c7d8e"),
        RecordTime = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
        OccurrenceTime = new DateTimeOffset(2026, 3, 2, 8, 59, 59, TimeSpan.Zero),
        Action = 1,
        Outcome = 1,
        ActorKind = 1,
        ActorId = "gp-1",
        NhsNumber = "9434765919",
        PurposeOfUse = 1,
        CareRelationshipId = "rel-1",
        ReturnedCategories = [2, 3],
        ReturnedEntryIds = ["a", "b"],
        ChainPartition = 3,
        ChainSequence = 7,
        ChainHash = [],
        PreviousChainHash = Canonical.GenesisHash(),
    };

    private static string Hash(AuditEventRow r) => Convert.ToHexString(Canonical.ChainHash(r, Canonical.GenesisHash()));

    [Fact]
    public void Events_without_the_new_fields_keep_the_hashes_of_the_first_and_second_formats()
    {
        // Golden values: computed by the pre-issue-21 Canonical (first and second formats) for these rows.
        Assert.Equal("47250E60238F030D2CFAA69C215C1EF67617A3903A06B0B889071E5E7B4FB628", Hash(Row()));
        var detail = Row();
        detail.CareRelationshipKind = 2;
        detail.SealedViewerNamed = true;
        Assert.Equal("F8DC1423B8C77234F1ECBF66572B26209FB794306A30B26CC853014E9C25F40C", Hash(detail));
    }

    [Fact]
    public void Each_new_field_changes_the_hash()
    {
        var baseline = Hash(Row());
        var variants = new Action<AuditEventRow>[]
        {
            r => r.MergedNhsNumbers = ["9990000018"],
            r => r.SupersededNhsNumber = "9990000018",
            r => r.AlertDetailsWithheld = true,
            r => r.PatientDeathDate = new DateOnly(2026, 2, 1),
        };
        var seen = new HashSet<string> { baseline };
        foreach (var change in variants)
        {
            var r = Row();
            change(r);
            Assert.True(r.HasPatientIdentityDetail);
            Assert.True(seen.Add(Hash(r)), "each field hashes differently");
        }

        var full = Row();
        full.MergedNhsNumbers = ["9990000018", "9990000026"];
        full.SupersededNhsNumber = "9990000018";
        full.CurrentNhsNumber = "9434765919";
        full.SupersessionNoticeId = "n-1";
        full.PatientDeathDate = new DateOnly(2026, 2, 1);
        var fullHash = Hash(full);
        var changes = new Action<AuditEventRow>[]
        {
            r => r.MergedNhsNumbers = ["9990000026", "9990000018"],
            r => r.CurrentNhsNumber = "9990000026",
            r => r.SupersessionNoticeId = "n-2",
            r => r.PatientDeathDate = new DateOnly(2026, 2, 2),
            r => r.AlertDetailsWithheld = true,
        };
        foreach (var change in changes)
        {
            var r = Row();
            r.MergedNhsNumbers = full.MergedNhsNumbers;
            r.SupersededNhsNumber = full.SupersededNhsNumber;
            r.CurrentNhsNumber = full.CurrentNhsNumber;
            r.SupersessionNoticeId = full.SupersessionNoticeId;
            r.PatientDeathDate = full.PatientDeathDate;
            change(r);
            Assert.NotEqual(fullHash, Hash(r));
        }
    }

    [Fact]
    public void The_third_format_also_covers_the_second_formats_fields()
    {
        var a = Row();
        a.AlertDetailsWithheld = true;
        var b = Row();
        b.AlertDetailsWithheld = true;
        b.SealReason = 1;
        Assert.NotEqual(Hash(a), Hash(b));
    }
}
