using Lcr.Audit.V1;
using Lcr.Cli.SubjectAccess;

namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary>The readable copy's access log says every platform action in words, never the fallback.</summary>
public sealed class AccessLogActionWordsTests
{
    public static TheoryData<AuditAction> Actions() => new(Enum.GetValues<AuditAction>().Where(a => a != AuditAction.Unspecified));

    [Theory]
    [MemberData(nameof(Actions))]
    public void Every_action_has_its_own_words(AuditAction action)
    {
        var words = AccessLogRow.ActionWords(action.ToString(), display: null);

        Assert.NotEqual("Used your record", words);
        Assert.Contains(" ", words, StringComparison.Ordinal); // a sentence, not the code
    }
}
