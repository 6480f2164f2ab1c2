using Grpc.Core;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;
using Lcr.Testing;

namespace Lcr.Identity.Tests;

/// <summary>ListActiveRoleAssignments (internal): a professional's active roles with their permissions, privacy officer included.</summary>
[Collection(IdentityCollection.Name)]
public sealed class ActiveRoleAssignmentTests(IdentityHost host)
{
    private async Task<List<RoleAssignment>> ListAsync(string professionalId) =>
        (await host.Client.ListActiveRoleAssignmentsAsync(new ListActiveRoleAssignmentsRequest { ProfessionalId = professionalId }))
        .RoleAssignments.ToList();

    [Fact]
    public async Task A_privacy_officer_role_is_listed_with_its_permission_and_ended_roles_are_not()
    {
        var professional = await host.NewProfessionalAsync(RoleCatalogue.PrivacyOfficer, "RR8");
        var gp = await host.AddRoleAsync(professional.Id, "R8000", "B86001");
        var ended = await host.AddRoleAsync(professional.Id, RoleCatalogue.PrivacyOfficer, "B86002");
        await host.Client.EndRoleAssignmentAsync(new EndRoleAssignmentRequest { RoleAssignmentId = ended }, await host.AdminAsync());

        var active = await ListAsync(professional.Id);
        Assert.Equal(new[] { professional.RoleAssignmentId, gp }.Order(StringComparer.Ordinal), active.Select(r => r.Id).Order(StringComparer.Ordinal));
        var officer = active.Single(r => r.Id == professional.RoleAssignmentId);
        Assert.True(officer.PrivacyOfficer);
        Assert.Equal("RR8", officer.Organisation.OdsCode);
        Assert.Equal("Privacy Officer Access Role", officer.RoleName);
        Assert.Empty(officer.AllowedCategories);
        Assert.Equal([Lcr.Common.V1.PurposeOfUse.InformationGovernance], officer.AllowedPurposes);
        Assert.False(active.Single(r => r.Id == gp).PrivacyOfficer);
        Assert.DoesNotContain(active, r => r.Id == ended);
    }

    [Fact]
    public async Task An_unknown_professional_has_none_and_a_bad_id_names_the_field()
    {
        Assert.Empty(await ListAsync(Guid.NewGuid().ToString()));
        var e = await RpcAssert.Fails(StatusCode.InvalidArgument, async () => await ListAsync("not-a-uuid"));
        Assert.Equal(["professional_id"], e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(f => f.Field));
    }
}
