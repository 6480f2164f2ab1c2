using System.Runtime.CompilerServices;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Downstream;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Records;

/// <summary>How long the gateway keeps what it looked up for privacy review's comparisons (<c>Gateway:ViewerContext:*</c>).</summary>
public sealed class ViewerContextOptions
{
    /// <summary>How long a viewer's home address (demographics, by their own NHS number) is reused.</summary>
    public TimeSpan ViewerAddressTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest an audit commit waits for a lookup still in flight (it started when the read
    /// began, so it is normally long finished). Past it the event is recorded without the context:
    /// the read is never refused for want of a comparison.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Cached people, viewers and patients together.</summary>
    public int MaxEntries { get; set; } = 20_000;
}

/// <summary>
/// Fills <see cref="AuditEvent.ViewerPatientContext"/> on record-view events so that privacy
/// review can flag a professional viewing their own record, a patient with their family name
/// or a patient at their address. The audit service compares the details and stores only the
/// three booleans; nothing here is logged, traced or measured.
/// <list type="bullet">
/// <item>The viewer's family name and own NHS number come from the signed access token
/// (identity puts <c>family_name</c> and <c>lcr_personal_nhs_number</c> in it): no call.</item>
/// <item>The viewer's home address comes from demographics by that NHS number, cached for
/// <see cref="ViewerContextOptions.ViewerAddressTtl"/> under a keyed pseudonym.</item>
/// <item>The patient's family name and address are the details the read itself fetched
/// (GetPatient, through the gateway's version-checked read cache): no second call.</item>
/// </list>
/// Lookups start when the reader has probed the patient's version record (<see cref="Begin"/>), run in parallel
/// with consent and the clinical record, are shared by concurrent reads, and are awaited only
/// when the event is committed (<see cref="CompleteAsync"/>): no per-read round trip on the
/// critical path. A failed lookup is not cached and leaves the event without a context.
/// </summary>
public sealed partial class ViewerContextSource(
    Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics,
    PatientPseudonymiser pseudonyms,
    IOptions<ViewerContextOptions> options,
    TimeProvider clock,
    ILogger<ViewerContextSource> logger) : IDisposable
{
    private sealed record Person(string FamilyName, MatchableAddress? Address);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.MaxEntries });
    private readonly ConditionalWeakTable<AuditEvent, Task<ViewerPatientContext?>> _pending = new();

    /// <summary>True for the actions whose events carry the comparison: looks at a patient's record.</summary>
    public static bool IsRecordView(AuditAction action) =>
        action is AuditAction.ViewSummary or AuditAction.ViewCategory or AuditAction.ViewEntry or AuditAction.ViewDocument or AuditAction.ViewDemographics;

    /// <summary>True when a record-view event made with <paramref name="token"/> carries the comparison (for the token's own patient only).</summary>
    public bool Applies(AuditEvent e, VerifiedAccessToken token) =>
        IsRecordView(e.Action) && string.Equals(token.NhsNumber, e.NhsNumber, StringComparison.Ordinal) &&
        (token.ViewerFamilyName is not null || token.ViewerNhsNumber is not null);

    /// <summary>
    /// Starts the lookups for a record-view event made with <paramref name="token"/>; the
    /// patient's side comes from <paramref name="patient"/>, the details the read itself fetched
    /// (no second demographics call). Does nothing when the event carries no comparison.
    /// </summary>
    public void Begin(AuditEvent e, VerifiedAccessToken token, Task<Patient?> patient)
    {
        if (!Applies(e, token))
        {
            return;
        }

        _pending.AddOrUpdate(e, BuildAsync(token.ViewerFamilyName, token.ViewerNhsNumber, patient));
    }

    /// <summary>Sets the context on each event that has one pending; waits at most <see cref="ViewerContextOptions.MaxWait"/>.</summary>
    public async Task CompleteAsync(IEnumerable<AuditEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            if (!_pending.TryGetValue(e, out var pending))
            {
                continue;
            }

            _pending.Remove(e);
            try
            {
                e.ViewerPatientContext = await pending.WaitAsync(options.Value.MaxWait, clock, cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or RpcException or LcrException)
            {
                // Recorded without the comparison (the event shows none was made); never refused for it.
                LogUnavailable(logger, ex.GetType().Name);
            }
        }
    }

    private async Task<ViewerPatientContext?> BuildAsync(string? viewerFamilyName, string? viewerNhsNumber, Task<Patient?> patientDetails)
    {
        var viewerTask = viewerNhsNumber is null ? Task.FromResult<Person?>(null) : LookUpAsync(viewerNhsNumber, options.Value.ViewerAddressTtl);
        var viewer = await viewerTask;
        var patient = await patientDetails is { } p ? ToPerson(p) : null;
        var context = new ViewerPatientContext
        {
            ViewerNhsNumber = viewerNhsNumber ?? string.Empty,
            ViewerFamilyName = viewerFamilyName ?? string.Empty,
            ViewerAddress = viewer?.Address,
            PatientFamilyName = patient?.FamilyName ?? string.Empty,
            PatientAddress = patient?.Address,
        };
        return context;
    }

    /// <summary>One person's family name and address, shared by concurrent reads; a failure is not cached.</summary>
    private Task<Person?> LookUpAsync(string nhsNumber, TimeSpan ttl)
    {
        var key = pseudonyms.Pseudonym(nhsNumber);
        if (_cache.TryGetValue(key, out Task<Person?>? cached) && cached is not null && !cached.IsFaulted && !cached.IsCanceled)
        {
            return cached;
        }

        var task = FetchAsync(nhsNumber);
        _cache.Set(key, task, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = ttl });
        _ = task.ContinueWith(t =>
        {
            if (_cache.TryGetValue(key, out Task<Person?>? current) && ReferenceEquals(current, t))
            {
                _cache.Remove(key);
            }
        }, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private async Task<Person?> FetchAsync(string nhsNumber)
    {
        // The platform's own lookup for a comparison, not the viewer's read: shared by every read
        // waiting for it, so it has its own deadline and is not cancelled with any one caller.
        var call = DownstreamCalls.As(PlatformActor.Gateway, DateTime.MaxValue, CancellationToken.None);
        try
        {
            var patient = (await demographics.GetPatientAsync(new GetPatientRequest { NhsNumber = nhsNumber }, call)).Patient;
            return patient is null ? null : ToPerson(patient);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private static Person ToPerson(Patient patient) => new(patient.Name?.Family ?? string.Empty, ToMatchable(patient.Address));

    private static MatchableAddress? ToMatchable(Address? address) =>
        address is null || string.IsNullOrEmpty(address.Postcode) ? null : new MatchableAddress { Lines = { address.Lines.Take(5) }, Postcode = address.Postcode };

    public void Dispose() => _cache.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Viewer context for privacy review unavailable ({Failure}); the event is recorded without it")]
    private static partial void LogUnavailable(ILogger logger, string failure);
}
