using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Client;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.IdentityModel.JsonWebTokens;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>
/// `lcr seed`: synthetic patients contributed through the platform's own front door, as a GP
/// practice's feed client does it (CreatePatient, RecordCareRelationship, UpsertEntries through
/// the gateway with a system token). Deterministic NHS numbers (999 test range, from 9992000000
/// up, apart from the `make run` cohort) and stable source ids, so running it again changes nothing.
/// </summary>
internal static class SeedCommand
{
    public const string DefaultFeedClient = "b86001-gp-feed";
    public const int MaxPatients = 10_000;

    public static Command Create(CliEnvironment env)
    {
        var patients = new Option<int>("--patients") { Description = $"How many synthetic patients (1 to {MaxPatients}).", Required = true };
        var client = new Option<string>("--client")
        {
            Description = $"The GP feed client to contribute as (default: $LCR_FEED_CLIENT, else the profile's feed-client, else {DefaultFeedClient}); " +
                "secret from $LCR_CLIENT_SECRET or --secret-file.",
        };
        var secretFile = new Option<string>("--secret-file") { Description = "File holding the feed client's secret." };
        var command = new Command("seed",
            "Contributes synthetic patients (demographics, a registered-GP relationship, problems, medications, an allergy, results and a letter) " +
            "through the gateway as a feed client, with a progress bar. Idempotent: a second run reports everything unchanged.")
        {
            patients, client, secretFile,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var n = parse.GetValue(patients);
            if (n is < 1 or > MaxPatients)
            {
                throw new CliException(ExitCodes.Usage, $"--patients must be between 1 and {MaxPatients}");
            }

            var clientId = i.Settings.Pick(parse.GetValue(client), "--client", EnvironmentNames.FeedClient, p => p.FeedClient, DefaultFeedClient).Value!;
            var retry = new OutageRetry(i);
            var token = await retry.RunAsync(() => i.SystemTokenAsync(clientId, parse.GetValue(secretFile)));
            var ods = new JsonWebToken(token).TryGetPayloadValue<string>(TokenClaims.Organisation, out var o) && o is { Length: > 0 } ? o
                : throw new CliException(ExitCodes.Failure, "the system token names no organisation");
            var totals = new SeedTotals();
            var seeder = new Seeder(i, token, ods, retry);
            if (env.Interactive && !i.Json)
            {
                await env.Console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"Seeding {n} patients as {clientId} ({ods})", maxValue: n);
                        for (var k = 0; k < n; k++)
                        {
                            await seeder.SeedAsync(k, totals);
                            task.Increment(1);
                        }
                    });
            }
            else
            {
                for (var k = 0; k < n; k++)
                {
                    await seeder.SeedAsync(k, totals);
                }
            }

            if (i.Json)
            {
                i.WriteLine(totals.ToJson(clientId, ods, n));
                return;
            }

            var table = new Table { Title = new TableTitle($"Seeded {n} patients as {Markup.Escape(clientId)} ({Markup.Escape(ods)})"), Border = TableBorder.Rounded };
            table.AddColumn("").AddColumn("Created").AddColumn("Updated").AddColumn("Unchanged");
            table.AddRow("Patients", $"{totals.PatientsCreated}", "-", $"{totals.PatientsUnchanged}");
            table.AddRow("Care relationships", $"{totals.RelationshipsCreated}", "-", $"{totals.RelationshipsUnchanged}");
            table.AddRow("Entries", $"{totals.EntriesCreated}", $"{totals.EntriesUpdated}", $"{totals.EntriesUnchanged}");
            i.Console.Write(table);
            i.WriteLine($"NHS numbers {SyntheticFeed.NhsNumber(0)} to {SyntheticFeed.NhsNumber(n - 1)}; read one with `lcr record {SyntheticFeed.NhsNumber(0)}` " +
                $"(signed in as a professional of {ods}).");
        }));
        return command;
    }

    internal sealed class SeedTotals
    {
        public int PatientsCreated { get; set; }
        public int PatientsUnchanged { get; set; }
        public int RelationshipsCreated { get; set; }
        public int RelationshipsUnchanged { get; set; }
        public int EntriesCreated { get; set; }
        public int EntriesUpdated { get; set; }
        public int EntriesUnchanged { get; set; }

        public string ToJson(string client, string ods, int n) => new JsonObject
        {
            ["client"] = client,
            ["organisation"] = ods,
            ["patients"] = n,
            ["firstNhsNumber"] = SyntheticFeed.NhsNumber(0),
            ["lastNhsNumber"] = SyntheticFeed.NhsNumber(n - 1),
            ["patientsCreated"] = PatientsCreated,
            ["patientsUnchanged"] = PatientsUnchanged,
            ["relationshipsCreated"] = RelationshipsCreated,
            ["relationshipsUnchanged"] = RelationshipsUnchanged,
            ["entriesCreated"] = EntriesCreated,
            ["entriesUpdated"] = EntriesUpdated,
            ["entriesUnchanged"] = EntriesUnchanged,
        }.ToJsonString(JsonOut.Indented);
    }

    private sealed class Seeder(Invocation i, string token, string ods, OutageRetry retry)
    {
        private readonly DemographicsService.DemographicsServiceClient _demographics = new(i.Channel);
        private readonly ClinicalRecordService.ClinicalRecordServiceClient _clinical = new(i.Channel);

        public async Task SeedAsync(int k, SeedTotals totals)
        {
            var patient = SyntheticFeed.Patient(k, ods);
            try
            {
                var created = await retry.RunAsync(() => _demographics.CreatePatientAsync(new CreatePatientRequest { Patient = patient }, i.Options(token)).ResponseAsync);
                if (created.Created)
                {
                    totals.PatientsCreated++;
                }
                else
                {
                    totals.PatientsUnchanged++;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
            {
                // Changed since an earlier seed (e.g. contact details updated while exploring): keep it.
                totals.PatientsUnchanged++;
            }

            var relationship = await retry.RunAsync(() => i.Identity.RecordCareRelationshipAsync(new RecordCareRelationshipRequest
            {
                CareRelationship = SyntheticFeed.Registration(patient.NhsNumber, ods),
            }, i.Options(token)).ResponseAsync);
            if (relationship.Created)
            {
                totals.RelationshipsCreated++;
            }
            else
            {
                totals.RelationshipsUnchanged++;
            }

            var request = new UpsertEntriesRequest { SourceSystem = SyntheticFeed.SourceSystem };
            request.Entries.AddRange(SyntheticFeed.Entries(k, patient.NhsNumber));
            var reply = await retry.RunAsync(() => _clinical.UpsertEntriesAsync(request, i.Options(token)).ResponseAsync);
            foreach (var r in reply.Results)
            {
                switch (r.Outcome)
                {
                    case UpsertOutcome.Created:
                        totals.EntriesCreated++;
                        break;
                    case UpsertOutcome.Updated:
                        totals.EntriesUpdated++;
                        break;
                    default:
                        totals.EntriesUnchanged++;
                        break;
                }
            }
        }
    }
}

/// <summary>
/// How `lcr seed` rides out a platform that is starting, restarting or rate limiting it: every
/// call it makes is idempotent (system token issue, CreatePatient with identical details,
/// care relationships and entries under stable source ids), so UNAVAILABLE, DEADLINE_EXCEEDED
/// and RESOURCE_EXHAUSTED are retried, after the gateway's RetryInfo delay when it gives one, else
/// with exponential backoff (0.25 s doubling, at most 5 s), for up to <see cref="Budget"/> from
/// the first failure of a call. A person (not --json) is told once per outage what is being waited for.
/// </summary>
internal sealed class OutageRetry(Invocation i)
{
    /// <summary>How long one call keeps being retried before the seed gives up (exit code 6).</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private bool _waiting;

    /// <summary>Notes for a person on stderr; with --json stderr carries only the final error object.</summary>
    private void Note(string text)
    {
        if (!i.Json)
        {
            i.Note(text);
        }
    }

    public async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        var clock = i.Env.Clock;
        long? firstFailure = null;
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                var result = await call();
                if (_waiting)
                {
                    _waiting = false;
                    Note("The platform answers again; seeding goes on.");
                }

                return result;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded)
            {
                firstFailure ??= clock.GetTimestamp();
                var error = e.ToPlatformError();
                var delay = error.RetryDelay ?? backoff;
                if (clock.GetElapsedTime(firstFailure.Value) + delay > Budget)
                {
                    throw;
                }

                if (!_waiting)
                {
                    _waiting = true;
                    Note($"{error.Message} ({error.Reason ?? Lcr.Client.PlatformError.CodeName(error.Code)}): retrying for up to " +
                        $"{Budget.TotalSeconds:0} s (every seed call is idempotent); Ctrl-C stops.");
                }

                await Task.Delay(delay, clock, i.CancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}

/// <summary>The synthetic patients and entries `lcr seed` contributes: deterministic, invented, NHS numbers in the 999 test range.</summary>
internal static class SyntheticFeed
{
    public const string SourceSystem = "lcr seed";
    private const string Snomed = "http://snomed.info/sct";
    private const string Dmd = "https://dmd.nhs.uk";
    private static readonly string[] Families = ["Ashworth", "Begum", "Clarke", "Dzieko", "Eze", "Fletcher", "Gill", "Hussain", "Iqbal", "Jackson"];
    private static readonly string[] Given = ["Ada", "Bilal", "Carys", "Dev", "Ellis", "Farah", "Gareth", "Hana", "Imran", "Jess"];
    private static readonly string[] Streets = ["Burley Road", "Meanwood Road", "Tong Road", "Easterly Road", "Scott Hall Road"];
    private static readonly string[] Postcodes = ["LS4 2PT", "LS6 4QS", "LS12 4NQ", "LS8 3AW", "LS7 3DG"];

    private static readonly Lazy<IReadOnlyList<string>> Numbers = new(() =>
    {
        var list = new List<string>(SeedCommand.MaxPatients);
        for (var candidate = 999_200_000; list.Count < SeedCommand.MaxPatients; candidate++)
        {
            var nine = candidate.ToString(CultureInfo.InvariantCulture);
            var check = Lcr.ServiceDefaults.NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                list.Add(nine + (char)('0' + check));
            }
        }

        return list;
    });

    /// <summary>The NHS number of seeded patient <paramref name="k"/>.</summary>
    public static string NhsNumber(int k) => Numbers.Value[k];

    public static Patient Patient(int k, string practiceOds)
    {
        var female = k % 2 == 0;
        var birth = new DateOnly(1940, 1, 1).AddDays((k * 7919) % (365 * 80));
        return new Patient
        {
            NhsNumber = NhsNumber(k),
            Name = new HumanName { Prefix = female ? "Ms" : "Mr", Given = { Given[k % Given.Length] }, Family = Families[(k / Given.Length) % Families.Length] },
            BirthDate = new Date { Year = birth.Year, Month = birth.Month, Day = birth.Day },
            Gender = female ? AdministrativeGender.Female : AdministrativeGender.Male,
            Address = new Address { Lines = { $"{1 + (k % 180)} {Streets[k % Streets.Length]}", "Leeds" }, Postcode = Postcodes[k % Postcodes.Length] },
            Telephones = { new Telephone { Kind = TelephoneKind.Mobile, Number = $"07700 901{k % 1000:000}" } },
            RegisteredPractice = new OrganisationReference { OdsCode = practiceOds },
        };
    }

    public static CareRelationship Registration(string nhs, string practiceOds) => new()
    {
        NhsNumber = nhs,
        Kind = CareRelationshipKind.RegisteredGp,
        OrganisationOdsCode = practiceOds,
        StartTime = Timestamp.FromDateTime(new DateTime(2020, 4, 1, 0, 0, 0, DateTimeKind.Utc)),
        Source = new Provenance { SourceEntryId = $"lcr-seed-registration-{nhs}", SourceSystem = SourceSystem },
    };

    public static IEnumerable<EntryContribution> Entries(int k, string nhs)
    {
        Entry Base(string id, RecordCategory category, string system, string code, string display) => new()
        {
            NhsNumber = nhs,
            Category = category,
            Code = new CodedConcept { System = system, Code = code, Display = display },
            Provenance = new Provenance { SourceEntryId = $"lcr-seed-{nhs}-{id}" },
            Sensitivity = Sensitivity.Normal,
        };
        var onset = new Date { Year = 2015 + (k % 10), Month = 1 + (k % 12), Day = 1 + (k % 28) };
        var taken = Timestamp.FromDateTime(new DateTime(2026, 1 + (k % 10), 1 + (k % 28), 9, 30, 0, DateTimeKind.Utc));

        var htn = Base("p-htn", RecordCategory.Problems, Snomed, "38341003", "Hypertensive disorder, systemic arterial");
        htn.Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = onset };
        yield return new EntryContribution { Entry = htn };

        var amlodipine = Base("m-amlodipine", RecordCategory.Medications, Dmd, "39112911000001109", "Amlodipine 5mg tablets");
        amlodipine.Medication = new Medication
        {
            DoseText = "5 mg",
            FrequencyText = "once a day",
            Route = new CodedConcept { System = Snomed, Code = "26643006", Display = "Oral route" },
            StartDate = onset,
            Status = MedicationStatus.Active,
        };
        yield return new EntryContribution { Entry = amlodipine };

        if (k % 3 == 0)
        {
            var penicillin = Base("a-penicillin", RecordCategory.Allergies, Snomed, "764146007", "Penicillin");
            penicillin.Allergy = new Allergy
            {
                Type = AllergyType.Allergy,
                Reactions = { new CodedConcept { System = Snomed, Code = "271807003", Display = "Eruption of skin" } },
                Severity = AllergySeverity.Moderate,
                Criticality = AllergyCriticality.Low,
                VerificationStatus = AllergyVerificationStatus.Confirmed,
                OnsetDate = new Date { Year = 2001, Month = 5, Day = 1 },
            };
            yield return new EntryContribution { Entry = penicillin };
        }

        var bp = Base("r-sbp", RecordCategory.TestResults, Snomed, "271649006", "Systolic blood pressure");
        var systolic = 120 + (k % 45);
        bp.TestResult = new TestResult
        {
            Quantity = new Quantity { Value = systolic, Unit = "mm[Hg]" },
            ReferenceRange = new ReferenceRange { High = new Quantity { Value = 140, Unit = "mm[Hg]" }, Text = "<140 mm[Hg]" },
            AbnormalFlag = systolic > 140 ? AbnormalFlag.High : AbnormalFlag.Normal,
            EffectiveTime = taken,
            Status = ResultStatus.Final,
        };
        yield return new EntryContribution { Entry = bp };

        var letter = Base("d-review", RecordCategory.Documents, Snomed, "823691000000103", "Clinical letter");
        letter.Document = new Document { Type = DocumentType.ClinicLetter, Title = "Hypertension annual review", Author = "Practice nurse", AuthoredTime = taken };
        yield return new EntryContribution
        {
            Entry = letter,
            DocumentContent = new DocumentContent
            {
                ContentType = "text/plain",
                Data = ByteString.CopyFromUtf8($"Hypertension annual review\n\nBlood pressure {systolic}/80 mm[Hg]. Continue amlodipine 5 mg once a day. Review in 12 months."),
            },
        };
    }
}
