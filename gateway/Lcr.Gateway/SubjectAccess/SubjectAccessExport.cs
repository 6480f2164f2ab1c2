using Lcr.Common.V1;
using Lcr.Gateway.V1;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// A prepared export, its audit event committed: the header to send first and the Bundle to
/// write, whose current documents' contents are still to be fetched (as the patient and
/// actor named here) while it is written.
/// </summary>
public sealed record SubjectAccessExport(SubjectAccessExportHeader Header, R4.Bundle Bundle, string NhsNumber, Actor Actor, int AccessLogEvents)
{
    /// <summary>The NHS numbers merged into <see cref="NhsNumber"/>, whose documents are part of the export too.</summary>
    public IReadOnlyList<string> MergedNhsNumbers { get; init; } = [];
}
