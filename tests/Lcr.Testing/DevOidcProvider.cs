using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lcr.Testing;

/// <summary>
/// The real development OpenID Connect provider (tools/dev-oidc) that make test starts
/// (scripts/dev-oidc.sh up); when a run did not start it (an IDE), this starts it through the same
/// script. Tokens come from a real authorization code flow with PKCE, driven over HTTP as a
/// clinical system would drive it, with the provider's development login form in place of a browser.
/// </summary>
public static class DevOidcProvider
{
    public const string RedirectUri = "http://127.0.0.1/callback";

    private static readonly Lazy<string> IssuerValue = new(Locate);

    /// <summary>The provider's issuer (also its authority), e.g. http://127.0.0.1:7190.</summary>
    public static string Issuer => IssuerValue.Value;

    /// <summary>An ID token for a person of tools/dev-oidc/people.json, issued to <paramref name="clientId"/>.</summary>
    public static async Task<string> IdTokenAsync(string userName, string clientId, string acr = "AAL3_ANY", string? issuer = null)
    {
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(issuer ?? Issuer), Timeout = TimeSpan.FromSeconds(30) };

        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var query = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = clientId,
            ["response_type"] = "code",
            ["redirect_uri"] = RedirectUri,
            ["scope"] = "openid profile nationalrbacaccess",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = Guid.NewGuid().ToString("N"),
            ["nonce"] = Guid.NewGuid().ToString("N"),
            ["acr_values"] = acr,
        });
        var response = await http.GetAsync("/auth?" + await query.ReadAsStringAsync());
        for (var hop = 0; hop < 10; hop++)
        {
            var location = response.Headers.Location ?? throw new InvalidOperationException(
                $"The development provider answered {(int)response.StatusCode} without a redirect: {await response.Content.ReadAsStringAsync()}");
            var target = location.IsAbsoluteUri ? location : new Uri(http.BaseAddress!, location);
            if (target.AbsoluteUri.StartsWith(RedirectUri, StringComparison.Ordinal))
            {
                var code = System.Web.HttpUtility.ParseQueryString(target.Query)["code"]
                    ?? throw new InvalidOperationException("The development provider refused the sign-in: " + target.Query);
                return await RedeemAsync(http, clientId, code, verifier);
            }

            response = target.AbsolutePath.StartsWith("/interaction/", StringComparison.Ordinal)
                ? await http.PostAsync(target, new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = userName, ["acr"] = acr }))
                : await http.GetAsync(target);
        }

        throw new InvalidOperationException("Too many redirects from the development provider.");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<string> RedeemAsync(HttpClient http, string clientId, string code, string verifier)
    {
        var response = await http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        }));
        var body = await response.Content.ReadAsStringAsync();
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id_token").GetString()!;
    }

    /// <summary>The repository this test assembly was built in.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var repo = new DirectoryInfo(AppContext.BaseDirectory);
            while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "lcr-platform.sln")))
            {
                repo = repo.Parent;
            }

            return repo?.FullName ?? throw new InvalidOperationException("The repository was not found above " + AppContext.BaseDirectory);
        }
    }

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LCR_DEV_OIDC_ISSUER");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv.TrimEnd('/');
        }

        var script = Path.Combine(RepositoryRoot, "scripts", "dev-oidc.sh");
        Run(script, "up");
        var env = Run(script, "env");
        var value = env.Split('"')[1];
        return value.TrimEnd('/');
    }

    private static string Run(string script, string verb)
    {
        using var p = Process.Start(new ProcessStartInfo(script, verb) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/dev-oidc.sh {verb} failed: {stderr.Result}");
        }

        return stdout.Result;
    }
}
