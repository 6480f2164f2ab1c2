using System.Text.RegularExpressions;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Every FROM line is pinned by digest (tag@sha256:...) or listed in
/// scripts/unpinned-base-images.txt, which the release step (docs/operations.md, "Images") says
/// must be empty before a release; scripts/pin-base-images.sh pins them and empties it. A digest
/// cannot be read here (no registry), so none is invented: the list says what is still open.
/// </summary>
public sealed partial class BaseImagePinTests
{
    private const string ListFile = "scripts/unpinned-base-images.txt";

    /// <summary>The image reference of a FROM line without its digest: what people read.</summary>
    internal static string Tag(string fromArguments) => Digest().Replace(ImageSpec.ImageOf(fromArguments), "");

    /// <summary>Every FROM of every deployable's Dockerfile: (Dockerfile relative to the root, image reference).</summary>
    private static List<(string File, string Image)> Froms() =>
        Platform.All.SelectMany(d => DockerfileTests.Parse(DockerfileTests.DockerfileOf(d))
                .Where(i => i.Keyword == "FROM")
                .Select(i => ($"{d.Folder}/Dockerfile", ImageSpec.ImageOf(i.Arguments))))
            .ToList();

    private static HashSet<(string File, string Image)> Listed() =>
        File.ReadAllLines(Repo.At(ListFile))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => p.Length == 2 ? (p[0], p[1]) : throw new InvalidOperationException($"{ListFile}: '{string.Join(' ', p)}' is not 'Dockerfile image'"))
            .ToHashSet();

    [Fact]
    public void Every_FROM_is_pinned_by_digest_or_listed_as_not_yet_pinned()
    {
        var listed = Listed();
        var open = Froms().Where(f => !Digest().IsMatch(f.Image)).ToList();
        Assert.All(open, f => Assert.True(listed.Contains(f), $"{f.File}: FROM {f.Image} is neither pinned by digest nor in {ListFile}"));
    }

    [Fact]
    public void The_not_yet_pinned_list_names_only_unpinned_FROM_lines_that_exist()
    {
        var unpinned = Froms().Where(f => !Digest().IsMatch(f.Image)).ToHashSet();
        Assert.All(Listed(), l => Assert.True(unpinned.Contains(l), $"{ListFile} lists {l.File} {l.Image}, which is no unpinned FROM line: remove it"));
    }

    [Fact]
    public void The_release_step_requires_pinning_and_the_pin_script_reports_an_unpinned_tree()
    {
        var doc = File.ReadAllText(Repo.At("docs/operations.md"));
        Assert.Contains(ListFile, doc);
        Assert.Contains("scripts/pin-base-images.sh", doc);

        var check = Repo.Run("bash", [Repo.At("scripts/pin-base-images.sh"), "--check"]);
        var anyOpen = Froms().Any(f => !Digest().IsMatch(f.Image));
        Assert.Equal(anyOpen ? 1 : 0, check.ExitCode);
        foreach (var (file, image) in Froms().Where(f => !Digest().IsMatch(f.Image)))
        {
            Assert.Contains($"{file} {image}", check.Stderr);
        }
    }

    [GeneratedRegex("@sha256:[0-9a-f]{64}$")]
    private static partial Regex Digest();
}
