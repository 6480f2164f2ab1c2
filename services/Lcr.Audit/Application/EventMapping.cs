using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Audit.Application;

/// <summary>
/// Validates incoming events (every bad field named, nothing written) and maps between the
/// contract and the stored row.
/// </summary>
public static partial class EventMapping
{
    public const int MaxEventsPerCall = 100;
    public const int MaxEntryIds = 1000;
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Actions that concern one patient and so need an NHS number.</summary>
    public static bool NeedsPatient(AuditAction a) => a is not (AuditAction.AuditQuery or AuditAction.PrivacyReviewDecision);

    /// <summary>Actions that need a purpose of use (views, tokens and care-relationship changes).</summary>
    public static bool NeedsPurpose(AuditAction a) =>
        PrivacyRules.IsRecordView(a) || a is AuditAction.Search or AuditAction.TokenIssued or AuditAction.EmergencyAccess or AuditAction.CareRelationshipChange;

    /// <summary>Validates a RecordEvents request and builds the rows to append (chain fields unset).</summary>
    public static List<AuditEventRow> ValidateRequest(RecordEventsRequest request, DateTimeOffset now)
    {
        var v = new FieldViolations();
        if (request.Events.Count == 0)
        {
            v.Add("events", "must contain at least one event");
        }
        else if (request.Events.Count > MaxEventsPerCall)
        {
            v.Add("events", $"must contain at most {MaxEventsPerCall} events per call");
        }

        var rows = new List<AuditEventRow>(request.Events.Count);
        var firstIndex = new Dictionary<Guid, int>();
        for (var i = 0; i < request.Events.Count && i < MaxEventsPerCall; i++)
        {
            var row = Validate(request.Events[i], $"events[{i}].", now, v);
            if (row is null)
            {
                continue;
            }

            if (firstIndex.TryGetValue(row.EventId, out var j))
            {
                // The same event twice in one call: harmless if identical, a conflict otherwise.
                v.Check(Canonical.ContentFingerprint(rows[j]).AsSpan().SequenceEqual(Canonical.ContentFingerprint(row)),
                    $"events[{i}].event_id", $"repeats events[{j}].event_id with different content");
                continue;
            }

            firstIndex[row.EventId] = rows.Count;
            rows.Add(row);
        }

        v.ThrowIfAny();
        return rows;
    }

