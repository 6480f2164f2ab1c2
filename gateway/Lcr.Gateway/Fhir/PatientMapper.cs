using System.Globalization;
using R4 = Hl7.Fhir.Model;
using Proto = Lcr.Demographics.V1;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The patient's demographics as a UK Core style Patient: the NHS number identifier, and what
/// the platform holds (or, in a shared view of a restricted patient, what it may show).
/// </summary>
public static class PatientMapper
{
    /// <param name="held">The demographics; null when the platform holds none (the Patient then carries only the NHS number).</param>
    /// <param name="contactDetailsWithheld">The shared view left out the address, telephones and practice (restricted patient).</param>
    public static R4.Patient Map(Proto.Patient? held, FhirMappingContext context, bool contactDetailsWithheld = false)
    {
        var p = new R4.Patient { Id = context.PatientId, Meta = context.Meta(held?.Version ?? 1, held?.UpdateTime?.ToDateTimeOffset()) };
        p.Identifier.Add(new R4.Identifier(FhirSystems.NhsNumber, context.NhsNumber));
        var narrative = new FhirNarrative("Patient").Row("NHS number", context.NhsNumber);
        if (held is null)
        {
            p.Text = narrative.Row("Demographics", "none held").Build();
            return p;
        }

        if (held.Restricted || contactDetailsWithheld)
        {
            // A PDS restricted record: the location must not be disclosed to anyone but the patient.
            p.Meta.Security.Add(new R4.Coding(FhirSystems.Confidentiality, "R", "restricted"));
        }

        if (held.Name is { } name)
        {
            var n = new R4.HumanName { Use = R4.HumanName.NameUse.Usual, Family = Blank(name.Family), Given = name.Given };
            if (!string.IsNullOrEmpty(name.Prefix))
            {
                n.Prefix = [name.Prefix];
            }

            p.Name.Add(n);
            narrative.Row("Name", string.Join(" ", new[] { name.Prefix }.Concat(name.Given).Append(name.Family).Where(x => !string.IsNullOrEmpty(x))));
        }

        p.Gender = held.Gender switch
        {
            Proto.AdministrativeGender.Male => R4.AdministrativeGender.Male,
            Proto.AdministrativeGender.Female => R4.AdministrativeGender.Female,
            Proto.AdministrativeGender.Other => R4.AdministrativeGender.Other,
            Proto.AdministrativeGender.Unknown => R4.AdministrativeGender.Unknown,
            _ => null,
        };
        p.BirthDate = FhirDate(held.BirthDate);
        narrative.Row("Date of birth", p.BirthDate).Row("Gender", p.Gender?.ToString());
        if (held.Address is { } address && (address.Lines.Count > 0 || address.Postcode.Length > 0))
        {
            p.Address.Add(new R4.Address { Use = R4.Address.AddressUse.Home, Line = address.Lines, PostalCode = Blank(address.Postcode) });
            narrative.Row("Address", string.Join(", ", address.Lines.Append(address.Postcode).Where(x => !string.IsNullOrEmpty(x))));
        }

        foreach (var t in held.Telephones)
        {
            p.Telecom.Add(new R4.ContactPoint(R4.ContactPoint.ContactPointSystem.Phone, t.Kind switch
            {
                Proto.TelephoneKind.Home => R4.ContactPoint.ContactPointUse.Home,
                Proto.TelephoneKind.Mobile => R4.ContactPoint.ContactPointUse.Mobile,
                Proto.TelephoneKind.Work => R4.ContactPoint.ContactPointUse.Work,
                Proto.TelephoneKind.Temporary => R4.ContactPoint.ContactPointUse.Temp,
                _ => null,
            }, t.Number));
            narrative.Row("Telephone (" + Describe(t.Kind).ToLowerInvariant() + ")", t.Number);
        }

        if (!string.IsNullOrEmpty(held.Email))
        {
            p.Telecom.Add(new R4.ContactPoint(R4.ContactPoint.ContactPointSystem.Email, R4.ContactPoint.ContactPointUse.Home, held.Email));
            narrative.Row("Email", held.Email);
        }

        if (held.RegisteredPractice is { OdsCode.Length: > 0 } practice)
        {
            p.GeneralPractitioner.Add(FhirMappingContext.OrganisationIdentifier(practice));
            narrative.Row("Registered GP practice", (practice.DisplayName is { Length: > 0 } d ? d + " " : string.Empty) + "(" + practice.OdsCode + ")");
        }

        if (FhirDate(held.DeathDate) is { } died)
        {
            p.Deceased = new R4.FhirDateTime(died);
            narrative.Row("Date of death", died);
        }

        if (contactDetailsWithheld)
        {
            narrative.Row("Contact details", "withheld from the shared view");
        }

        narrative.Row("Record version", held.Version.ToString(CultureInfo.InvariantCulture));
        p.Text = narrative.Build();
        return p;
    }
}
