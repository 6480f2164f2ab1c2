using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>Search Bundles of the FHIR API: matches, includes, warnings (search.mode outcome) and the self/next links.</summary>
public sealed class FhirBundles(string baseUrl, DateTimeOffset now)
{
    private readonly R4.Bundle _bundle = new()
    {
        Id = Guid.NewGuid().ToString(),
        Meta = new R4.Meta { LastUpdated = now },
        Type = R4.Bundle.BundleType.Searchset,
        Timestamp = now,
    };

    public string BaseUrl => baseUrl;

    public FhirBundles Add(R4.Resource resource, R4.Bundle.SearchEntryMode mode = R4.Bundle.SearchEntryMode.Match)
    {
        _bundle.Entry.Add(new R4.Bundle.EntryComponent
        {
            FullUrl = resource is R4.OperationOutcome ? FhirValues.Urn(resource.Id!) : $"{baseUrl}/{resource.TypeName}/{resource.Id}",
            Resource = resource,
            Search = new R4.Bundle.SearchComponent { Mode = mode },
        });
        return this;
    }

    /// <summary>Says that part of the record is withheld, without saying what (as gRPC's patient_restrictions_apply).</summary>
    public FhirBundles Withheld(bool restrictionsApply, bool contactDetailsWithheld = false)
    {
        if (restrictionsApply)
        {
            Add(FhirErrors.Warning("PATIENT_RESTRICTIONS_APPLY",
                "Some of this patient's record is withheld at their request; what is withheld is not shown or counted."), R4.Bundle.SearchEntryMode.Outcome);
        }

        if (contactDetailsWithheld)
        {
            Add(FhirErrors.Warning("CONTACT_DETAILS_WITHHELD",
                "This patient's contact details and registered practice are withheld from the shared view."), R4.Bundle.SearchEntryMode.Outcome);
        }

        return this;
    }

    /// <summary>Says that the Flags carry their kind only (as gRPC's alert_details_withheld).</summary>
    public FhirBundles AlertDetailsWithheld(bool withheld)
    {
        if (withheld)
        {
            Add(FhirErrors.Warning("ALERT_DETAILS_WITHHELD",
                "Your role sees only that each risk or alert exists and its kind: each Flag's code holds the kind as text, without what the alert is."),
                R4.Bundle.SearchEntryMode.Outcome);
        }

        return this;
    }

    public FhirBundles Link(string relation, string url)
    {
        _bundle.Link.Add(new R4.Bundle.LinkComponent { Relation = relation, Url = url });
        return this;
    }

    /// <summary>The Bundle; <paramref name="total"/> only when the search is complete (never counting withheld entries).</summary>
    public R4.Bundle Build(int? total)
    {
        _bundle.Total = total;
        return _bundle;
    }

    /// <summary>A search URL from validated parameters (the caller's text is never quoted unchecked).</summary>
    public string SearchUrl(string type, IEnumerable<KeyValuePair<string, string>> parameters) =>
        $"{baseUrl}/{type}?" + string.Join("&", parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
}
