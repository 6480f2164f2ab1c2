using Grpc.Core;
using Lcr.Gateway.Downstream;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Access;

/// <summary>
/// Who may work privacy alerts (AuditService's privacy review cases) and whose: a signed-in
/// professional at the organisations where they hold an active privacy officer role (identity's
/// ListActiveRoleAssignments, asked as the platform), or a system with <c>audit.review</c> for its
/// own organisation; the platform's own IG organisations for every organisation.
/// </summary>
public sealed class PrivacyOfficerPolicy(CallerAuthenticator auth, IOptions<GovernanceOptions> options, Lcr.Identity.V1.IdentityService.IdentityServiceClient identity)
{
    /// <summary>PERMISSION_DENIED PRIVACY_OFFICER_REQUIRED: a session without a privacy officer role.</summary>
    public static PermissionDeniedException OfficerRequired() => new("PRIVACY_OFFICER_REQUIRED",
        "Only a privacy officer (a professional acting in a privacy officer role) or a system with the 'audit.review' scope may work privacy alerts.");

    /// <summary>The caller and the organisations whose alerts they see; throws for anyone else.</summary>
    public async Task<PrivacyAlertCaller> ResolveAsync(ServerCallContext context)
    {
        if (context.GetHttpContext().User.Caller()?.TokenType == TokenTypes.System)
        {
            var system = (await auth.RequireSystemAsync(context, Scopes.AuditReview)).ToActor();
            var ods = (system.Organisation?.OdsCode ?? string.Empty).ToUpperInvariant();
            return new PrivacyAlertCaller(system, OrganisationLinkRule.ActsForEveryone(ods, options.Value) ? null : Set([ods]),
                new Dictionary<string, string>(StringComparer.Ordinal));
        }

        var professional = await auth.RequireSessionAsync(context);
        var request = new ListActiveRoleAssignmentsRequest { ProfessionalId = professional.Id };
        var roles = await identity.ListActiveRoleAssignmentsAsync(request, DownstreamCalls.As(PlatformActor.Gateway, context));
        var officer = roles.RoleAssignments.Where(r => r.PrivacyOfficer && !string.IsNullOrEmpty(r.Organisation?.OdsCode)).ToList();
        if (officer.Count == 0)
        {
            throw OfficerRequired();
        }

        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in officer)
        {
            codes.TryAdd(r.Organisation.OdsCode.ToUpperInvariant(), r.RoleCode);
        }

        var everyone = codes.Keys.Any(o => OrganisationLinkRule.ActsForEveryone(o, options.Value));
        return new PrivacyAlertCaller(professional, everyone ? null : Set(codes.Keys), codes);
    }

    private static HashSet<string> Set(IEnumerable<string> values) => new(values.Where(v => v.Length > 0), StringComparer.Ordinal);
}
