using Microsoft.AspNetCore.Authentication;

namespace Lcr.Security;

/// <summary>Which kinds of platform token (<see cref="TokenTypes"/>) a service authenticates.</summary>
public sealed class PlatformTokenAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The authentication scheme's name.</summary>
    public const string Scheme = "platform-token";

    /// <summary>The token kinds verified; a token declaring any other kind is refused as the access-token verifier refuses it.</summary>
    public HashSet<string> TokenTypes { get; } = new(StringComparer.Ordinal);
}
