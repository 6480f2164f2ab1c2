using Lcr.ServiceDefaults.DevData;

namespace Lcr.Platform.Tests;

/// <summary>The harness itself: the real processes, sign-in to record read, a killed service comes back.</summary>
[Collection(nameof(SmokeTests))]
public sealed class SmokeTests
{
    private static readonly string Example = SyntheticCohort.Patients[0].NhsNumber;

    [Fact]
    public async Task A_GP_reads_the_example_record_through_the_real_gateway_and_a_killed_service_comes_back()
    {
        await using var platform = await RealPlatform.StartAsync();
        using var client = new PlatformClient(platform.GatewayAddress);
        var session = await client.SignInAsync("gp.b86001", platform.SeedPassword);
        var token = await client.AccessAsync(session, Example);

        var record = await PlatformClient.WarmAsync(() => client.ReadAsync(Example, token));
        Assert.Equal(Example, record.Patient.NhsNumber);
        Assert.NotEmpty(record.AuditEventId);

        var before = platform.ProcessIdOf(PlatformService.Clinical);
        await platform.KillAsync(PlatformService.Clinical);
        Assert.False(platform.IsRunning(PlatformService.Clinical));
        await platform.RestartAsync(PlatformService.Clinical);
        Assert.NotEqual(before, platform.ProcessIdOf(PlatformService.Clinical));

        var again = await PlatformClient.WarmAsync(() => client.ReadAsync(Example, token));
        Assert.Equal(record.RecordVersion, again.RecordVersion);
        AssertNoPatientDataIn(platform);
    }

    /// <summary>
    /// Every line every process logged (seed runs included): no NHS number (plain or spaced), no
    /// "given family" name, first address line or telephone number of any seeded patient.
    /// </summary>
    internal static void AssertNoPatientDataIn(RealPlatform platform)
    {
        var files = Directory.GetFiles(Path.GetDirectoryName(platform.LogFileOf(PlatformService.Gateway))!, "*.log");
        Assert.Equal(Enum.GetValues<PlatformService>().Length * 2 - 1, files.Length); // six services, five seed runs
        var lines = 0;
        foreach (var file in files)
        {
            PatientDataScan.AssertNone(Path.GetFileName(file), ReadLines(file).Select(l =>
            {
                lines++;
                return l;
            }));
        }

        Assert.True(lines > 0);
    }

    /// <summary>The lines of a log file a running process may still be appending to.</summary>
    private static IEnumerable<string> ReadLines(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