    /// <summary>Validates one event; returns null (with violations recorded) when it is bad.</summary>
    public static AuditEventRow? Validate(AuditEvent? e, string prefix, DateTimeOffset now, FieldViolations v)
    {
        var before = v.Items.Count;
        if (e is null)
        {
            v.Add(prefix.TrimEnd('.'), "is required");
            return null;
        }

        Guid id = Guid.Empty;
        if (string.IsNullOrEmpty(e.EventId))
        {
            v.Add(prefix + "event_id", "is required: a UUID chosen before the first attempt and reused on retries");
        }
        else
        {
            v.Check(e.EventId.Length == 36 && Guid.TryParseExact(e.EventId, "D", out id) && id != Guid.Empty,
                prefix + "event_id", "must be a UUID in its 36-character form, e.g. 0190f5a4-7c1e-7d2a-9b1e-3f4a5b6c7d8e");
        }

        DateTimeOffset occurred = default;
        if (e.OccurrenceTime is null)
        {
            v.Add(prefix + "occurrence_time", "is required");
        }
        else if (v.Time(e.OccurrenceTime, prefix + "occurrence_time") is { } time)
        {
            occurred = Canonical.ToStoredPrecision(time);
            v.Check(occurred <= now + MaxClockSkew, prefix + "occurrence_time", "must not be more than 5 minutes in the future");
            v.Check(occurred >= Earliest, prefix + "occurrence_time", "must not be before the year 2000");
        }

        var actionOk = v.RequireEnum(e.Action, prefix + "action");
        var outcomeOk = v.RequireEnum(e.Outcome, prefix + "outcome");
        if (v.DefinedEnum(e.DenialReason, prefix + "denial_reason") && outcomeOk)
        {
            if (e.Outcome == AuditOutcome.Denied)
            {
                v.Check(e.DenialReason != AuditDenialReason.Unspecified, prefix + "denial_reason", "is required when outcome is DENIED");
            }
            else
            {
                v.Check(e.DenialReason == AuditDenialReason.Unspecified, prefix + "denial_reason", "must be unset unless outcome is DENIED");
            }
        }

        ValidateActor(e.Actor, prefix + "actor", required: true, v);
        if (e.CallingSystem is not null)
        {
            ValidateActor(e.CallingSystem, prefix + "calling_system", required: false, v);
        }

        if (!string.IsNullOrEmpty(e.NhsNumber) || (actionOk && NeedsPatient(e.Action)))
        {
            NhsNumber.Validate(e.NhsNumber, v, prefix + "nhs_number");
        }

        if (v.DefinedEnum(e.PurposeOfUse, prefix + "purpose_of_use") && actionOk && NeedsPurpose(e.Action))
        {
            v.Check(e.PurposeOfUse != PurposeOfUse.Unspecified, prefix + "purpose_of_use", "is required for views, searches, tokens and care relationship changes");
        }

        switch (e.AccessBasisCase)
        {
            case AuditEvent.AccessBasisOneofCase.CareRelationshipId:
                v.RequireText(e.CareRelationshipId, prefix + "care_relationship_id", 100);
                break;
            case AuditEvent.AccessBasisOneofCase.EmergencyAccess:
                v.RequireEnum(e.EmergencyAccess.ReasonCode, prefix + "emergency_access.reason_code");
                v.RequireText(e.EmergencyAccess.ReasonText, prefix + "emergency_access.reason_text", 1000);
                break;
            case AuditEvent.AccessBasisOneofCase.SelfClaim:
                v.RequireText(e.SelfClaim.CareRelationshipId, prefix + "self_claim.care_relationship_id", 100);
                v.RequireEnum(e.SelfClaim.ReasonCode, prefix + "self_claim.reason_code");
                v.MaxLength(e.SelfClaim.ReasonText, prefix + "self_claim.reason_text", 1000);
                break;
        }

        v.DefinedEnum(e.CareRelationshipKind, prefix + "care_relationship_kind");
        if (e.SealedRecord is not null)
        {
            v.MaxLength(e.SealedRecord.BreakGlassJustification, prefix + "sealed_record.break_glass_justification", 1000);
            v.Check(!e.SealedRecord.ViewerNamed || string.IsNullOrEmpty(e.SealedRecord.BreakGlassJustification),
                prefix + "sealed_record.break_glass_justification", "must be empty when the viewer is named on the seal");
        }

        if (e.Seal is not null)
        {
            v.RequireEnum(e.Seal.Reason, prefix + "seal.reason");
            v.Check(e.Seal.DistinctViewers >= 0, prefix + "seal.distinct_viewers", "must not be negative");
        }

        if (actionOk && outcomeOk && e.Outcome == AuditOutcome.Permitted)
        {
            if (e.Action == AuditAction.SelfClaimedRelationship)
            {
                v.Check(e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.SelfClaim, prefix + "self_claim",
                    "is required for a permitted self-claimed relationship: the relationship claimed and its reason");
            }

            if (e.Action is AuditAction.RecordSealed or AuditAction.RecordUnsealed)
            {
                v.Check(e.Seal is not null, prefix + "seal", "is required for a permitted seal or unseal");
            }

            if (e.Action is AuditAction.NhsNumberSuperseded or AuditAction.NhsNumberSupersessionWithdrawn)
            {
                v.Check(e.Supersession is not null, prefix + "supersession", "is required for a permitted supersession or its withdrawal");
            }
        }

        if (actionOk && outcomeOk && e.Action == AuditAction.EmergencyAccess && e.Outcome == AuditOutcome.Permitted)
        {
            v.Check(e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess, prefix + "emergency_access",
                "is required for a permitted emergency access");
        }

        if (actionOk && outcomeOk && e.Action == AuditAction.CareRelationshipChange && e.Outcome == AuditOutcome.Permitted)
        {
            v.Check(e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.CareRelationshipId, prefix + "care_relationship_id",
                "is required for a permitted care relationship change: the relationship recorded, changed or ended");
        }

        var denied = outcomeOk && e.Outcome == AuditOutcome.Denied;
        for (var c = 0; c < e.ReturnedCategories.Count; c++)
        {
            v.RequireEnum(e.ReturnedCategories[c], $"{prefix}returned_categories[{c}]");
        }

        if (denied)
        {
            v.Check(e.ReturnedCategories.Count == 0, prefix + "returned_categories", "must be empty when outcome is DENIED");
            v.Check(e.ReturnedEntryIds.Count == 0, prefix + "returned_entry_ids", "must be empty when outcome is DENIED");
        }

        if (v.Check(e.ReturnedEntryIds.Count <= MaxEntryIds, prefix + "returned_entry_ids", $"must list at most {MaxEntryIds} entries per event"))
        {
            for (var r = 0; r < e.ReturnedEntryIds.Count; r++)
            {
                v.RequireText(e.ReturnedEntryIds[r], $"{prefix}returned_entry_ids[{r}]", 100);
            }
        }

        v.MaxLength(e.AccessTokenId, prefix + "access_token_id", 100);
        v.Check(e.ConsentVersion >= 0, prefix + "consent_version", "must not be negative");
        v.Check(string.IsNullOrEmpty(e.TraceId) || TraceIdPattern().IsMatch(e.TraceId), prefix + "trace_id",
            "must be a W3C trace id: 32 lower-case hexadecimal characters");
        ValidateContext(e.ViewerPatientContext, prefix + "viewer_patient_context", v);
        PatientIdentityFields.Validate(e, prefix, v);

        if (v.Items.Count > before)
        {
            return null;
        }

        var match = ViewerPatientMatching.Compare(e.ViewerPatientContext, e.NhsNumber);
        var row = new AuditEventRow
        {
            EventId = id,
            OccurrenceTime = occurred,
            Action = (int)e.Action,
            Outcome = (int)e.Outcome,
            DenialReason = (int)e.DenialReason,
            ActorKind = (int)e.Actor.Kind,
            ActorId = e.Actor.Id,
            ActorDisplayName = NullIfEmpty(e.Actor.DisplayName),
            ActorOds = NullIfEmpty(e.Actor.Organisation?.OdsCode?.ToUpperInvariant()),
            ActorRoleCode = NullIfEmpty(e.Actor.RoleCode),
            CallingSystemKind = e.CallingSystem is null ? null : (int)e.CallingSystem.Kind,
            CallingSystemId = NullIfEmpty(e.CallingSystem?.Id),
            CallingSystemDisplayName = NullIfEmpty(e.CallingSystem?.DisplayName),
            CallingSystemOds = NullIfEmpty(e.CallingSystem?.Organisation?.OdsCode?.ToUpperInvariant()),
            CallingSystemRoleCode = NullIfEmpty(e.CallingSystem?.RoleCode),
            NhsNumber = NullIfEmpty(e.NhsNumber),
            PurposeOfUse = (int)e.PurposeOfUse,
            CareRelationshipId = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.CareRelationshipId ? e.CareRelationshipId : null,
            EmergencyReasonCode = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess ? (int)e.EmergencyAccess.ReasonCode : null,
            EmergencyReasonText = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess ? e.EmergencyAccess.ReasonText : null,
            ReturnedCategories = e.ReturnedCategories.Select(c => (int)c).ToArray(),
            ReturnedEntryIds = e.ReturnedEntryIds.ToArray(),
            AccessTokenId = NullIfEmpty(e.AccessTokenId),
            ConsentVersion = e.ConsentVersion,
            TraceId = NullIfEmpty(e.TraceId),
            MatchSamePerson = match?.SamePerson,
            MatchSameFamilyName = match?.SameFamilyName,
            MatchSameAddress = match?.SameAddress,
            CareRelationshipKind = e.CareRelationshipKind == Lcr.Identity.V1.CareRelationshipKind.Unspecified ? null : (int)e.CareRelationshipKind,
            SelfClaimRelationshipId = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.SelfClaim ? e.SelfClaim.CareRelationshipId : null,
            SelfClaimReasonCode = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.SelfClaim ? (int)e.SelfClaim.ReasonCode : null,
            SelfClaimReasonText = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.SelfClaim ? NullIfEmpty(e.SelfClaim.ReasonText) : null,
            SealedViewerNamed = e.SealedRecord?.ViewerNamed,
            SealedBreakGlassJustification = NullIfEmpty(e.SealedRecord?.BreakGlassJustification),
            SealReason = e.Seal is null ? null : (int)e.Seal.Reason,
            SealAutomatic = e.Seal?.Automatic,
            SealDistinctViewers = e.Seal?.DistinctViewers,
            ChainHash = [],
            PreviousChainHash = [],
        };
        PatientIdentityFields.Apply(e, row);
        return row;
    }

