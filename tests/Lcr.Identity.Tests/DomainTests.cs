using System.Security.Cryptography;
using Lcr.Common.V1;
using Lcr.Identity.Domain;

namespace Lcr.Identity.Tests;

public sealed class DomainTests
{
    [Fact]
    public void Key_protector_round_trips_and_refuses_a_wrong_key_or_another_keys_blob()
    {
        var kek = RandomNumberGenerator.GetBytes(32);
        var secret = RandomNumberGenerator.GetBytes(138);
        var blob = new KeyProtector(kek).Protect(secret, "kid-1");
        Assert.Equal(secret, new KeyProtector(kek).Unprotect(blob, "kid-1"));
        Assert.ThrowsAny<CryptographicException>(() => new KeyProtector(RandomNumberGenerator.GetBytes(32)).Unprotect(blob, "kid-1"));
        Assert.ThrowsAny<CryptographicException>(() => new KeyProtector(kek).Unprotect(blob, "kid-2"));
        blob[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => new KeyProtector(kek).Unprotect(blob, "kid-1"));
    }

    [Fact]
    public void Missing_or_short_key_encryption_key_is_rejected()
    {
        Assert.False(new KeyEncryptionOptions().TryGetKey(out _));
        Assert.False(new KeyEncryptionOptions { KeyEncryptionKey = Convert.ToBase64String(new byte[16]) }.TryGetKey(out _));
        Assert.False(new KeyEncryptionOptions { KeyEncryptionKey = "not base64!" }.TryGetKey(out _));
        Assert.True(new KeyEncryptionOptions { KeyEncryptionKey = Convert.ToBase64String(new byte[32]) }.TryGetKey(out _));
    }

    [Fact]
    public void Retired_key_is_published_past_the_longest_token_lifetime()
    {
        var tokens = new IdentityTokenOptions();
        var retired = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var until = SigningKeyPolicy.PublishUntil(retired, tokens);
        Assert.True(until >= retired + tokens.SessionLifetime + tokens.SigningKeyCacheTime);
        Assert.True(SigningKeyPolicy.IsPublished(until, until.AddSeconds(-1)));
        Assert.False(SigningKeyPolicy.IsPublished(until, until));
        Assert.True(SigningKeyPolicy.IsPublished(null, until));
    }

    [Fact]
    public void Key_id_is_the_rfc7638_thumbprint()
    {
        // RFC 7638 section 3.1 uses an RSA key; this is the P-256 example of RFC 7517 appendix A.1.
        var kid = SigningKeyPolicy.KeyId("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM");
        Assert.Equal(43, kid.Length);
        Assert.Equal(kid, SigningKeyPolicy.KeyId("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4", "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"));
    }

    [Fact]
    public void Default_roles_follow_the_issue()
    {
        var roles = new RoleCatalogue(null);
        Assert.Equal(7, roles.Find(RoleCatalogue.ClinicalPractitioner)!.Categories.Count);
        Assert.True(roles.Find(RoleCatalogue.ClinicalPractitioner)!.EmergencyAccess);
        Assert.Equal([RecordCategory.Demographics, RecordCategory.RisksAndAlerts], roles.Find(RoleCatalogue.AdminClinicalSupport)!.Categories);
        Assert.False(roles.Find(RoleCatalogue.AdminClinicalSupport)!.EmergencyAccess);
        Assert.DoesNotContain(RecordCategory.TestResults, roles.Find(RoleCatalogue.SocialCarePractitioner)!.Categories);
        Assert.Empty(roles.Find(RoleCatalogue.InformationGovernanceOfficer)!.Categories);
        Assert.Empty(RoleCatalogue.CategoriesFor(roles.Find(RoleCatalogue.ClinicalPractitioner)!, PurposeOfUse.SubjectAccessRequest));
        Assert.Null(roles.Find("R9999"));
    }

    [Fact]
    public void Configured_roles_replace_the_defaults_and_emergency_purpose_is_refused()
    {
        var custom = new RoleCatalogue(new Dictionary<string, RoleDefinition>
        {
            ["X1"] = new() { Name = "Custom", Categories = [RecordCategory.Allergies], Purposes = [PurposeOfUse.DirectCare] },
        });
        Assert.NotNull(custom.Find("X1"));
        Assert.Null(custom.Find(RoleCatalogue.ClinicalPractitioner));
        Assert.Throws<InvalidOperationException>(() => new RoleCatalogue(new Dictionary<string, RoleDefinition>
        {
            ["X2"] = new() { Name = "Bad", Purposes = [PurposeOfUse.EmergencyCare] },
        }));
    }

    [Theory]
    [InlineData("B86001", true)]
    [InlineData("00DA", true)]
    [InlineData("b86001", false)]
    [InlineData("AB", false)]
    [InlineData("ABCDEFGHIJK", false)]
    public void Ods_codes(string value, bool ok) => Assert.Equal(ok, Identifiers.IsOdsCode(value));

    [Theory]
    [InlineData("RGD:CMHT-NORTH", true)]
    [InlineData("RGD", false)]
    [InlineData("RGD:", false)]
    [InlineData("rgd:cmht", false)]
    public void Team_ids(string value, bool ok) => Assert.Equal(ok, Identifiers.IsTeamId(value));
}
