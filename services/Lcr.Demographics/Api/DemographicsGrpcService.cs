using Grpc.Core;
using Lcr.Demographics.Application;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Demographics.Api;

/// <summary>The gRPC face of <see cref="PatientService"/> and <see cref="SupersessionService"/>: no logic, just translation.</summary>
[InternalCaller]
public sealed class DemographicsGrpcService(PatientService patients, SupersessionService supersessions) : DemographicsService.DemographicsServiceBase
{
    public override async Task<GetPatientResponse> GetPatient(GetPatientRequest request, ServerCallContext context) =>
        new() { Patient = await patients.GetAsync(request.NhsNumber, context.CancellationToken) };

    public override Task<SearchPatientsResponse> SearchPatients(SearchPatientsRequest request, ServerCallContext context) =>
        patients.SearchAsync(request, context.CancellationToken);

    public override async Task<CreatePatientResponse> CreatePatient(CreatePatientRequest request, ServerCallContext context)
    {
        var (patient, created) = await patients.CreateAsync(request.Patient, CallerHeaders.RequireActor(context), context.CancellationToken);
        return new() { Patient = patient, Created = created };
    }

    public override async Task<UpdatePatientResponse> UpdatePatient(UpdatePatientRequest request, ServerCallContext context) =>
        new() { Patient = await patients.UpdateAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken) };

    public override async Task<UpdateContactDetailsResponse> UpdateContactDetails(UpdateContactDetailsRequest request, ServerCallContext context) =>
        new() { Patient = await patients.UpdateContactDetailsAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken) };

    public override Task<ListPatientHistoryResponse> ListPatientHistory(ListPatientHistoryRequest request, ServerCallContext context) =>
        patients.HistoryAsync(request, context.CancellationToken);

    public override Task<ReportSupersessionResponse> ReportSupersession(ReportSupersessionRequest request, ServerCallContext context) =>
        supersessions.ReportAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken);

    public override Task<WithdrawSupersessionResponse> WithdrawSupersession(WithdrawSupersessionRequest request, ServerCallContext context) =>
        supersessions.WithdrawAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken);

    public override Task<ResolveNhsNumberResponse> ResolveNhsNumber(ResolveNhsNumberRequest request, ServerCallContext context) =>
        supersessions.ResolveAsync(request, context.CancellationToken);

    public override Task<ListSupersessionsResponse> ListSupersessions(ListSupersessionsRequest request, ServerCallContext context) =>
        supersessions.ListAsync(request, context.CancellationToken);
}
