using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lcr.Identity.Persistence;

namespace Lcr.Identity.Domain.Federation;

/// <summary>
/// The hash chain over <c>federated_sign_in_events</c>: each row's hash is SHA-256 over its
/// canonical content and the previous row's hash (32 zero bytes before the first), so changing,
/// removing or inserting a row breaks every later link. Pure: unit-tested without a host.
/// </summary>
public static class SignInEventChain
{
    public static byte[] Genesis { get; } = new byte[32];

    public static byte[] HashOf(FederatedSignInEventRow e, byte[] previousHash)
    {
        var canonical = string.Join('\u001f',
            e.Sequence.ToString(CultureInfo.InvariantCulture),
            e.Id.ToString("D"),
            e.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
            e.Provider,
            e.Outcome,
            e.FailedCheck ?? string.Empty,
            e.Subject ?? string.Empty,
            e.ProfessionalId?.ToString("D") ?? string.Empty,
            e.RoleProfileId ?? string.Empty,
            e.RoleAssignmentId?.ToString("D") ?? string.Empty,
            e.SessionId ?? string.Empty,
            string.Join(',', e.EndedRoleAssignmentIds.Select(i => i.ToString("D"))));
        var content = Encoding.UTF8.GetBytes(canonical);
        var buffer = new byte[previousHash.Length + content.Length];
        previousHash.CopyTo(buffer, 0);
        content.CopyTo(buffer, previousHash.Length);
        return SHA256.HashData(buffer);
    }

    /// <summary>The sequence of the first row that breaks the chain (rows in sequence order from 1), or null when it is whole.</summary>
    public static long? FirstBreak(IEnumerable<FederatedSignInEventRow> rowsInOrder)
    {
        var previous = Genesis;
        var expected = 1L;
        foreach (var row in rowsInOrder)
        {
            if (row.Sequence != expected || !row.PreviousHash.AsSpan().SequenceEqual(previous) ||
                !row.Hash.AsSpan().SequenceEqual(HashOf(row, previous)))
            {
                return expected;
            }

            previous = row.Hash;
            expected++;
        }

        return null;
    }
}
