using Lcr.Common.V1;

namespace Lcr.Consent.Domain;

/// <summary>What a restriction acts on. Stored as (kind, value); values are normalised so equal targets compare equal.</summary>
public enum TargetKind
{
    /// <summary>Value: an upper-case ODS code. Entries contributed by it are withheld from everyone.</summary>
    WithheldOrganisation = 1,

    /// <summary>Value: the <see cref="RecordCategory"/> number. The category is withheld from everyone.</summary>
    WithheldCategory = 2,

    /// <summary>Value: a clinical entry's platform id (lower-case UUID). The entry is withheld from everyone.</summary>
    WithheldEntry = 3,

    /// <summary>Value: a professional's platform id (lower-case UUID). That professional is refused.</summary>
    BlockedProfessional = 4,

    /// <summary>Value: an upper-case ODS code. Staff acting for it are refused.</summary>
    BlockedOrganisation = 5,

    /// <summary>Value: empty. The patient's sensitive entries are shared.</summary>
    SensitiveEntriesRelease = 6,
}

/// <summary>A restriction's target in normalised form.</summary>
public sealed record RestrictionTarget(TargetKind Kind, string Value)
{
    public static RestrictionTarget Category(RecordCategory category) =>
        new(TargetKind.WithheldCategory, ((int)category).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public RecordCategory AsCategory() =>
        (RecordCategory)int.Parse(Value, System.Globalization.CultureInfo.InvariantCulture);
}
