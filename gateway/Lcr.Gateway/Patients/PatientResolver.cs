using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Patients;

/// <summary>
/// Resolves an NHS number with demographics (internal ResolveNhsNumber, through
/// the demographics client as the platform) and applies what it says at a door:
/// a superseded number is refused with a pointer to the current one, audited as denied
/// NHS_NUMBER_SUPERSEDED under the asked number; direct and emergency care of a patient who
/// died longer ago than <see cref="DeceasedOptions.CareContinuesFor"/> is refused
/// PATIENT_DECEASED, audited; every event about the patient carries the merged numbers and the
/// date of death. Demographics failing makes the door UNAVAILABLE (never a guess).
/// </summary>
public sealed class PatientResolver(Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics, AuditTrail audit, IOptions<DeceasedOptions> deceased, TimeProvider clock,
    ReadCache.VersionedAnswers answers, PatientVersionStore versions)
{
    /// <summary>
    /// The resolution at a door that reads nothing else of the patient (a token issue): one probe
    /// of the patient's version record, then the kept resolution or demographics' answer.
    /// </summary>
    public async Task<PatientResolution> ResolveProbedAsync(string nhsNumber, ServerCallContext context) =>
        await ResolveAsync(nhsNumber, context, answers.Enabled ? await versions.ProbeAsync(nhsNumber, context.CancellationToken) : null);

    /// <summary>
    /// The resolution of a valid <paramref name="nhsNumber"/>; reused from the read cache when
    /// <paramref name="probe"/> (taken before this call) shows the number's demographics unchanged
    /// (every supersession it is part of moves its demographics tag).
    /// </summary>
    public async Task<PatientResolution> ResolveAsync(string nhsNumber, ServerCallContext context, PatientVersionProbe? probe = null)
    {
        var request = new ResolveNhsNumberRequest { NhsNumber = nhsNumber };
        var response = await answers.GetOrFetchAsync(PatientDataKind.Demographics, nhsNumber, request, probe,
            () => demographics.ResolveNhsNumberAsync(request, DownstreamCalls.As(PlatformActor.Gateway, context)).ResponseAsync);
        var current = string.IsNullOrEmpty(response.CurrentNhsNumber) ? nhsNumber : response.CurrentNhsNumber;
        var superseded = response.Superseded && !string.Equals(current, nhsNumber, StringComparison.Ordinal);
        // A superseded number is refused at every door: the current number's merged set (which holds
        // the asked number itself) is never passed on for it.
        var merged = superseded ? [] : response.MergedNhsNumbers
            .Where(n => NhsNumber.IsValid(n) && !string.Equals(n, current, StringComparison.Ordinal) && !string.Equals(n, nhsNumber, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).Take(50).ToList();
        return new PatientResolution(nhsNumber, current, superseded, merged, response.DeathDate, response.Found);
    }

    /// <summary>The date of death and merged numbers on <paramref name="e"/> (an event about the resolved patient).</summary>
    public static void Describe(AuditEvent e, PatientResolution resolution)
    {
        if (resolution.Superseded)
        {
            return;
        }

        e.MergedNhsNumbers.Clear();
        e.MergedNhsNumbers.AddRange(resolution.MergedNhsNumbers);
        e.PatientDeathDate = resolution.DeathDate?.Clone();
    }

    /// <summary>
    /// The superseded-number rule: records <paramref name="e"/> as denied NHS_NUMBER_SUPERSEDED with
    /// its supersession, then throws the pointer. Does nothing for a number in use (the event is described).
    /// </summary>
    public async Task RefuseIfSupersededAsync(PatientResolution resolution, AuditEvent e, ServerCallContext context)
    {
        if (!resolution.Superseded)
        {
            Describe(e, resolution);
            return;
        }

        e.Supersession = SupersededNumber.Detail(resolution);
        throw await audit.DenyAsync(e, AuditDenialReason.NhsNumberSuperseded, SupersededNumber.Refusal(resolution.CurrentNhsNumber), context);
    }

    /// <summary>
    /// Both rules of a door that reads or grants access for <paramref name="purpose"/>: the
    /// superseded-number rule, then the deceased rule (direct and emergency care end a period
    /// after death), each refusal audited on <paramref name="e"/>.
    /// </summary>
    public async Task RequireAccessibleAsync(PatientResolution resolution, PurposeOfUse purpose, AuditEvent e, ServerCallContext context)
    {
        await RefuseIfSupersededAsync(resolution, e, context);
        if (CareHasEnded(resolution, purpose))
        {
            throw await audit.DenyAsync(e, AuditDenialReason.PatientDeceased, DeceasedRule.Refusal(), context);
        }
    }

    /// <summary>
    /// An information-governance door that reads about one patient (their consent, their audit
    /// trail): the number resolved, the caller authorised and linked (through any merged number),
    /// then a superseded number refused with the pointer, audited against the caller. Writes are
    /// not resolved: a choice is changed under the number it was recorded under.
    /// </summary>
    public async Task<(Actor Actor, PatientResolution Patient)> RequireGovernanceReadAsync(ServerCallContext context, string nhsNumber, string scope,
        Access.CallerAuthenticator authenticator, Access.GovernancePolicy policy)
    {
        NhsNumber.Require(nhsNumber);
        var patient = await ResolveAsync(nhsNumber, context);
        var actor = await authenticator.RequireGovernanceAsync(context, nhsNumber, scope, policy, patient.MergedNhsNumbers);
        if (patient.Superseded)
        {
            await RefuseIfSupersededAsync(patient, policy.Attempt(actor, nhsNumber, scope, PurposeOfUse.InformationGovernance), context);
        }

        return (actor, patient);
    }

    /// <summary>True when <paramref name="purpose"/> no longer applies to the resolved (deceased) patient.</summary>
    public bool CareHasEnded(PatientResolution resolution, PurposeOfUse purpose) =>
        DeceasedRule.Refuses(resolution.DeathDate, purpose, clock.GetUtcNow(), deceased.Value.CareContinuesFor);
}
