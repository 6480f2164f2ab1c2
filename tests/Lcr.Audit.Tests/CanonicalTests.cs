using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;

namespace Lcr.Audit.Tests;

public class CanonicalTests
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

    [Fact]
    public void Chain_hash_is_deterministic_and_covers_every_field_and_position()
    {
        var baseline = Canonical.ChainHash(Row(), Canonical.GenesisHash());
        Assert.Equal(baseline, Canonical.ChainHash(Row(), Canonical.GenesisHash()));

        var variants = new Action<AuditEventRow>[]
        {
            r => r.ActorId = "gp-2",
            r => r.NhsNumber = "9990000018",
            r => r.ReturnedEntryIds = ["a"],
            r => r.ReturnedEntryIds = ["ab"],
            r => r.ReturnedCategories = [3, 2],
            r => r.CareRelationshipId = null,
            r => r.MatchSameAddress = false,
            r => r.RecordTime = r.RecordTime.AddTicks(10),
            r => r.ChainSequence = 8,
            r => r.ChainPartition = 4,
            r => r.Outcome = 2,
        };
        foreach (var change in variants)
        {
            var r = Row();
            change(r);
            Assert.NotEqual(baseline, Canonical.ChainHash(r, Canonical.GenesisHash()));
        }

        var prev = Canonical.GenesisHash();
        prev[0] = 1;
        Assert.NotEqual(baseline, Canonical.ChainHash(Row(), prev));
    }

    [Fact]
    public void Times_are_hashed_at_the_microsecond_precision_postgres_keeps()
    {
        var t = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero).AddTicks(12345677);
        Assert.Equal(t.AddTicks(-7), Canonical.ToStoredPrecision(t));
    }

    [Fact]
    public void A_patients_events_always_share_a_partition()
    {
        var a = ChainPartitioner.PartitionOf("9434765919", Guid.NewGuid(), 64);
        Assert.Equal(a, ChainPartitioner.PartitionOf("9434765919", Guid.NewGuid(), 64));
        Assert.InRange(a, 0, 63);
        var spread = Enumerable.Range(0, 2000).Select(_ => ChainPartitioner.PartitionOf(null, Guid.NewGuid(), 64)).Distinct().Count();
        Assert.Equal(64, spread);
    }
}
