using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Hl7.Fhir.Serialization;
using Lcr.Gateway.Fhir;
using Lcr.ServiceDefaults;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>The one translation of the read path's refusals into OperationOutcomes, without a host.</summary>
public class FhirErrorsUnitTests
{
    private static (int Status, R4.OperationOutcome Outcome, string? Challenge) Map(Exception e) => FhirErrors.Map(e)!.Value;

    private static string Reason(R4.OperationOutcome o) => o.Issue[0].Details!.Coding.Single(c => c.System == FhirSystems.ErrorReason).Code!;

    private static string Json(R4.Resource r) =>
        System.Text.Json.JsonSerializer.Serialize(r, r.GetType(), new System.Text.Json.JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector));

    [Fact]
    public void Every_kind_of_not_there_is_the_same_404()
    {
        var expected = Map(new NotFoundException("entry"));
        Assert.Equal(404, expected.Status);
        foreach (var e in new Exception[]
        {
            new NotFoundException("patient"),
            new PermissionDeniedException("PATIENT_MISMATCH", "The access token was issued for a different patient."),
            new FailedPreconditionException("NOT_A_DOCUMENT", "The entry is not a document."),
            new RpcException(new Grpc.Core.Status(StatusCode.NotFound, "No such entry.")),
        })
        {
            var (status, outcome, _) = Map(e);
            Assert.Equal(404, status);
            Assert.Equal(Json(expected.Outcome), Json(outcome));
        }
    }

    [Fact]
    public void Refusals_keep_the_grpc_reason_and_get_their_http_status()
    {
        var (status, outcome, challenge) = Map(new UnauthenticatedException("TOKEN_EXPIRED", "The token has expired."));
        Assert.Equal(401, status);
        Assert.StartsWith("Bearer realm=", challenge);
        Assert.Equal("TOKEN_EXPIRED", Reason(outcome));

        (status, outcome, _) = Map(new PermissionDeniedException("PATIENT_OPTED_OUT", "Opted out."));
        Assert.Equal((403, "PATIENT_OPTED_OUT"), (status, Reason(outcome)));
        (status, outcome, _) = Map(new DependencyUnavailableException("AUDIT_UNAVAILABLE", "Not recorded."));
        Assert.Equal((503, "AUDIT_UNAVAILABLE"), (status, Reason(outcome)));
        Assert.Null(FhirErrors.Map(new InvalidOperationException("boom")));
    }

    [Fact]
    public void A_downstream_bad_field_is_named_as_the_fhir_parameter()
    {
        var rpc = new Google.Rpc.Status
        {
            Code = (int)StatusCode.InvalidArgument,
            Message = "Invalid page_token",
            Details =
            {
                Any.Pack(new ErrorInfo { Reason = "INVALID_ARGUMENT", Domain = ErrorDomain.Name }),
                Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "page_token", Description = "is not valid" } } }),
            },
        }.ToRpcException();
        var (status, outcome, _) = Map(rpc);
        Assert.Equal(400, status);
        Assert.Equal([FhirSearch.PageTokenParameter], outcome.Issue.Single().Expression);
        Assert.Equal(R4.OperationOutcome.IssueType.Invalid, outcome.Issue[0].Code);
    }
}
