using System.Globalization;
using System.Text;
using System.Text.Json;
using Lcr.Bench.Seeding;

namespace Lcr.BulkSeed;

/// <summary>
/// The scaling tables from scripts/bench-scale.sh's results: one directory per size
/// (<c>&lt;dir&gt;/&lt;filler patients&gt;/</c>) holding <c>seed.json</c> (fill --out) and
/// <c>run-*.json</c> (bench/Lcr.LoadGen's results, one per repeat). Per size and scenario the
/// medians over the repeats; latency also as a ratio to the smallest size's.
/// </summary>
internal static class ScaleReport
{
    private sealed record Scenario(string Name, double RequestsPerSecond, double? RatioToFloor, double P50Ms, double P99Ms, long Requests, long Errors, double LoadAverage)
    {
        public Dictionary<string, double> CpuMsPerRequest { get; init; } = [];
    }

    private sealed record LoadGenResult(List<Scenario> Scenarios);

    public static string Markdown(string dir, IReadOnlyCollection<int>? only = null)
    {
        var sizes = Directory.Exists(dir)
            ? Directory.GetDirectories(dir).Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var n), Size: n))
                .Where(x => x.Ok && (only is null || only.Contains(x.Size))).OrderBy(x => x.Size).ToList()
            : [];
        var md = new StringBuilder();
        if (sizes.Count == 0)
        {
            return $"No results under {dir}: run scripts/bench-scale.sh.\n";
        }

        var json = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        md.AppendLine("Seeding (lcr-bulk-seed fill; rows = entries, their versions, document contents, record versions, patients and their versions):");
        md.AppendLine();
        md.AppendLine("| filler patients | patients added | entries added | rows copied | copy s | rows/s | vacuum+analyze s | fill total s | load avg start→end | entries in store | clinical DB MiB | demographics DB MiB |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var (d, _, size) in sizes)
        {
            var file = Path.Combine(d, "seed.json");
            if (!File.Exists(file))
            {
                continue;
            }

            var seed = JsonSerializer.Deserialize<SeedRecord>(File.ReadAllText(file), json)!;
            var clinical = seed.Stores.FirstOrDefault(s => s.Store == "clinical");
            var demographics = seed.Stores.FirstOrDefault(s => s.Store == "demographics");
            var entries = clinical?.Tables.FirstOrDefault(t => t.Name == "entries")?.Rows ?? 0;
            var c = seed.Steps.FirstOrDefault(s => s.Store == "clinical");
            md.AppendLine(Invariant(
                $"| {size:N0} | {c?.Added ?? 0:N0} | {c?.MainRows ?? 0:N0} | {seed.Steps.Sum(s => s.AllRows):N0} | {seed.Steps.Sum(s => s.CopySeconds):F0} | {(c?.RowsPerSecond ?? 0):N0} | {seed.Steps.Sum(s => s.MaintenanceSeconds):F0} | {seed.Seconds:F0} | {seed.LoadAverageStart:F1}→{seed.LoadAverageEnd:F1} | {entries:N0} | {(clinical?.DatabaseBytes ?? 0) / 1048576.0:N0} | {(demographics?.DatabaseBytes ?? 0) / 1048576.0:N0} |"));
        }

        var timed = sizes.Select(s => (s.Size, File: Path.Combine(s.Dir, "queries.json"))).Where(x => File.Exists(x.File))
            .Select(x => (x.Size, Record: JsonSerializer.Deserialize<QueryRecord>(File.ReadAllText(x.File), json)!)).ToList();
        if (timed.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Database time of the read path (lcr-bulk-seed queries: the services' own query code, one call at a time; median / p99 ms):");
            md.AppendLine();
            md.AppendLine("| filler patients | query | cohort, repeat reads | filler, first read | filler, repeat reads | load avg |");
            md.AppendLine("|---:|---|---:|---:|---:|---|");
            foreach (var (size, record) in timed)
            {
                foreach (var query in record.Timings.Select(t => t.Query).Distinct())
                {
                    string Cell(string patients, string reads) => record.Timings.FirstOrDefault(t => t.Query == query && t.Patients == patients && t.Reads == reads) is { } t
                        ? Invariant($"{t.MedianMs:F2} / {t.P99Ms:F2}")
                        : "—";
                    md.AppendLine(Invariant($"| {size:N0} | {query} | {Cell("cohort", "repeat reads")} | {Cell("filler", "first read")} | {Cell("filler", "repeat reads")} | {record.LoadAverageStart:F1}→{record.LoadAverageEnd:F1} |"));
                }
            }
        }

        var runs = sizes.Select(s => (s.Size, Runs: Directory.GetFiles(s.Dir, "run-*.json").OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => JsonSerializer.Deserialize<LoadGenResult>(File.ReadAllText(f), json)!).ToList())).Where(x => x.Runs.Count > 0).ToList();
        if (runs.Count == 0)
        {
            return md.ToString();
        }

        var names = runs.SelectMany(r => r.Runs.SelectMany(x => x.Scenarios.Select(s => s.Name))).Distinct().ToList();
        var medians = runs.ToDictionary(r => r.Size, r => names.ToDictionary(n => n, n => Median(r.Runs, n)));
        var smallest = runs[0].Size;
        md.AppendLine();
        md.AppendLine(Invariant($"Read scenarios through the platform (median of each figure over the runs at a size; latency ratios to {smallest:N0} filler patients; CPU ms/request: the platform processes and the load generator, PostgreSQL and Redis not included):"));
        md.AppendLine();
        md.AppendLine(Invariant($"| filler patients | runs | scenario | requests/s | × floor | p50 ms | p99 ms | p50 ÷ p50 at {smallest:N0} | p99 ÷ p99 at {smallest:N0} | CPU ms/request | errors (all runs) | load avg |"));
        md.AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (size, list) in runs)
        {
            foreach (var name in names)
            {
                if (medians[size][name] is not { } m)
                {
                    continue;
                }

                var b = medians[smallest][name];
                string Ratio(double v, double? baseline) => baseline is > 0 ? (v / baseline.Value).ToString("F2", CultureInfo.InvariantCulture) : "—";
                md.AppendLine(Invariant(
                    $"| {size:N0} | {list.Count} | {name} | {m.RequestsPerSecond:F0} | {(m.RatioToFloor is { } f ? f.ToString("F3", CultureInfo.InvariantCulture) : "—")} | {m.P50Ms:F2} | {m.P99Ms:F2} | {Ratio(m.P50Ms, b?.P50Ms)} | {Ratio(m.P99Ms, b?.P99Ms)} | {(m.CpuMsPerRequest.TryGetValue("total", out var cpu) ? cpu.ToString("F2", CultureInfo.InvariantCulture) : "—")} | {m.Errors} | {m.LoadAverage:F1} |"));
            }
        }

        return md.ToString();
    }

    /// <summary>The median of each figure of scenario <paramref name="name"/> over the runs that have it (errors: the total).</summary>
    private static Scenario? Median(List<LoadGenResult> runs, string name)
    {
        var all = runs.SelectMany(r => r.Scenarios.Where(s => s.Name == name)).ToList();
        if (all.Count == 0)
        {
            return null;
        }

        static double M(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
        }

        var ratios = all.Where(s => s.RatioToFloor is not null).Select(s => s.RatioToFloor!.Value).ToList();
        var cpu = all.SelectMany(s => s.CpuMsPerRequest.Keys).Distinct()
            .ToDictionary(k => k, k => M(all.Where(s => s.CpuMsPerRequest.ContainsKey(k)).Select(s => s.CpuMsPerRequest[k])));
        return new Scenario(name, M(all.Select(s => s.RequestsPerSecond)), ratios.Count > 0 ? M(ratios) : null, M(all.Select(s => s.P50Ms)),
            M(all.Select(s => s.P99Ms)), all.Sum(s => s.Requests), all.Sum(s => s.Errors), M(all.Select(s => s.LoadAverage)))
        {
            CpuMsPerRequest = cpu,
        };
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
