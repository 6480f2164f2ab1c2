using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Consent.Tests;

/// <summary>Request builders for sealing and enhanced review.</summary>
internal static class SealCalls
{
    public const string Team = "RGD:CMHT-NORTH";

    /// <summary>The platform's metadata (the gateway's view-surge rule).</summary>
    public static Metadata Platform => CallerHeaders.For(new Actor
    {
        Kind = ActorKind.Platform,
        Id = "gateway",
        Organisation = new OrganisationReference { OdsCode = "LCR" },
    });

    public static Timestamp InDays(int days) => Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(days));

    public static SealRecordRequest Seal(string nhs, SealReason reason = SealReason.StaffAsPatient, string[]? professionals = null,
        string[]? teams = null, string note = "Member of staff at RR8, ref IG/S-1") => new()
    {
        NhsNumber = nhs,
        Seal = new Seal
        {
            Reason = reason,
            Note = note,
            ReviewTime = InDays(90),
            AllowedProfessionalIds = { professionals ?? [Calls.Viewer] },
            AllowedTeamIds = { teams ?? [] },
        },
    };

    public static UnsealRecordRequest Unseal(string nhs) => new() { NhsNumber = nhs, Reason = "Review found the seal no longer needed, ref IG/S-2" };

    public static SealRecordAutomaticallyRequest Auto(string nhs, int viewers = 12) =>
        new() { NhsNumber = nhs, DistinctViewers = viewers, ReviewTime = InDays(7) };

    public static EvaluateAccessRequest Evaluate(string nhs, string viewer = Calls.Viewer, string team = "")
    {
        var request = Calls.Evaluate(nhs, viewer);
        request.ViewerTeamId = team;
        return request;
    }
}
