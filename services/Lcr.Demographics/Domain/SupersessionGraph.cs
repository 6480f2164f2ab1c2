namespace Lcr.Demographics.Domain;

/// <summary>
/// The standing supersessions around some NHS numbers, as a graph of "superseded by" links
/// (each number has at most one outgoing link), and the rules for adding one. Pure: the caller
/// loads the links of the numbers' connected components (under the supersession write lock)
/// and acts on the <see cref="SupersessionCheck"/>.
/// </summary>
public sealed class SupersessionGraph
{
    /// <summary>The longest chain of standing supersessions allowed (A by B by ... by the current number).</summary>
    public const int MaxDepth = 20;

    /// <summary>
    /// The most numbers merged into one current number: the gateway passes them on as
    /// <c>merged_nhs_numbers</c>, which every service caps at 50.
    /// </summary>
    public const int MaxMerged = 50;

    private readonly Dictionary<string, string> _next = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _previous = new(StringComparer.Ordinal);

    /// <summary>Builds the graph from standing links (superseded number, number that supersedes it).</summary>
    public SupersessionGraph(IEnumerable<(string Superseded, string By)> links)
    {
        foreach (var (superseded, by) in links)
        {
            if (!_next.TryAdd(superseded, by))
            {
                throw new ArgumentException("A number has two standing supersessions.", nameof(links));
            }

            if (!_previous.TryGetValue(by, out var list))
            {
                _previous[by] = list = [];
            }

            list.Add(superseded);
        }
    }

    /// <summary>The number that directly supersedes <paramref name="number"/>, if any.</summary>
    public string? SupersededBy(string number) => _next.GetValueOrDefault(number);

    /// <summary>
    /// The chain from <paramref name="number"/> to the number in use now (first element the number
    /// itself, last the current number). Stops after <see cref="MaxDepth"/> links or on a repeat,
    /// so a damaged graph can never loop.
    /// </summary>
    public IReadOnlyList<string> Path(string number)
    {
        var path = new List<string> { number };
        var seen = new HashSet<string>(StringComparer.Ordinal) { number };
        var at = number;
        while (path.Count <= MaxDepth && _next.TryGetValue(at, out var by) && seen.Add(by))
        {
            path.Add(by);
            at = by;
        }

        return path;
    }

    /// <summary>The number in use now for <paramref name="number"/>: the end of its chain.</summary>
    public string Current(string number) => Path(number)[^1];

    /// <summary>Every number whose chain passes through <paramref name="number"/> (directly or not), ordinal order, excluding it.</summary>
    public IReadOnlyList<string> MergedInto(string number)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(string Number, int Depth)>();
        stack.Push((number, 0));
        while (stack.Count > 0)
        {
            var (at, depth) = stack.Pop();
            if (depth >= MaxDepth || !_previous.TryGetValue(at, out var earlier))
            {
                continue;
            }

            foreach (var e in earlier)
            {
                if (!string.Equals(e, number, StringComparison.Ordinal) && result.Add(e))
                {
                    stack.Push((e, depth + 1));
                }
            }
        }

        return [.. result];
    }

    /// <summary>The longest chain of standing links that ends at <paramref name="number"/> (0 when nothing is merged into it).</summary>
    public int Height(string number)
    {
        if (!_previous.TryGetValue(number, out var earlier))
        {
            return 0;
        }

        var best = 0;
        var stack = new Stack<(string Number, int Depth)>();
        foreach (var e in earlier)
        {
            stack.Push((e, 1));
        }

        while (stack.Count > 0)
        {
            var (at, depth) = stack.Pop();
            best = Math.Max(best, depth);
            if (depth < MaxDepth + 1 && _previous.TryGetValue(at, out var more))
            {
                foreach (var e in more)
                {
                    stack.Push((e, depth + 1));
                }
            }
        }

        return best;
    }

    /// <summary>Whether <paramref name="superseded"/> may now be superseded by <paramref name="by"/>.</summary>
    public SupersessionCheck Check(string superseded, string by)
    {
        if (_next.TryGetValue(superseded, out var existing))
        {
            return string.Equals(existing, by, StringComparison.Ordinal) ? SupersessionCheck.AlreadyStands : SupersessionCheck.Conflict;
        }

        var path = Path(by);
        if (path.Contains(superseded, StringComparer.Ordinal))
        {
            return SupersessionCheck.Cycle;
        }

        // The longest chain after the link: what already ends at the superseded number, the new
        // link, then the target's own chain to its current number.
        if (Height(superseded) + 1 + (path.Count - 1) > MaxDepth)
        {
            return SupersessionCheck.LimitReached;
        }

        var merged = MergedInto(path[^1]).Count + MergedInto(superseded).Count + 1;
        return merged > MaxMerged ? SupersessionCheck.LimitReached : SupersessionCheck.Allowed;
    }
}
