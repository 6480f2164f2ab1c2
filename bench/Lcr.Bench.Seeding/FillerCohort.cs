using System.Globalization;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Bench.Seeding;

/// <summary>One filler patient: its position in the filler sequence and its NHS number.</summary>
public readonly record struct FillerPatient(int Index, string NhsNumber);

/// <summary>
/// Filler patients: synthetic people loaded beside the seeded cohort so the stores have the size
/// of a real city's (issue 9's scaling curve). Filler <c>i</c> is always the same person with the
/// same NHS number, so a load can stop and resume, and a larger load adds only the missing ones.
/// <para>
/// NHS numbers are valid Modulus 11 numbers in the 999 range the NHS reserves for testing, from
/// a block above the cohort's (999 000 001 onwards, 200 patients): the nine leading digits run
/// from 999 010 000 upwards, skipping those with no check digit. The 999 range has room for
/// <see cref="Capacity"/> of them (about 900,000), which is therefore the largest filler load.
/// </para>
/// </summary>
public static class FillerCohort
{
    /// <summary>The nine leading digits of the first candidate.</summary>
    public const long FirstPrefix = 999_010_000;

    /// <summary>The last nine-digit prefix of the 999 range.</summary>
    public const long LastPrefix = 999_999_999;

    /// <summary>Every filler NHS number is at least this (as text, which orders like the number).</summary>
    public static readonly string LowestNhsNumber = FirstPrefix.ToString(CultureInfo.InvariantCulture) + "0";

    private static readonly Lazy<string[]> All = new(Generate);

    /// <summary>How many filler patients the 999 range has room for.</summary>
    public static int Capacity => All.Value.Length;

    /// <summary>The first <paramref name="count"/> filler patients.</summary>
    public static IReadOnlyList<FillerPatient> First(int count)
    {
        if (count < 0 || count > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"the 999 test range has room for {Capacity:N0} filler patients beside the cohort");
        }

        var all = All.Value;
        var result = new FillerPatient[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = new FillerPatient(i, all[i]);
        }

        return result;
    }

    private static string[] Generate()
    {
        var cohortTop = SyntheticCohort.Patients.Max(p => long.Parse(p.NhsNumber.AsSpan(0, 9), CultureInfo.InvariantCulture));
        if (cohortTop >= FirstPrefix)
        {
            throw new InvalidOperationException("the synthetic cohort has grown into the filler block: move FillerCohort.FirstPrefix up");
        }

        var result = new List<string>(910_000);
        Span<char> nine = stackalloc char[9];
        for (var prefix = FirstPrefix; prefix <= LastPrefix; prefix++)
        {
            prefix.TryFormat(nine, out _, provider: CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                result.Add(string.Concat(nine, [(char)('0' + check)]));
            }
        }

        return result.ToArray();
    }

    private static readonly string[] Families =
    [
        "Hart", "Okafor", "Patel", "Smith", "Kowalski", "Öztürk", "O'Brien", "Nguyen", "Brown", "Khan", "Wilson", "Taylor", "Ahmed",
        "Jones", "Murphy", "Singh", "Evans", "Walker", "Hughes", "Müller", "Wright", "Robinson", "Thompson", "White", "Hussain",
        "Begum", "Clarke", "Lewis", "Roberts", "Green", "Hall", "Wood", "Jackson", "Harris", "Martin", "Kaur", "Ali", "Mahmood",
        "Novak", "Dubois", "Rossi", "García", "Kelly", "Byrne", "Lee", "Chen", "Wang", "Mensah", "Adeyemi", "Ivanova",
    ];

    private static readonly string[] FemaleGiven =
    [
        "Amelia", "Grace", "Aisha", "Zofia", "Chloe", "Priya", "Niamh", "Joanne", "Fatima", "Eleanor", "Olivia", "Isla", "Maryam",
        "Sophie", "Hannah", "Ruby", "Anika", "Mei", "Leah", "Margaret", "Jean", "Patricia", "Sarah", "Emily", "Yasmin",
    ];

    private static readonly string[] MaleGiven =
    [
        "Oliver", "Mohammed", "Jack", "Tomasz", "Arjun", "Liam", "George", "Emre", "Daniel", "Samuel", "Harry", "Noah", "Ibrahim",
        "Thomas", "James", "William", "Kwame", "Wei", "Ryan", "David", "John", "Peter", "Michael", "Adam", "Yusuf",
    ];

    private static readonly (string Street, string Postcode)[] Streets =
    [
        ("Beckett Street", "LS9 7TF"), ("Roundhay Road", "LS8 5AB"), ("Kirkstall Lane", "LS5 3BT"), ("Harehills Avenue", "LS8 3QA"),
        ("Chapeltown Road", "LS7 4DN"), ("Otley Road", "LS6 3HN"), ("Dewsbury Road", "LS11 5PW"), ("York Road", "LS9 6LD"),
        ("Tong Road", "LS12 4NQ"), ("Scott Hall Road", "LS7 3JU"), ("Street Lane", "LS8 2EU"), ("Selby Road", "LS15 7JT"),
        ("Town Street", "LS13 3DX"), ("Stanningley Road", "LS13 4BX"), ("Harrogate Road", "LS17 6PF"), ("Moor Road", "LS10 2LE"),
    ];

    /// <summary>
    /// The demographics of filler patient <paramref name="p"/>, as a registration feed would send
    /// them: registered at one of the synthetic practices; one in 500 restricted (location withheld).
    /// </summary>
    public static Patient Demographics(FillerPatient p)
    {
        var r = new Random(unchecked((p.Index * 7919) + 104729));
        var female = r.Next(2) == 0;
        var given = female ? FemaleGiven[r.Next(FemaleGiven.Length)] : MaleGiven[r.Next(MaleGiven.Length)];
        var (street, postcode) = Streets[r.Next(Streets.Length)];
        var birth = new DateOnly(1930, 1, 1).AddDays(r.Next(0, 365 * 95));
        var patient = new Patient
        {
            NhsNumber = p.NhsNumber,
            Name = new HumanName { Prefix = female ? "Ms" : "Mr", Given = { given }, Family = Families[r.Next(Families.Length)] },
            BirthDate = new Date { Year = birth.Year, Month = birth.Month, Day = birth.Day },
            Gender = female ? AdministrativeGender.Female : AdministrativeGender.Male,
            Address = new Address { Lines = { $"{r.Next(1, 400)} {street}", "Leeds" }, Postcode = postcode },
            // 07700 900000-900999: the range Ofcom keeps for drama, never a real number.
            Telephones = { new Telephone { Kind = TelephoneKind.Mobile, Number = $"07700 900{r.Next(0, 1000):000}" } },
            RegisteredPractice = new OrganisationReference { OdsCode = PracticeOf(p) },
            Restricted = p.Index % 500 == 499,
        };
        if (r.Next(3) == 0)
        {
            patient.Name.Given.Add(female ? FemaleGiven[r.Next(FemaleGiven.Length)] : MaleGiven[r.Next(MaleGiven.Length)]);
        }

        return patient;
    }

    /// <summary>The GP practice filler patient <paramref name="p"/> is registered with (the cohort's three practices in turn).</summary>
    public static string PracticeOf(FillerPatient p) => SyntheticCohort.Practices[p.Index % SyntheticCohort.Practices.Count].Ods;
}
