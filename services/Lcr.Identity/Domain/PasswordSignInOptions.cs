namespace Lcr.Identity.Domain;

/// <summary>
/// Whether SignIn (user name and password) is open: section <c>Identity:PasswordSignIn</c>. The platform's
/// own passwords are a development convenience; professionals sign in through a trusted OpenID Connect
/// provider (ExchangeFederatedToken). Unset, it is on only in the Development and Test environments.
/// </summary>
public sealed class PasswordSignInOptions
{
    public bool? Enabled { get; set; }

    /// <summary>Whether password sign-in is open in <paramref name="environmentName"/>.</summary>
    public bool IsEnabled(string environmentName) =>
        Enabled ?? environmentName is "Development" or "Test";
}
