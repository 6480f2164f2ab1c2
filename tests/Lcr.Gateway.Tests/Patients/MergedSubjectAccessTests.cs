using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.V1;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests.Patients;

/// <summary>Issue 21: a subject access export of a merged record includes the old number's entries; of the old number, the pointer.</summary>
[Collection(PlatformCollection.Name)]
public class MergedSubjectAccessTests(PlatformFixture platform)
{
    private static async Task DrainAsync(GrpcChannel channel, string nhs, string token)
    {
        using var call = new SubjectAccessService.SubjectAccessServiceClient(channel)
            .ExportSubjectAccess(new ExportSubjectAccessRequest { NhsNumber = nhs, WholeRecord = true }, Bearer(token));
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
        }
    }

    [Fact]
    public async Task The_kept_numbers_export_includes_the_old_numbers_entries_and_the_old_number_gets_the_pointer()
    {
        var (away, into) = (Nhs(111), Nhs(113));
        var gateway0 = platform.Gateway.Channel;
        var entryId = await PatientIdentityCalls.ContributeProblemAsync(gateway0, away);
        var oldSar = (await AccessAsync(gateway0, "ig.platform", away, PurposeOfUse.SubjectAccessRequest)).AccessToken;
        await PatientIdentityCalls.MergeAsync(gateway0, "merge-sar-" + Guid.NewGuid().ToString("N"), away, into);

        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        await DrainAsync(gateway.Channel, into, (await AccessAsync(gateway.Channel, "ig.platform", into, PurposeOfUse.SubjectAccessRequest)).AccessToken);
        var export = Assert.Single(sent, x => x.Action == AuditAction.SubjectAccessExport);
        Assert.Contains(entryId, export.ReturnedEntryIds);
        Assert.Equal([away], export.MergedNhsNumbers);

        sent.Clear();
        var e = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(gateway.Channel, away, oldSar));
        Assert.Equal("NHS_NUMBER_SUPERSEDED", Reason(e));
        Assert.Equal(AuditDenialReason.NhsNumberSuperseded, Assert.Single(sent, x => x.Action == AuditAction.SubjectAccessExport).DenialReason);
    }
}