    private static void ValidateActor(Actor? actor, string field, bool required, FieldViolations v)
    {
        if (actor is null)
        {
            v.Check(!required, field, "is required");
            return;
        }

        v.RequireEnum(actor.Kind, field + ".kind");
        v.RequireText(actor.Id, field + ".id", 100);
        v.MaxLength(actor.DisplayName, field + ".display_name", 200);
        v.MaxLength(actor.Organisation?.OdsCode, field + ".organisation.ods_code", 12);
        v.MaxLength(actor.RoleCode, field + ".role_code", 20);
    }

    private static void ValidateContext(ViewerPatientContext? c, string field, FieldViolations v)
    {
        if (c is null)
        {
            return;
        }

        if (!string.IsNullOrEmpty(c.ViewerNhsNumber))
        {
            NhsNumber.Validate(c.ViewerNhsNumber, v, field + ".viewer_nhs_number");
        }

        v.MaxLength(c.ViewerFamilyName, field + ".viewer_family_name", 100);
        v.MaxLength(c.PatientFamilyName, field + ".patient_family_name", 100);
        ValidateAddress(c.ViewerAddress, field + ".viewer_address", v);
        ValidateAddress(c.PatientAddress, field + ".patient_address", v);
    }

    private static void ValidateAddress(MatchableAddress? a, string field, FieldViolations v)
    {
        if (a is null)
        {
            return;
        }

        if (v.Check(a.Lines.Count <= 5, field + ".lines", "must have at most 5 lines"))
        {
            for (var i = 0; i < a.Lines.Count; i++)
            {
                v.MaxLength(a.Lines[i], $"{field}.lines[{i}]", 100);
            }
        }

        v.MaxLength(a.Postcode, field + ".postcode", 10);
    }

