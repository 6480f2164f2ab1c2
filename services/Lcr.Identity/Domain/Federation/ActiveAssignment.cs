namespace Lcr.Identity.Domain.Federation;

/// <summary>A role assignment as the mapping sees it: started, not ended, in a role the catalogue knows.</summary>
public sealed record ActiveAssignment(Guid Id, string OrganisationOds, string RoleCode);
