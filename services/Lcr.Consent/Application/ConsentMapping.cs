using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Consent.Domain;
using Lcr.Consent.V1;

namespace Lcr.Consent.Application;

/// <summary>Converts the derived consent state and its events to the contract's messages.</summary>
internal static class ConsentMapping
{
    public static ConsentState ToState(string nhsNumber, ConsentLedger ledger, DateTimeOffset now)
    {
        var state = new ConsentState { NhsNumber = nhsNumber, OptedOut = ledger.OptedOut, Version = ledger.Version };
        if (ledger.UpdatedAt is { } updated)
        {
            state.UpdateTime = Timestamp.FromDateTimeOffset(updated);
        }

        if (ledger.OptOut is { } optOut)
        {
            state.OptOut = new OptOut
            {
                Channel = (ConsentChannel)optOut.Channel,
                Reason = optOut.Reason,
                RecordedBy = ToActor(optOut),
                RecordTime = Timestamp.FromDateTimeOffset(optOut.OccurredAt),
            };
        }

        if (ledger.Seal is { } seal)
        {
            state.Seal = ToSeal(seal);
        }

        if (ledger.AccessLogReview is { } review)
        {
            state.AccessLogReview = new AccessLogReview
            {
                SnomedCode = ConsentUseCases.EnhancedReviewSnomedCode,
                Reason = review.Reason,
                StartedBy = ToActor(review),
                StartTime = Timestamp.FromDateTimeOffset(review.OccurredAt),
            };
        }

        state.Restrictions.AddRange(ledger.Restrictions
            .Where(r => r.StatusAt(now) == RestrictionStatus.Active)
            .Select(r => ToRestriction(r.Added, r.Removed, now)));
        return state;
    }

    /// <summary>A restriction from its addition and optional removal, with its state at <paramref name="now"/>.</summary>
    public static Restriction ToRestriction(ConsentEvent added, ConsentEvent? removed, DateTimeOffset now)
    {
        var r = new Restriction
        {
            Id = added.RestrictionId!.Value.ToString("D"),
            Reason = added.Reason,
            Channel = (ConsentChannel)added.Channel,
            RecordedBy = ToActor(added),
            CreateTime = Timestamp.FromDateTimeOffset(added.OccurredAt),
            State = removed is not null ? RestrictionState.Removed
                : added.EndTime is { } end && now >= end ? RestrictionState.Expired
                : RestrictionState.Active,
        };
        if (added.EndTime is { } endTime)
        {
            r.EndTime = Timestamp.FromDateTimeOffset(endTime);
        }

        var target = added.Target!;
        switch (target.Kind)
        {
            case TargetKind.WithheldOrganisation:
                r.WithheldOrganisation = new OrganisationReference { OdsCode = target.Value };
                break;
            case TargetKind.WithheldCategory:
                r.WithheldCategory = target.AsCategory();
                break;
            case TargetKind.WithheldEntry:
                r.WithheldEntryId = target.Value;
                break;
            case TargetKind.BlockedProfessional:
                r.BlockedProfessionalId = target.Value;
                break;
            case TargetKind.BlockedOrganisation:
                r.BlockedOrganisation = new OrganisationReference { OdsCode = target.Value };
                break;
            case TargetKind.SensitiveEntriesRelease:
                r.SensitiveEntriesRelease = new SensitiveEntriesRelease();
                break;
        }

        if (removed is not null)
        {
            r.RemovedBy = ToActor(removed);
            r.RemoveTime = Timestamp.FromDateTimeOffset(removed.OccurredAt);
            r.RemovalReason = removed.Reason;
        }

        return r;
    }

    /// <summary>A seal from the event that placed it.</summary>
    public static Seal ToSeal(ConsentEvent placed)
    {
        var seal = new Seal
        {
            Reason = (SealReason)(placed.SealReason ?? 0),
            Note = placed.Reason,
            Automatic = placed.AutomaticSeal,
            SealedBy = ToActor(placed),
            SealTime = Timestamp.FromDateTimeOffset(placed.OccurredAt),
        };
        seal.AllowedProfessionalIds.AddRange(placed.SealProfessionalIds ?? []);
        seal.AllowedTeamIds.AddRange(placed.SealTeamIds ?? []);
        if (placed.SealReviewTime is { } review)
        {
            seal.ReviewTime = Timestamp.FromDateTimeOffset(review);
        }

        return seal;
    }

    /// <summary>
    /// One history entry. <paramref name="related"/>: for a restriction's removal, its
    /// addition; for an unsealing, the sealing it lifted.
    /// </summary>
    public static ConsentChange ToChange(ConsentEvent e, ConsentEvent? related)
    {
        var change = new ConsentChange
        {
            Version = e.Version,
            Kind = (ConsentChangeKind)(int)e.Kind,
            ChangeTime = Timestamp.FromDateTimeOffset(e.OccurredAt),
            Actor = ToActor(e),
            Channel = (ConsentChannel)e.Channel,
            Reason = e.Reason,
        };
        switch (e.Kind)
        {
            case ChangeKind.RestrictionAdded:
                change.Restriction = ToRestriction(e, null, e.OccurredAt);
                break;
            case ChangeKind.RestrictionRemoved when related is not null:
                change.Restriction = ToRestriction(related, e, e.OccurredAt);
                break;
            case ChangeKind.RecordSealed:
                change.Seal = ToSeal(e);
                break;
            case ChangeKind.RecordUnsealed when related is not null:
                change.Seal = ToSeal(related);
                break;
        }

        return change;
    }

    public static EvaluateAccessResponse ToResponse(AccessOutcome o)
    {
        var response = new EvaluateAccessResponse
        {
            Decision = o.Decision,
            Reason = o.Reason,
            SensitiveEntriesReleased = o.SensitiveEntriesReleased,
            ConsentVersion = o.ConsentVersion,
            Sealed = o.Sealed,
            ViewerNamedOnSeal = o.ViewerNamedOnSeal,
            AccessLogUnderReview = o.AccessLogUnderReview,
        };
        response.WithheldOrganisationOdsCodes.AddRange(o.WithheldOrganisations);
        response.WithheldCategories.AddRange(o.WithheldCategories);
        response.WithheldEntryIds.AddRange(o.WithheldEntryIds);
        return response;
    }

    private static Actor ToActor(ConsentEvent e) => new()
    {
        Kind = (ActorKind)e.ActorKind,
        Id = e.ActorId,
        Organisation = new OrganisationReference { OdsCode = e.ActorOrganisation ?? string.Empty },
        RoleCode = e.ActorRole ?? string.Empty,
    };
}
