// Reads one patient's shared care record through the gateway with Lcr.Client:
// sign in, get a patient-bound access token (renewed automatically), read with a deadline
// (reads are retried on UNAVAILABLE), print a summary or the error's google.rpc details.
//
// Environment: LCR_GATEWAY (default http://127.0.0.1:7100), LCR_USER (default gp.b86001),
// LCR_PASSWORD (required; `make run` writes it to .data/secrets/dev-password),
// LCR_NHS_NUMBER (default 9990000018), LCR_TIMEOUT_MS (deadline of each call, default 10000).
// Run: dotnet run --project clients/dotnet/Lcr.Client.Sample
// Exit code: 0 on success, 1 when a call failed, 2 on bad configuration.
using Grpc.Core;
using Lcr.Client;
using Lcr.Common.V1;

var gateway = Environment.GetEnvironmentVariable("LCR_GATEWAY") ?? "http://127.0.0.1:7100";
var user = Environment.GetEnvironmentVariable("LCR_USER") ?? "gp.b86001";
var password = Environment.GetEnvironmentVariable("LCR_PASSWORD") ?? string.Empty;
var nhsNumber = Environment.GetEnvironmentVariable("LCR_NHS_NUMBER") ?? "9990000018";
var timeout = TimeSpan.FromMilliseconds(int.Parse(Environment.GetEnvironmentVariable("LCR_TIMEOUT_MS") ?? "10000", System.Globalization.CultureInfo.InvariantCulture));
if (password.Length == 0)
{
    Console.Error.WriteLine("Set LCR_PASSWORD to the seeded users' password (make run writes it to .data/secrets/dev-password).");
    return 2;
}

using var lcr = LcrClient.Create(new LcrClientOptions { Address = new Uri(gateway), DefaultDeadline = timeout });
try
{
    var session = await lcr.SignInAsync(user, password);
    Console.WriteLine($"Signed in as {session.Professional.DisplayName} ({user}); session expires {session.ExpireTime:u}");

    var active = session.Professional.RoleAssignments.Where(r => r.EndTime is null).ToList();
    var tokens = session.AccessTokens(nhsNumber, PurposeOfUse.DirectCare, active.Count > 1 ? active[0].Id : null);
    var gatewayClient = lcr.Gateway(tokens);

    // Every call gets the client's default deadline; a call may also set its own.
    var record = await gatewayClient.GetPatientRecordAsync(new() { NhsNumber = nhsNumber }, deadline: DateTime.UtcNow + timeout);
    Console.WriteLine($"Record of {nhsNumber} (record version {record.RecordVersion}, audit event {record.AuditEventId})");
    Console.WriteLine($"  returned categories: {string.Join(", ", record.ReturnedCategories)}");
    foreach (var count in record.CategoryCounts)
    {
        Console.WriteLine($"  {count.Category}: {count.Count} entries");
    }

    Console.WriteLine($"  active problems: {string.Join("; ", record.ActiveProblems.Select(e => e.Code.Display))}");
    Console.WriteLine($"  current medications: {string.Join("; ", record.CurrentMedications.Select(e => e.Code.Display))}");

    // Paging: every page is its own audited read; fetch pages as the user scrolls, never all up front.
    var page = await gatewayClient.ListRecordEntriesAsync(new() { NhsNumber = nhsNumber, Category = RecordCategory.Problems, PageSize = 2 });
    Console.WriteLine($"  first page of problems: {page.Entries.Count} entries, more: {page.NextPageToken.Length > 0}");
    return 0;
}
catch (RpcException e)
{
    Console.Error.WriteLine($"Error: {e.ToPlatformError()}");
    return 1;
}
