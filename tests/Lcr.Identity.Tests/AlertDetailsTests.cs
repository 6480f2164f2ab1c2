using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.Testing;
using Microsoft.Extensions.Configuration;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Identity.Tests;

/// <summary>
/// Issue 21: risks and alerts in the role catalogue. Clinical and social care roles see them in
/// full; admin and clerical roles see only that each exists and its kind (<c>lcr_alert_kind_only</c>).
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class AlertDetailsTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    private static IssueAccessTokenRequest DirectCare(string nhs) => new() { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare };

    [Fact]
    public void Default_roles_see_risks_and_alerts_and_admin_roles_only_their_kind()
    {
        var roles = new RoleCatalogue(null);
        foreach (var code in new[] { RoleCatalogue.ClinicalPractitioner, RoleCatalogue.NurseAccess, RoleCatalogue.HealthProfessional, RoleCatalogue.SocialCarePractitioner })
        {
            Assert.Contains(RecordCategory.RisksAndAlerts, roles.Find(code)!.Categories);
            Assert.False(roles.Find(code)!.AlertDetailsWithheld);
        }

        foreach (var code in new[] { RoleCatalogue.AdminClinicalSupport, RoleCatalogue.ClericalAccess })
        {
            Assert.Equal([RecordCategory.Demographics, RecordCategory.RisksAndAlerts], roles.Find(code)!.Categories);
            Assert.True(roles.Find(code)!.AlertDetailsWithheld);
        }

        Assert.Empty(roles.Find(RoleCatalogue.InformationGovernanceOfficer)!.Categories);
        Assert.False(roles.Find(RoleCatalogue.PrivacyOfficer)!.AlertDetailsWithheld);
    }

    [Fact]
    public void The_flag_is_configurable_like_the_other_role_settings()
    {
        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Identity:Roles:X1:Name"] = "Reception",
            ["Identity:Roles:X1:Categories:0"] = "RisksAndAlerts",
            ["Identity:Roles:X1:Purposes:0"] = "DirectCare",
            ["Identity:Roles:X1:AlertDetailsWithheld"] = "true",
        }).Build().GetSection("Identity:Roles").Get<Dictionary<string, RoleDefinition>>();
        var role = new RoleCatalogue(configured).Find("X1")!;
        Assert.True(role.AlertDetailsWithheld);
        Assert.Equal([RecordCategory.RisksAndAlerts], role.Categories);
    }

    [Fact]
    public async Task A_clerks_token_and_role_assignment_say_alert_details_are_withheld_and_a_clinicians_do_not()
    {
        var (verifier, _) = host.GatewayVerifier();
        var clerk = await Client.IssueAccessTokenAsync(DirectCare(IdentityHost.Patient(Scenario.BlocksProfessional)), await host.SessionAsync("clerk.rr8"));
        Assert.True(clerk.AlertDetailsWithheld);
        Assert.Equal([RecordCategory.Demographics, RecordCategory.RisksAndAlerts], clerk.AllowedCategories);
        var clerkToken = await verifier.VerifyAsync(clerk.AccessToken);
        Assert.True(clerkToken.AlertDetailsWithheld);
        Assert.True(clerkToken.Allows(RecordCategory.RisksAndAlerts));

        var gp = await Client.IssueAccessTokenAsync(DirectCare(IdentityHost.Patient(Scenario.ExamplePatient)), await host.SessionAsync("gp.b86001"));
        Assert.False(gp.AlertDetailsWithheld);
        var gpToken = await verifier.VerifyAsync(gp.AccessToken);
        Assert.False(gpToken.AlertDetailsWithheld);
        Assert.True(gpToken.Allows(RecordCategory.RisksAndAlerts));

        var emergency = await Client.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = IdentityHost.Patient(Scenario.OptedOut), ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in the waiting room",
        }, await host.SessionAsync("ed.rr8"));
        Assert.False(emergency.AlertDetailsWithheld);
        Assert.Contains(RecordCategory.RisksAndAlerts, emergency.AllowedCategories);

        var (_, signIn) = await host.SignInAsync("clerk.rr8");
        Assert.True(Assert.Single(signIn.Professional.RoleAssignments).AlertDetailsWithheld);
        var (_, gpSignIn) = await host.SignInAsync("gp.b86001");
        Assert.False(Assert.Single(gpSignIn.Professional.RoleAssignments).AlertDetailsWithheld);
    }
}
