using Lcr.Consent.Domain;

namespace Lcr.Consent.Tests;

public class ConsentLedgerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private static ConsentEvent E(long version, ChangeKind kind, Guid? restriction = null, TargetKind? target = null, string? value = null,
        DateTimeOffset? end = null) => new()
    {
        NhsNumber = "9990000018",
        Version = version,
        Kind = kind,
        OccurredAt = T0.AddMinutes(version),
        ActorId = "ig",
        Reason = "r",
        RestrictionId = restriction,
        TargetKind = target,
        TargetValue = value,
        EndTime = end,
    };

    [Fact]
    public void State_is_derived_by_folding_the_history_in_version_order()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var ledger = ConsentLedger.Fold(
        [
            E(4, ChangeKind.RestrictionRemoved, a),
            E(1, ChangeKind.OptOutRecorded),
            E(3, ChangeKind.RestrictionAdded, a, TargetKind.WithheldOrganisation, "RGD"),
            E(2, ChangeKind.OptOutWithdrawn),
            E(5, ChangeKind.RestrictionAdded, b, TargetKind.BlockedOrganisation, "RR8", T0.AddDays(1)),
        ]);

        Assert.Equal(5, ledger.Version);
        Assert.False(ledger.OptedOut);
        Assert.Equal(RestrictionStatus.Removed, ledger.Find(a)!.StatusAt(T0));
        Assert.Equal(RestrictionStatus.Active, ledger.Find(b)!.StatusAt(T0));
        Assert.Equal(RestrictionStatus.Expired, ledger.Find(b)!.StatusAt(T0.AddDays(1)));

        var snapshot = ledger.ToSnapshot();
        Assert.Equal(5, snapshot.Version);
        var only = Assert.Single(snapshot.Restrictions);
        Assert.Equal(new SnapshotRestriction(TargetKind.BlockedOrganisation, "RR8", T0.AddDays(1)), only);
    }

    [Fact]
    public void No_history_is_the_default_state_at_version_zero()
    {
        var ledger = ConsentLedger.Fold([]);
        Assert.Same(ConsentSnapshot.None, ledger.ToSnapshot());
        Assert.False(ledger.OptedOut);
        Assert.Null(ledger.UpdatedAt);
    }

    [Fact]
    public void A_gap_in_the_history_is_refused_rather_than_guessed_over()
    {
        Assert.Throws<InvalidOperationException>(() => ConsentLedger.Fold([E(1, ChangeKind.OptOutRecorded), E(3, ChangeKind.OptOutWithdrawn)]));
    }

    [Fact]
    public void Seals_and_reviews_fold_into_the_snapshot_the_last_seal_winning()
    {
        var first = E(1, ChangeKind.RecordSealed);
        first.SealReason = (int)Lcr.Common.V1.SealReason.StaffAsPatient;
        first.SealProfessionalIds = ["7d1e5b8a-2c4f-4a9e-8b3d-6f0a1c2e3d4b"];
        first.SealTeamIds = [];
        var second = E(2, ChangeKind.RecordSealed);
        second.SealReason = (int)Lcr.Common.V1.SealReason.ViewSurge;

        var sealedTwice = ConsentLedger.Fold([second, first, E(3, ChangeKind.AccessLogReviewStarted)]);
        Assert.Same(second, sealedTwice.Seal);
        Assert.True(sealedTwice.Seal!.AutomaticSeal);
        var snapshot = sealedTwice.ToSnapshot();
        Assert.True(snapshot.Sealed);
        Assert.Empty(snapshot.Seal!.ProfessionalIds);
        Assert.True(snapshot.AccessLogUnderReview);

        var lifted = ConsentLedger.Fold([first, E(2, ChangeKind.RecordUnsealed), E(3, ChangeKind.AccessLogReviewStarted), E(4, ChangeKind.AccessLogReviewCompleted)]);
        Assert.Null(lifted.Seal);
        Assert.Null(lifted.AccessLogReview);
        Assert.False(lifted.ToSnapshot().Sealed);
        Assert.False(lifted.ToSnapshot().AccessLogUnderReview);
    }
}
