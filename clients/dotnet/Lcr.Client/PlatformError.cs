using Google.Rpc;
using Grpc.Core;

namespace Lcr.Client;

/// <summary>
/// A failed call with the google.rpc details the platform sent in the
/// <c>grpc-status-details-bin</c> trailer: the ErrorInfo reason to branch on, the BadRequest
/// field violations of an INVALID_ARGUMENT, and the RetryInfo delay of a RESOURCE_EXHAUSTED.
/// </summary>
/// <param name="Code">The canonical gRPC status code.</param>
/// <param name="Message">The status message, for people (never branch on it).</param>
/// <param name="Reason">ErrorInfo.reason, UPPER_SNAKE (e.g. PATIENT_OPTED_OUT), or null.</param>
/// <param name="Domain">ErrorInfo.domain: <see cref="PlatformDomain"/> for the platform's errors, or null.</param>
/// <param name="Metadata">ErrorInfo.metadata (never identifying), empty when absent.</param>
/// <param name="FieldViolations">BadRequest violations: each bad field's proto path and what is wrong.</param>
/// <param name="RetryDelay">RetryInfo.retry_delay: how long to wait before trying again, or null.</param>
public sealed record PlatformError(
    StatusCode Code,
    string Message,
    string? Reason,
    string? Domain,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<BadRequest.Types.FieldViolation> FieldViolations,
    TimeSpan? RetryDelay)
{
    /// <summary>The ErrorInfo domain of every error the platform raises.</summary>
    public const string PlatformDomain = "lcr.leeds.nhs.uk";

    /// <summary>Decodes the rich status of a failed call (a call without details gives only code and message).</summary>
    public static PlatformError From(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var status = exception.GetRpcStatus();
        var info = status?.GetDetail<ErrorInfo>();
        var bad = status?.GetDetail<BadRequest>();
        var retry = status?.GetDetail<RetryInfo>();
        return new PlatformError(
            exception.StatusCode,
            MessageOf(exception.StatusCode, status?.Message ?? exception.Status.Detail),
            string.IsNullOrEmpty(info?.Reason) ? null : info.Reason,
            string.IsNullOrEmpty(info?.Domain) ? null : info.Domain,
            info?.Metadata.ToDictionary(p => p.Key, p => p.Value) ?? new Dictionary<string, string>(),
            bad?.FieldViolations.ToList() ?? [],
            retry?.RetryDelay?.ToTimeSpan());
    }

    private static string MessageOf(StatusCode code, string message) => message.Length > 0 ? message : code switch
    {
        StatusCode.DeadlineExceeded => "The call did not complete within its deadline.",
        StatusCode.Unavailable => "The gateway could not be reached.",
        StatusCode.Cancelled => "The call was cancelled.",
        _ => "(no message)",
    };

    /// <summary>True when the platform raised the error with this reason (e.g. <c>"PATIENT_OPTED_OUT"</c>).</summary>
    public bool Is(string reason) => Domain == PlatformDomain && Reason == reason;

    /// <summary>True when the failure may be retried as it is: UNAVAILABLE (reads only), or RESOURCE_EXHAUSTED after <see cref="RetryDelay"/>.</summary>
    public bool IsTransient => Code is StatusCode.Unavailable or StatusCode.ResourceExhausted;

    /// <summary>"INVALID_ARGUMENT: Invalid nhs_number: ... (nhs_number: ...)": the code as the gRPC specification names it, then the details.</summary>
    public override string ToString()
    {
        var text = $"{CodeName(Code)}: {Message}";
        if (Reason is not null && Reason != CodeName(Code))
        {
            text += $" [{Reason}]";
        }

        return FieldViolations.Aggregate(text, (t, v) => $"{t}{Environment.NewLine}  {v.Field}: {v.Description}");
    }

    /// <summary>The specification's name of a status code, e.g. INVALID_ARGUMENT.</summary>
    public static string CodeName(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.Unknown => "UNKNOWN",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.Aborted => "ABORTED",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Internal => "INTERNAL",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Typed error details on <see cref="RpcException"/>.</summary>
public static class RpcExceptionExtensions
{
    /// <summary>The platform's error details of a failed call.</summary>
    public static PlatformError ToPlatformError(this RpcException exception) => PlatformError.From(exception);
}
