using R4 = Hl7.Fhir.Model;
using Interaction = Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction;
using ParamType = Hl7.Fhir.Model.SearchParamType;

namespace Lcr.Gateway.Fhir;

/// <summary>The CapabilityStatement of <c>GET /fhir/metadata</c>: exactly what the API serves, and nothing more.</summary>
public static class FhirCapabilities
{
    public static R4.CapabilityStatement Build(string baseUrl, DateTimeOffset published)
    {
        var statement = new R4.CapabilityStatement
        {
            Id = "lcr-fhir",
            Meta = new R4.Meta { VersionId = "1", LastUpdated = published },
            Url = baseUrl + "/metadata",
            Name = "LeedsCareRecordFhirReadApi",
            Title = "Leeds Care Record FHIR R4 read API",
            Status = R4.PublicationStatus.Active,
            Date = new R4.FhirDateTime(published).Value,
            Publisher = "Leeds Care Record platform team",
            Description = "Read-only FHIR R4 access to one patient's shared care record, under the same enforcement and audit as the gRPC GetPatientRecord.",
            Kind = R4.CapabilityStatementKind.Instance,
            Software = new R4.CapabilityStatement.SoftwareComponent { Name = "Leeds Care Record gateway" },
            Implementation = new R4.CapabilityStatement.ImplementationComponent { Description = "Leeds Care Record FHIR API", Url = baseUrl },
            FhirVersion = R4.FHIRVersion.N4_0_1,
            Format = ["json", "application/fhir+json"],
        };
        var rest = new R4.CapabilityStatement.RestComponent
        {
            Mode = R4.CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = "Every request needs Authorization: Bearer <access token> from IssueAccessToken (patient-bound, direct or emergency care). " +
                            "Searches are scoped to the token's patient; _has, chaining, _include and _revinclude are not supported. JSON only.",
            Security = new R4.CapabilityStatement.SecurityComponent
            {
                Cors = false,
                Description = "OAuth-style bearer access tokens issued by the platform's identity service for one patient, purpose and role; " +
                              "consent (opt-out, withholdings, blocked viewers) and role categories are enforced, and every read is audited before it is answered.",
            },
        };
        rest.Security.Service.Add(new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "OAuth", "OAuth"));

        var patient = Resource("Patient", [Interaction.Read, Interaction.SearchType]);
        patient.SearchParam.Add(Param("identifier", ParamType.Token, "https://fhir.nhs.uk/Id/nhs-number|{NHS number}: the token's patient only"));
        patient.Operation.Add(new R4.CapabilityStatement.OperationComponent
        {
            Name = "everything",
            Definition = "http://hl7.org/fhir/OperationDefinition/Patient-everything",
            Documentation = "The whole record the token may see, paged: the Patient, then risks and alerts (Flag) first, then problems, medications, allergies, results (with their reports) and documents.",
        });
        rest.Resource.Add(patient);

        foreach (var (type, (_, own)) in FhirSearch.Types)
        {
            var r = Resource(type, FhirSearch.ReadableTypes.ContainsKey(type) ? [Interaction.Read, Interaction.SearchType] : [Interaction.SearchType]);
            r.SearchParam.Add(Param("patient", ParamType.Reference, "Required (or subject): the token's patient, {id} or Patient/{id}"));
            r.SearchParam.Add(Param("subject", ParamType.Reference, "Same as patient"));
            r.SearchParam.Add(Param("date", ParamType.Date, "The entry's clinical time (onset, start, effective or authored); prefixes eq, ge, gt, le, lt"));
            foreach (var p in own)
            {
                r.SearchParam.Add(Param(p, ParamType.Token, p == "category" ? "The one category this server holds for the type" : "active or inactive (resolved, stopped and completed count as inactive)"));
            }

            r.SearchParam.Add(Param("_count", ParamType.Number, $"Page size, 1 to {FhirSearch.MaxCount}; further pages through Bundle.link next"));
            rest.Resource.Add(r);
        }

        rest.Resource.Add(Resource("Binary", [Interaction.Read]));
        statement.Rest.Add(rest);
        statement.Text = new FhirNarrative("Leeds Care Record FHIR R4 read API")
            .Row("Read", "Patient/{id}, " + string.Join(", ", FhirSearch.ReadableTypes.Keys.Select(t => t + "/{id}")) + ", Binary/{id} (document content)")
            .Row("Search", "Patient?identifier; " + string.Join(", ", FhirSearch.Types.Keys) + " with patient={id}")
            .Row("Operations", "Patient/{id}/$everything")
            .Row("Format", "JSON (application/fhir+json) only")
            .Row("Security", "Bearer access token for one patient; consent and audit enforced on every read")
            .Build();
        return statement;
    }

    private static R4.CapabilityStatement.ResourceComponent Resource(string type, Interaction[] interactions)
    {
        var r = new R4.CapabilityStatement.ResourceComponent
        {
            Type = type,
            Versioning = R4.CapabilityStatement.ResourceVersionPolicy.Versioned,
            ReadHistory = false,
            ConditionalRead = R4.CapabilityStatement.ConditionalReadStatus.NotSupported,
        };
        foreach (var i in interactions)
        {
            r.Interaction.Add(new R4.CapabilityStatement.ResourceInteractionComponent { Code = i });
        }

        return r;
    }

    private static R4.CapabilityStatement.SearchParamComponent Param(string name, ParamType type, string documentation) =>
        new() { Name = name, Type = type, Documentation = documentation };
}
