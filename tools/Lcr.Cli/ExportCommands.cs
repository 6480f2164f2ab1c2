using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Grpc.Core;
using Lcr.Cli.SubjectAccess;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Security;

namespace Lcr.Cli;

/// <summary>
/// <c>lcr export</c>: a subject access request (UK GDPR Article 15) export as a FHIR R4 Bundle
/// file, for an information-governance officer (docs/subject-access.md). The access token is
/// issued from the signed-in IG officer's session with purpose subject-access (or given with
/// --token / $LCR_TOKEN). Streams the export to a temporary file beside <c>--output</c>, checks
/// its size and SHA-256 against the trailer, and only then renames it into place, so a failed or
/// cut-off export never leaves a partial file that looks complete. Exit codes as every command
/// (docs/cli.md); a stream cut short or not matching its checksum is 6 (nothing written: run it again).
/// <c>--format html</c> also renders the written Bundle as a printable document for the patient
/// (<see cref="SubjectAccessHtmlRenderer"/>), beside it with the extension .html.
/// </summary>
internal static class ExportCommands
{
    /// <summary>The least time an export is given, whatever --timeout says: a whole record with documents is large.</summary>
    private static readonly TimeSpan MinimumDeadline = TimeSpan.FromMinutes(2);

    public static Command Create(CliEnvironment env)
    {
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number (10 digits)." };
        var token = new Option<string>("--token")
        {
            Description = "A subject-access access token for this patient (default: $LCR_TOKEN; without one, lcr gets one from your cached IG officer session).",
        };
        var organisation = new Option<string>("--organisation") { Description = "Export this contributing organisation's part (its ODS code, e.g. B86001): your own organisation." };
        var whole = new Option<bool>("--whole-record") { Description = "Export the whole record across every organisation (the platform's IG team only)." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The file to write the FHIR Bundle (JSON) to.", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "json: the FHIR Bundle only (default). html: the Bundle and, beside it (same name, .html), a printable document the patient can read.",
            DefaultValueFactory = _ => "json",
        };
        format.AcceptOnlyFromAmong("json", "html");
        var command = new Command("export",
            "Exports a subject access request as a FHIR R4 Bundle file (SubjectAccessService.ExportSubjectAccess): an organisation's part, " +
            "or the whole record for the platform's IG team. Needs an IG officer (purpose subject-access). The export is audited.")
        {
            nhs, token, organisation, whole, output, format,
        };
        command.Validators.Add(result =>
        {
            var hasOrganisation = !string.IsNullOrEmpty(result.GetValue(organisation));
            if (hasOrganisation == result.GetValue(whole))
            {
                result.AddError("Give exactly one of --organisation ODS (your organisation's part) or --whole-record.");
            }
        });
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var request = new ExportSubjectAccessRequest { NhsNumber = patient };
            if (parse.GetValue(organisation) is { Length: > 0 } ods)
            {
                request.OrganisationOdsCode = ods;
            }
            else
            {
                request.WholeRecord = true;
            }

            var target = parse.GetValue(output)!;
            if (target.Directory is not { Exists: true })
            {
                throw new CliException(ExitCodes.Usage, $"--output: the directory {target.DirectoryName} does not exist");
            }

            var readable = parse.GetValue(format) == "html" ? ReadableCopyOf(target) : null;
            var bearer = await i.AccessTokenAsync(patient, parse.GetValue(token), PurposeOfUse.SubjectAccessRequest);
            var written = await i.WithProgressAsync("Exporting the subject access record...", report => ExportWithRetriesAsync(i, request, bearer, target, report));
            if (readable is not null)
            {
                await WriteReadableCopyAsync(target, readable, i.CancellationToken);
            }

            if (i.Json)
            {
                var json = written.ToJson(target);
                if (readable is not null)
                {
                    json["html"] = readable.FullName;
                }

                i.WriteLine(json.ToJsonString(JsonOut.Indented));
                return;
            }

            var header = written.Header;
            i.WriteLine($"Wrote {target.FullName}: {written.Bytes:N0} bytes, {header.EntryCount} entries ({header.EntryVersionCount} versions).");
            foreach (var count in header.ResourceCounts)
            {
                i.WriteLine($"  {count.ResourceType,-20} {count.Count,6}");
            }

            if (readable is not null)
            {
                i.WriteLine($"Wrote {readable.FullName}: the same record as a printable document for the patient (review it with the Bundle before release).");
            }

            i.WriteLine($"Audit event {header.AuditEventId}: record it in the subject access case file.");
        }));
        return command;
    }

    /// <summary>The readable copy's file: the Bundle's name with .html (sar.json: sar.html).</summary>
    private static FileInfo ReadableCopyOf(FileInfo bundle)
    {
        var html = Path.ChangeExtension(bundle.FullName, ".html");
        if (string.Equals(html, bundle.FullName, StringComparison.Ordinal))
        {
            throw new CliException(ExitCodes.Usage, "--output: name the Bundle file (e.g. sar.json); with --format html the readable copy is written beside it as .html");
        }

        return new FileInfo(html);
    }

    /// <summary>
    /// Renders the written Bundle as the patient's readable copy (SubjectAccess/), into
    /// <c>&lt;file&gt;.partial</c> then renamed, as the Bundle is: a failure leaves no partial copy.
    /// </summary>
    private static async Task WriteReadableCopyAsync(FileInfo bundle, FileInfo html, CancellationToken cancellationToken)
    {
        var partial = html.FullName + ".partial";
        try
        {
            await using (var source = new FileStream(bundle.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            {
                var record = await SubjectAccessRecord.ReadAsync(source, cancellationToken);
                await using var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
                await using var writer = new StreamWriter(file, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                await SubjectAccessHtmlRenderer.RenderAsync(record, writer, cancellationToken);
            }

            File.Move(partial, html.FullName, overwrite: true);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException or FormatException or ArgumentException)
        {
            // The exception's kind only: a parser's message may quote the record.
            throw new CliException(ExitCodes.Failure,
                $"the Bundle was written to {bundle.FullName}, but the readable copy could not be made ({e.GetType().Name}); nothing was written to {html.FullName}");
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private sealed record Written(SubjectAccessExportHeader Header, long Bytes, byte[] Sha256)
    {
        public JsonObject ToJson(FileInfo file)
        {
            var counts = new JsonObject();
            foreach (var c in Header.ResourceCounts)
            {
                counts[c.ResourceType] = c.Count;
            }

            return new JsonObject
            {
                ["file"] = file.FullName,
                ["bytes"] = Bytes,
                ["sha256"] = Convert.ToHexStringLower(Sha256),
                ["entryCount"] = Header.EntryCount,
                ["entryVersionCount"] = Header.EntryVersionCount,
                ["resourceCounts"] = counts,
                ["auditEventId"] = Header.AuditEventId,
            };
        }
    }

    /// <summary>
    /// The export is read-only and documented safe to retry (each attempt is a new, separately
    /// audited export), so UNAVAILABLE (a service still warming up or restarting) is retried, up
    /// to <see cref="Attempts"/> attempts within one deadline, as the client package does for
    /// unary reads (its ServiceConfig policy does not cover streams).
    /// </summary>
    private static async Task<Written> ExportWithRetriesAsync(Invocation i, ExportSubjectAccessRequest request, string bearer, FileInfo output,
        Action<string> report)
    {
        var timeout = i.Settings.CallTimeout > MinimumDeadline ? i.Settings.CallTimeout : MinimumDeadline;
        var deadline = i.Env.Clock.GetUtcNow().UtcDateTime + timeout;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExportAsync(i, request, bearer, output, deadline, report);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < Attempts)
            {
                report($"The platform is unavailable; trying again (attempt {attempt + 1} of {Attempts})...");
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), i.Env.Clock, i.CancellationToken);
            }
        }
    }

    private const int Attempts = 3;

    private static async Task<Written> ExportAsync(Invocation i, ExportSubjectAccessRequest request, string bearer, FileInfo output, DateTime deadline,
        Action<string> report)
    {
        var partial = output.FullName + ".partial";
        try
        {
            using var call = new SubjectAccessService.SubjectAccessServiceClient(i.Channel).ExportSubjectAccess(request,
                new CallOptions(BearerToken.Metadata(bearer), deadline, i.CancellationToken));
            SubjectAccessExportHeader? header = null;
            SubjectAccessExportTrailer? trailer = null;
            long written = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = File.Create(partial))
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(i.CancellationToken))
                {
                    switch (message.PartCase)
                    {
                        case ExportSubjectAccessResponse.PartOneofCase.Header:
                            header = message.Header;
                            report($"Exporting {header.EntryCount} entries ({header.EntryVersionCount} versions)...");
                            break;
                        case ExportSubjectAccessResponse.PartOneofCase.BundleChunk:
                            sha.AppendData(message.BundleChunk.Span);
                            await file.WriteAsync(message.BundleChunk.Memory, i.CancellationToken);
                            written += message.BundleChunk.Length;
                            report(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                                $"Exporting {header?.EntryCount ?? 0} entries: {written:N0} bytes received..."));
                            break;
                        case ExportSubjectAccessResponse.PartOneofCase.Trailer:
                            trailer = message.Trailer;
                            break;
                    }
                }
            }

            var digest = sha.GetHashAndReset();
            if (header is null || trailer is null || trailer.SizeBytes != written || !digest.AsSpan().SequenceEqual(trailer.Sha256.Span))
            {
                throw new CliException(ExitCodes.Unavailable,
                    "the export stream ended early or did not match its checksum; nothing was written: run the command again");
            }

            File.Move(partial, output.FullName, overwrite: true);
            return new Written(header, written, digest);
        }
        finally
        {
            File.Delete(partial); // after a failure; gone already after the rename
        }
    }
}
