using System.CommandLine;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Gateway.V1;
using Lcr.Security;

namespace Lcr.Cli;

/// <summary>
/// <c>lcr export</c>: a subject access request (UK GDPR Article 15) export as a FHIR R4 Bundle
/// file, for an information-governance officer (docs/subject-access.md). Streams the export
/// to a temporary file beside <c>--output</c>, checks its size and SHA-256 against the
/// trailer, and only then renames it into place, so a failed or cut-off export never leaves a
/// partial file that looks complete. Exit codes: 0 written; 1 refused or failed (the status is
/// printed); 3 the stream ended early or the checksum did not match (nothing written).
/// </summary>
internal static class ExportCommands
{
    public static Command Create()
    {
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number (10 digits)." };
        var token = new Option<string>("--token")
        {
            Description = "An access token for this patient with purpose subject-access (`lcr token --purpose subject-access`); default $LCR_TOKEN.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LCR_TOKEN") ?? string.Empty,
        };
        var organisation = new Option<string>("--organisation") { Description = "Export this contributing organisation's part (its ODS code, e.g. B86001): your own organisation." };
        var whole = new Option<bool>("--whole-record") { Description = "Export the whole record across every organisation (the platform's IG team only)." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The file to write the FHIR Bundle (JSON) to.", Required = true };
        var address = new Option<string>("--address")
        {
            Description = "The gateway's gRPC address; default $LCR_ADDRESS or http://127.0.0.1:7100.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LCR_ADDRESS") ?? "http://127.0.0.1:7100",
        };
        var command = new Command("export", "Exports a subject access request as a FHIR R4 Bundle file (IG officers).")
        {
            nhs, token, organisation, whole, output, address,
        };
        command.Validators.Add(result =>
        {
            var hasOrganisation = !string.IsNullOrEmpty(result.GetValue(organisation));
            if (hasOrganisation == result.GetValue(whole))
            {
                result.AddError("Give exactly one of --organisation ODS (your organisation's part) or --whole-record.");
            }

            if (string.IsNullOrEmpty(result.GetValue(token)))
            {
                result.AddError("Give --token (or set LCR_TOKEN): get one with `lcr token --session S --nhs N --purpose subject-access`.");
            }
        });
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(address)!, parse.GetValue(token)!, parse.GetValue(nhs)!,
            parse.GetValue(organisation), parse.GetValue(output)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(string address, string token, string nhsNumber, string? organisation, FileInfo output, CancellationToken ct)
    {
        var request = new ExportSubjectAccessRequest { NhsNumber = nhsNumber };
        if (string.IsNullOrEmpty(organisation))
        {
            request.WholeRecord = true;
        }
        else
        {
            request.OrganisationOdsCode = organisation;
        }

        var partial = new FileInfo(output.FullName + ".partial");
        try
        {
            using var channel = GrpcChannel.ForAddress(address);
            using var call = new SubjectAccessService.SubjectAccessServiceClient(channel).ExportSubjectAccess(request,
                BearerToken.Metadata(token), deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct);
            SubjectAccessExportHeader? header = null;
            SubjectAccessExportTrailer? trailer = null;
            long written = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = partial.Create())
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    switch (message.PartCase)
                    {
                        case ExportSubjectAccessResponse.PartOneofCase.Header:
                            header = message.Header;
                            break;
                        case ExportSubjectAccessResponse.PartOneofCase.BundleChunk:
                            sha.AppendData(message.BundleChunk.Span);
                            await file.WriteAsync(message.BundleChunk.Memory, ct);
                            written += message.BundleChunk.Length;
                            break;
                        case ExportSubjectAccessResponse.PartOneofCase.Trailer:
                            trailer = message.Trailer;
                            break;
                    }
                }
            }

            if (header is null || trailer is null || trailer.SizeBytes != written || !sha.GetHashAndReset().AsSpan().SequenceEqual(trailer.Sha256.Span))
            {
                partial.Delete();
                await Console.Error.WriteLineAsync("The export stream ended early or did not match its checksum; nothing was written. Run the command again.");
                return 3;
            }

            partial.MoveTo(output.FullName, overwrite: true);
            Console.WriteLine($"Wrote {output.FullName}: {written:N0} bytes, {header.EntryCount} entries ({header.EntryVersionCount} versions).");
            foreach (var count in header.ResourceCounts)
            {
                Console.WriteLine($"  {count.ResourceType,-20} {count.Count,6}");
            }

            Console.WriteLine($"Audit event {header.AuditEventId}: record it in the subject access case file.");
            return 0;
        }
        catch (RpcException e)
        {
            partial.Refresh();
            if (partial.Exists)
            {
                partial.Delete();
            }

            await Console.Error.WriteLineAsync($"{e.StatusCode}: {e.Status.Detail}");
            foreach (var v in e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations ?? [])
            {
                await Console.Error.WriteLineAsync($"  {v.Field}: {v.Description}");
            }

            return 1;
        }
    }
}
