using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.Api;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Audit.Tests;

/// <summary>The real audit service, in memory, on its own fresh database.</summary>
public sealed class AuditHost : ServiceHost<AuditGrpcService>
{
    protected override string ConnectionName => "Audit";

    public AuditService.AuditServiceClient Client => new(Channel);

    /// <summary>Metadata of an IG officer (queries and case decisions need a named caller).</summary>
    public static Metadata IgOfficer(string id = "ig-officer-1") => CallerHeaders.For(new Actor
    {
        Kind = ActorKind.Professional,
        Id = id,
        Organisation = new OrganisationReference { OdsCode = "LCR" },
        RoleCode = "R8003",
    });

    private static int _next = 1000;

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

    public static Actor Professional(string id, string ods = "B86001") => new()
    {
        Kind = ActorKind.Professional,
        Id = id,
        DisplayName = "Dr Priya Shah",
        Organisation = new OrganisationReference { OdsCode = ods },
        RoleCode = "R8000",
    };

    /// <summary>A permitted summary view by <paramref name="actorId"/> of <paramref name="nhs"/> under a care relationship.</summary>
    public static AuditEvent View(string nhs, string actorId = "prof-1", AuditAction action = AuditAction.ViewSummary) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Action = action,
        Outcome = AuditOutcome.Permitted,
        Actor = Professional(actorId),
        CallingSystem = new Actor { Kind = ActorKind.System, Id = "emis-web-b86001", Organisation = new OrganisationReference { OdsCode = "B86001" } },
        NhsNumber = nhs,
        PurposeOfUse = PurposeOfUse.DirectCare,
        CareRelationshipId = "rel-" + actorId,
        ReturnedCategories = { RecordCategory.Problems, RecordCategory.Medications },
        ReturnedEntryIds = { "entry-1", "entry-2" },
        AccessTokenId = "jti-" + Guid.NewGuid().ToString("N"),
        ConsentVersion = 3,
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };

    public static AuditEvent Denial(string nhs, string actorId, AuditDenialReason reason = AuditDenialReason.ProfessionalBlocked) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Action = AuditAction.ViewSummary,
        Outcome = AuditOutcome.Denied,
        DenialReason = reason,
        Actor = Professional(actorId),
        NhsNumber = nhs,
        PurposeOfUse = PurposeOfUse.DirectCare,
    };

    public async Task<RecordEventsResponse> RecordAsync(params AuditEvent[] events) =>
        await Client.RecordEventsAsync(new RecordEventsRequest { Events = { events } });
}