    /// <summary>The stored event as the contract shows it.</summary>
    public static AuditEvent ToProto(AuditEventRow r)
    {
        var e = new AuditEvent
        {
            EventId = r.EventId.ToString("D"),
            RecordTime = Timestamp.FromDateTimeOffset(r.RecordTime),
            OccurrenceTime = Timestamp.FromDateTimeOffset(r.OccurrenceTime),
            Action = (AuditAction)r.Action,
            Outcome = (AuditOutcome)r.Outcome,
            DenialReason = (AuditDenialReason)r.DenialReason,
            Actor = ToActor(r.ActorKind, r.ActorId, r.ActorDisplayName, r.ActorOds, r.ActorRoleCode),
            NhsNumber = r.NhsNumber ?? string.Empty,
            PurposeOfUse = (PurposeOfUse)r.PurposeOfUse,
            ReturnedCategories = { r.ReturnedCategories.Select(c => (RecordCategory)c) },
            ReturnedEntryIds = { r.ReturnedEntryIds },
            AccessTokenId = r.AccessTokenId ?? string.Empty,
            ConsentVersion = r.ConsentVersion,
            TraceId = r.TraceId ?? string.Empty,
            ChainPartition = r.ChainPartition,
            ChainSequence = r.ChainSequence,
            ChainHash = ByteString.CopyFrom(r.ChainHash),
            PreviousChainHash = ByteString.CopyFrom(r.PreviousChainHash),
        };
        if (r.CallingSystemId is not null)
        {
            e.CallingSystem = ToActor(r.CallingSystemKind ?? 0, r.CallingSystemId, r.CallingSystemDisplayName, r.CallingSystemOds,
                r.CallingSystemRoleCode);
        }

        if (r.CareRelationshipId is not null)
        {
            e.CareRelationshipId = r.CareRelationshipId;
        }
        else if (r.EmergencyReasonCode is { } code)
        {
            e.EmergencyAccess = new EmergencyAccessDetail
            {
                ReasonCode = (EmergencyAccessReason)code,
                ReasonText = r.EmergencyReasonText ?? string.Empty,
            };
        }
        else if (r.SelfClaimRelationshipId is not null)
        {
            e.SelfClaim = new SelfClaimDetail
            {
                CareRelationshipId = r.SelfClaimRelationshipId,
                ReasonCode = (SelfClaimReason)(r.SelfClaimReasonCode ?? 0),
                ReasonText = r.SelfClaimReasonText ?? string.Empty,
            };
        }

        if (r.CareRelationshipKind is { } kind)
        {
            e.CareRelationshipKind = (Lcr.Identity.V1.CareRelationshipKind)kind;
        }

        if (r.SealedViewerNamed is { } named)
        {
            e.SealedRecord = new SealedRecordAccess { ViewerNamed = named, BreakGlassJustification = r.SealedBreakGlassJustification ?? string.Empty };
        }

        if (r.SealReason is { } reason)
        {
            e.Seal = new SealDetail { Reason = (SealReason)reason, Automatic = r.SealAutomatic == true, DistinctViewers = r.SealDistinctViewers ?? 0 };
        }

        if (r.MatchSamePerson is not null)
        {
            e.ViewerPatientMatch = new ViewerPatientMatch
            {
                SamePerson = r.MatchSamePerson == true,
                SameFamilyName = r.MatchSameFamilyName == true,
                SameAddress = r.MatchSameAddress == true,
            };
        }

        PatientIdentityFields.Fill(r, e);
        return e;
    }

    public static Actor ToActor(int kind, string id, string? displayName, string? ods, string? role) => new()
    {
        Kind = (ActorKind)kind,
        Id = id,
        DisplayName = displayName ?? string.Empty,
        Organisation = new OrganisationReference { OdsCode = ods ?? string.Empty },
        RoleCode = role ?? string.Empty,
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    [GeneratedRegex("^[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex TraceIdPattern();
}
