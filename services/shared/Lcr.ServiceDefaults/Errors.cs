using Google.Rpc;
using Grpc.Core;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The one error domain of the platform, carried in every <c>google.rpc.ErrorInfo</c>.
/// </summary>
public static class ErrorDomain
{
    public const string Name = "lcr.leeds.nhs.uk";
}

/// <summary>
/// A domain failure that maps to a canonical gRPC status. Messages must never contain an
/// NHS number, name, address or clinical text: they travel to callers and into logs.
/// </summary>
public abstract class LcrException : Exception
{
    protected LcrException(StatusCode code, string reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Reason = reason;
    }

    /// <summary>The canonical gRPC status code.</summary>
    public StatusCode Code { get; }

    /// <summary>UPPER_SNAKE reason for <c>ErrorInfo.reason</c>, stable for clients to branch on.</summary>
    public string Reason { get; }

    /// <summary>Non-identifying metadata for <c>ErrorInfo.metadata</c>.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    /// <summary>Builds the rich status sent to the caller.</summary>
    public virtual Google.Rpc.Status ToStatus()
    {
        var info = new ErrorInfo { Reason = Reason, Domain = ErrorDomain.Name };
        foreach (var (k, v) in Metadata)
        {
            info.Metadata[k] = v;
        }

        return new Google.Rpc.Status
        {
            Code = (int)Code,
            Message = Message,
            Details = { Google.Protobuf.WellKnownTypes.Any.Pack(info) },
        };
    }
}

/// <summary>INVALID_ARGUMENT with a <c>BadRequest</c> naming every bad field.</summary>
public sealed class InvalidArgumentException : LcrException
{
    public InvalidArgumentException(IReadOnlyList<FieldViolation> violations)
        : base(StatusCode.InvalidArgument, "INVALID_ARGUMENT", Describe(violations))
    {
        Violations = violations;
    }

    public InvalidArgumentException(string field, string description)
        : this([new FieldViolation(field, description)])
    {
    }

    public IReadOnlyList<FieldViolation> Violations { get; }

    public override Google.Rpc.Status ToStatus()
    {
        var status = base.ToStatus();
        var bad = new BadRequest();
        foreach (var v in Violations)
        {
            bad.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description });
        }

        status.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(bad));
        return status;
    }

    private static string Describe(IReadOnlyList<FieldViolation> violations) =>
        violations.Count == 1
            ? $"Invalid {violations[0].Field}: {violations[0].Description}"
            : $"Invalid request: {string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}"))}";
}

/// <summary>One bad field: its proto path (e.g. <c>patient.name.family</c>) and what is wrong.</summary>
public sealed record FieldViolation(string Field, string Description);

/// <summary>NOT_FOUND. The message names the kind of resource, never its identifier.</summary>
public sealed class NotFoundException(string resourceKind)
    : LcrException(StatusCode.NotFound, resourceKind.ToUpperInvariant() + "_NOT_FOUND", $"No such {resourceKind.ToLowerInvariant().Replace('_', ' ')}.");

/// <summary>ALREADY_EXISTS: a create for something that exists with different details.</summary>
public sealed class AlreadyExistsException(string resourceKind, string message)
    : LcrException(StatusCode.AlreadyExists, resourceKind.ToUpperInvariant() + "_ALREADY_EXISTS", message);

/// <summary>ABORTED: an optimistic-concurrency conflict (stale etag or version). Nothing was written.</summary>
public sealed class ConcurrencyConflictException(string message)
    : LcrException(StatusCode.Aborted, "STALE_VERSION", message);

/// <summary>PERMISSION_DENIED with a reason the caller can show to the user.</summary>
public sealed class PermissionDeniedException(string reason, string message)
    : LcrException(StatusCode.PermissionDenied, reason, message);

/// <summary>UNAUTHENTICATED: no usable credential.</summary>
public sealed class UnauthenticatedException(string reason, string message)
    : LcrException(StatusCode.Unauthenticated, reason, message);

/// <summary>FAILED_PRECONDITION: the system is not in a state for this call.</summary>
public sealed class FailedPreconditionException(string reason, string message)
    : LcrException(StatusCode.FailedPrecondition, reason, message);

/// <summary>UNAVAILABLE: a dependency could not be reached in time; the caller may retry.</summary>
public sealed class DependencyUnavailableException(string reason, string message, Exception? inner = null)
    : LcrException(StatusCode.Unavailable, reason, message, inner);

/// <summary>INTERNAL: a dependency failed in a way a retry will not fix. The message says nothing of its internals.</summary>
public sealed class DependencyFailedException(string reason, string message, Exception? inner = null)
    : LcrException(StatusCode.Internal, reason, message, inner);
