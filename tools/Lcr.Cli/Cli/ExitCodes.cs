using Grpc.Core;

namespace Lcr.Cli;

/// <summary>
/// The process exit codes scripts can rely on (docs/cli.md). Every gRPC status maps to one of
/// them, so a script can tell "sign in again" from "not allowed" from "try later".
/// </summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Any other failure (INTERNAL, FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS, ...).</summary>
    public const int Failure = 1;

    /// <summary>Bad usage or invalid argument: a parse error, or INVALID_ARGUMENT from the platform (the field is named).</summary>
    public const int Usage = 2;

    /// <summary>Not signed in, or the token is missing, expired or invalid: UNAUTHENTICATED.</summary>
    public const int Unauthenticated = 3;

    /// <summary>Signed in but not allowed: PERMISSION_DENIED (no care relationship, opted out, blocked, wrong role or scope).</summary>
    public const int PermissionDenied = 4;

    /// <summary>NOT_FOUND: no such patient, entry, case or professional (or withheld from you, indistinguishably).</summary>
    public const int NotFound = 5;

    /// <summary>The platform could not answer in time: UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED (rate limited). Retry later.</summary>
    public const int Unavailable = 6;

    /// <summary>The exit code for a gRPC status.</summary>
    public static int For(StatusCode code) => code switch
    {
        StatusCode.OK => Ok,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => Usage,
        StatusCode.Unauthenticated => Unauthenticated,
        StatusCode.PermissionDenied => PermissionDenied,
        StatusCode.NotFound => NotFound,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted => Unavailable,
        _ => Failure,
    };
}
