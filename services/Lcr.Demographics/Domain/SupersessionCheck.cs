namespace Lcr.Demographics.Domain;

/// <summary>The outcome of <see cref="SupersessionGraph.Check"/>.</summary>
public enum SupersessionCheck
{
    /// <summary>The link may be added.</summary>
    Allowed,

    /// <summary>The same link already stands (reported by another notice): nothing to add.</summary>
    AlreadyStands,

    /// <summary>The superseded number is already superseded by a different number.</summary>
    Conflict,

    /// <summary>The target is, or resolves through standing links to, the superseded number.</summary>
    Cycle,

    /// <summary>The chain would be longer than <see cref="SupersessionGraph.MaxDepth"/>, or more than <see cref="SupersessionGraph.MaxMerged"/> numbers would be merged into one.</summary>
    LimitReached,
}
