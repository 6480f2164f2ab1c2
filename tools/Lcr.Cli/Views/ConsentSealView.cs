using Lcr.Consent.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>How `lcr consent show` prints a seal and an enhanced review of the access log.</summary>
internal static class ConsentSealView
{
    public static void Write(IAnsiConsole console, ConsentState c)
    {
        if (c.Seal is { } seal)
        {
            console.MarkupLineInterpolated($"[bold yellow]Sealed[/] ({Describe(seal)}), by {AuditView.Actor(seal.SealedBy)} at {Text.Time(seal.SealTime)}; review by {Text.Time(seal.ReviewTime)}.");
            console.MarkupLineInterpolated($"  Note: {seal.Note}");
            console.MarkupLineInterpolated($"  Named professionals: {Names(seal.AllowedProfessionalIds)}; named teams: {Names(seal.AllowedTeamIds)}.");
        }
        else
        {
            console.MarkupLine("Not sealed.");
        }

        if (c.AccessLogReview is { } review)
        {
            console.MarkupLineInterpolated(
                $"[bold yellow]Access log held for enhanced review[/] (SNOMED CT {review.SnomedCode}) since {Text.Time(review.StartTime)}, by {AuditView.Actor(review.StartedBy)}: {review.Reason}");
        }
    }

    /// <summary>A seal in a few words: its reason, whether automatic, how many are named.</summary>
    public static string Describe(Seal s) =>
        $"{Parsing.Name(s.Reason)}{(s.Automatic ? ", automatic" : string.Empty)}, {s.AllowedProfessionalIds.Count + s.AllowedTeamIds.Count} named";

    private static string Names(IEnumerable<string> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
