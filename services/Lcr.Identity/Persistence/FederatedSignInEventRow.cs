namespace Lcr.Identity.Persistence;

/// <summary>
/// One federated sign-in attempt (table <c>federated_sign_in_events</c>): append-only (a database
/// trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained in <see cref="Sequence"/> order
/// (<see cref="Domain.Federation.SignInEventChain"/>), so an altered, removed or inserted row is found
/// by re-computing the chain. Never token text; the subject only once the provider's signature on it
/// was verified.
/// </summary>
public sealed class FederatedSignInEventRow
{
    /// <summary>Position in the chain, from 1, without gaps (assigned under an advisory lock).</summary>
    public long Sequence { get; set; }
    public Guid Id { get; set; }
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>The provider's configured name; <c>unknown</c> when the token named no trusted issuer.</summary>
    public required string Provider { get; set; }

    /// <summary><c>SIGNED_IN</c> or the refusal's ErrorInfo reason (e.g. <c>FEDERATED_TOKEN_EXPIRED</c>).</summary>
    public required string Outcome { get; set; }

    /// <summary>The token check that failed (<c>audience</c>, <c>signing_key</c>, ...), for token refusals.</summary>
    public string? FailedCheck { get; set; }

    /// <summary>The verified <c>federated_subject</c> (provider prefix + <c>sub</c>); null before the token was verified.</summary>
    public string? Subject { get; set; }
    public Guid? ProfessionalId { get; set; }

    /// <summary>The role profile (<c>person_roleid</c>) asked for.</summary>
    public string? RoleProfileId { get; set; }
    public Guid? RoleAssignmentId { get; set; }

    /// <summary>The platform session's token id, for a sign-in.</summary>
    public string? SessionId { get; set; }

    /// <summary>Role assignments ended by this exchange because their role profile left the token (leavers).</summary>
    public List<Guid> EndedRoleAssignmentIds { get; set; } = [];

    public required byte[] PreviousHash { get; set; }
    public required byte[] Hash { get; set; }
}
