namespace Lcr.Cli.Tests;

/// <summary>The session cache holds bearer tokens: owner-only, per profile, per platform address.</summary>
public sealed class SessionCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lcr-cache-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Cache_file_and_directory_are_owner_only()
    {
        var sessions = Path.Combine(_dir, "sessions");
        var cache = new SessionCache(sessions, "default");

        cache.Save(new SessionRecord { Address = "http://127.0.0.1:7100", Session = new CachedSession { Token = "t", UserName = "gp.b86001" } });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache.FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sessions));
    }

    [Fact]
    public void A_session_is_only_used_against_the_address_that_issued_it()
    {
        var cache = new SessionCache(_dir, "default");
        cache.Save(new SessionRecord { Address = "http://127.0.0.1:7100", Session = new CachedSession { Token = "t" } });

        Assert.Equal("t", cache.Load("http://127.0.0.1:7100").Session?.Token);
        Assert.Null(cache.Load("http://127.0.0.1:9999").Session);
    }

    [Fact]
    public void Profiles_have_separate_caches()
    {
        new SessionCache(_dir, "ig").Save(new SessionRecord { Address = "a", Session = new CachedSession { Token = "ig-token" } });

        Assert.Null(new SessionCache(_dir, "gp").Load("a").Session);
        Assert.Equal("ig-token", new SessionCache(_dir, "ig").Load("a").Session?.Token);
    }

    [Fact]
    public void Disabled_cache_writes_nothing()
    {
        var cache = new SessionCache(_dir, "default", enabled: false);

        cache.Save(new SessionRecord { Address = "a", Session = new CachedSession { Token = "t" } });

        Assert.False(File.Exists(cache.FilePath));
        Assert.Null(cache.Load("a").Session);
    }

    [Fact]
    public void A_token_close_to_expiry_is_not_reused()
    {
        var now = DateTimeOffset.UtcNow;

        Assert.True(new CachedToken { Token = "t", ExpireTime = now.AddMinutes(5) }.IsValidAt(now));
        Assert.False(new CachedToken { Token = "t", ExpireTime = now.AddSeconds(2) }.IsValidAt(now));
    }

    [Fact]
    public async Task Expired_cached_session_exits_3_and_names_the_user_to_sign_in_as()
    {
        using var cli = new CliRunner();
        var cache = new SessionCache(Path.Combine(cli.Home, ".config", "lcr", "sessions"), "default");
        cache.Save(new SessionRecord
        {
            Address = Settings.DefaultAddress,
            Session = new CachedSession { Token = "t", UserName = "ig.b86001", ExpireTime = DateTimeOffset.UtcNow.AddMinutes(-1) },
        });

        var r = await cli.RunAsync("consent", "show", "9990000018");

        Assert.Equal(ExitCodes.Unauthenticated, r.ExitCode);
        Assert.Contains("lcr signin --user ig.b86001", r.Error);
    }
}
