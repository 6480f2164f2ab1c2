using System.Diagnostics.Metrics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Clinical.Api;
using Lcr.Clinical.Caching;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Lcr.Clinical.Tests;

/// <summary>The real clinical record service, in memory, on its own fresh database and the test Redis.</summary>
public class ClinicalHost : ServiceHost<ClinicalGrpcService>, IAsyncLifetime
{
    private MeterListener? _listener;

    protected override string ConnectionName => "Clinical";

    public ClinicalRecordService.ClinicalRecordServiceClient Client => new(Channel);

    /// <summary>Totals of this host's own <c>Lcr.Clinical</c> counters, by instrument name and first tag value.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, long> Counters { get; } = new();

    public long Counter(string name) => Counters.Where(c => c.Key == name || c.Key.StartsWith(name + "|", StringComparison.Ordinal)).Sum(c => c.Value);

    public new virtual async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var meter = Services.GetRequiredService<ClinicalMetrics>().Meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = tags.Length > 0 ? $"{instrument.Name}|{tags[0].Value}" : instrument.Name;
            Counters.AddOrUpdate(key, value, (_, v) => v + value);
        });
        _listener.Start();
    }

    public new virtual async Task DisposeAsync()
    {
        _listener?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>The summary key the service uses for a patient (a pseudonym, not the NHS number).</summary>
    public string SummaryKey(string nhs) => Services.GetRequiredService<SummaryCache>().SummaryKey(nhs);

    public IDatabase Redis => Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    /// <summary>Metadata of a contributing system of an organisation.</summary>
    public static Metadata Feed(string ods = "B86001", string id = "feed") => CallerHeaders.For(new Actor
    {
        Kind = ActorKind.System,
        Id = id + "-" + ods.ToLowerInvariant(),
        Organisation = new OrganisationReference { OdsCode = ods },
    });

    private static int _next = 100;

    /// <summary>A fresh valid NHS number in the test range, unique in this process.</summary>
    public static string NewNhsNumber()
    {
        while (true)
        {
            var nine = "997" + Interlocked.Increment(ref _next).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }

    public async Task<UpsertEntriesResponse> ContributeAsync(string ods, params EntryContribution[] entries)
    {
        var request = new UpsertEntriesRequest { SourceOrganisationOdsCode = ods, SourceSystem = "TestSystem" };
        request.Entries.AddRange(entries);
        return await Client.UpsertEntriesAsync(request, Feed(ods));
    }

    public async Task<RecordSummary> SummaryAsync(string nhs) =>
        (await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = nhs })).Summary;

    public Task<object?> CountAsync(string table, string nhs) =>
        Database.ScalarAsync($"select count(*) from {table} where nhs_number = @n", ("n", nhs));
}

/// <summary>Builders of valid contributions.</summary>
public static class Make
{
    public const string Snomed = "http://snomed.info/sct";

    private static Entry Base(string nhs, string sourceId, RecordCategory category, string code, string display) => new()
    {
        NhsNumber = nhs,
        Category = category,
        Code = new CodedConcept { System = category == RecordCategory.Medications ? "https://dmd.nhs.uk" : Snomed, Code = code, Display = display },
        Provenance = new Provenance { SourceEntryId = sourceId.Length == 0 ? sourceId : $"{nhs}/{sourceId}" },
    };

    public static Date Date(int y, int m, int d) => new() { Year = y, Month = m, Day = d };

    public static Timestamp At(int y, int m, int d, int h = 9) => Timestamp.FromDateTime(new DateTime(y, m, d, h, 0, 0, DateTimeKind.Utc));

    public static EntryContribution Problem(string nhs, string sourceId, string code = "195967001", string display = "Asthma",
        ProblemClinicalStatus status = ProblemClinicalStatus.Active, Date? onset = null) => new()
    {
        Entry = new Entry(Base(nhs, sourceId, RecordCategory.Problems, code, display))
        {
            Problem = new Problem { ClinicalStatus = status, OnsetDate = onset ?? Date(2015, 4, 1) },
        },
    };

    public static EntryContribution Medication(string nhs, string sourceId, string code = "39109611000001103", string display = "Metformin 500mg tablets",
        MedicationStatus status = MedicationStatus.Active, Date? start = null) => new()
    {
        Entry = new Entry(Base(nhs, sourceId, RecordCategory.Medications, code, display))
        {
            Medication = new Medication { DoseText = "500 mg", FrequencyText = "twice a day", Status = status, StartDate = start ?? Date(2020, 1, 10) },
        },
    };

    public static EntryContribution Allergy(string nhs, string sourceId, string code = "764146007", string display = "Penicillin",
        AllergyVerificationStatus verification = AllergyVerificationStatus.Confirmed) => new()
    {
        Entry = new Entry(Base(nhs, sourceId, RecordCategory.Allergies, code, display))
        {
            Allergy = new Allergy
            {
                VerificationStatus = verification,
                Reactions = { new CodedConcept { System = Snomed, Code = "39579001", Display = "Anaphylaxis" } },
                OnsetDate = Date(2001, 6, 1),
            },
        },
    };

    public static EntryContribution Result(string nhs, string sourceId, double value, Timestamp when, string code = "1107481000000106",
        string display = "Haemoglobin A1c level - IFCC standardised", string unit = "mmol/mol", ResultStatus status = ResultStatus.Final) => new()
    {
        Entry = new Entry(Base(nhs, sourceId, RecordCategory.TestResults, code, display))
        {
            TestResult = new TestResult
            {
                Quantity = new Quantity { Value = value, Unit = unit },
                ReferenceRange = new ReferenceRange { Text = "20-41 mmol/mol" },
                EffectiveTime = when,
                Status = status,
            },
        },
    };

    public static EntryContribution Alert(string nhs, string sourceId, AlertKind kind = AlertKind.Clinical, AlertSeverity severity = AlertSeverity.High,
        AlertStatus status = AlertStatus.Active, Date? start = null, Date? end = null, string code = "718446003", string display = "Difficult airway",
        string comment = "") => new()
    {
        Entry = new Entry(Base(nhs, sourceId, RecordCategory.RisksAndAlerts, code, display))
        {
            Comment = comment,
            Alert = new Alert { Kind = kind, Severity = severity, Status = status, StartDate = start ?? Date(2024, 2, 1), EndDate = end },
        },
    };

    /// <summary>Today's date in Europe/London, shifted by <paramref name="days"/>.</summary>
    public static Date LondonDay(int days = 0, DateTimeOffset? now = null)
    {
        var london = TimeZoneInfo.ConvertTime(now ?? DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"));
        var d = DateOnly.FromDateTime(london.DateTime).AddDays(days);
        return Date(d.Year, d.Month, d.Day);
    }

    public static EntryContribution Document(string nhs, string sourceId, byte[] content, Timestamp? when = null, string title = "Discharge summary: Ward 12",
        string contentType = "text/plain") => new()
    {
        Entry = new Entry(Base(nhs, sourceId, RecordCategory.Documents, "373942005", "Discharge summary"))
        {
            Document = new Document { Type = DocumentType.DischargeSummary, Title = title, Author = "Dr A Jones", AuthoredTime = when ?? At(2026, 3, 2) },
        },
        DocumentContent = new DocumentContent { ContentType = contentType, Data = ByteString.CopyFrom(content) },
    };
}
