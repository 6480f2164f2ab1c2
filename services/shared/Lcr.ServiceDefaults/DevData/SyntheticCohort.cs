namespace Lcr.ServiceDefaults.DevData;

/// <summary>
/// The synthetic patients every service seeds for <c>make run</c>, generated the same way
/// each time so the demographics, identity (relationships), consent and clinical record
/// seeds describe the same people. All NHS numbers are in the 999 range the NHS reserves
/// for testing; all names and addresses are invented.
/// </summary>
public static class SyntheticCohort
{
    public const int Size = 200;

    /// <summary>GP practices of the synthetic city (ODS-shaped codes, invented).</summary>
    public static readonly IReadOnlyList<(string Ods, string Name)> Practices =
    [
        ("B86001", "Beckett Street Surgery"),
        ("B86002", "Roundhay Road Medical Centre"),
        ("B86003", "Kirkstall Health Centre"),
    ];

    private static readonly string[] Families =
    [
        "Hart", "Okafor", "Patel", "Smith", "Kowalski", "Öztürk", "O'Brien", "Nguyen", "Brown", "Khan",
        "Wilson", "Taylor", "Ahmed", "Jones", "Murphy", "Singh", "Evans", "Walker", "Hughes", "Müller",
    ];

    private static readonly string[] FemaleGiven = ["Amelia", "Grace", "Aisha", "Zofia", "Chloe", "Priya", "Niamh", "Joanne", "Fatima", "Eleanor"];
    private static readonly string[] MaleGiven = ["Oliver", "Mohammed", "Jack", "Tomasz", "Arjun", "Liam", "George", "Emre", "Daniel", "Samuel"];
    private static readonly string[] Streets = ["Beckett Street", "Roundhay Road", "Kirkstall Lane", "Harehills Avenue", "Chapeltown Road", "Otley Road", "Dewsbury Road", "York Road"];
    private static readonly string[] Postcodes = ["LS9 7TF", "LS8 5AB", "LS5 3BT", "LS8 3QA", "LS7 4DN", "LS6 3HN", "LS11 5PW", "LS9 6LD"];

    /// <summary>The cohort, in a fixed order; the first patient is the one the README's examples use.</summary>
    public static IReadOnlyList<SyntheticPatient> Patients { get; } = Generate();

    private static List<SyntheticPatient> Generate()
    {
        var random = new Random(20261124);
        var result = new List<SyntheticPatient>(Size);
        var candidate = 999_000_001;
        while (result.Count < Size)
        {
            var nine = candidate.ToString(System.Globalization.CultureInfo.InvariantCulture);
            candidate += 7;
            var check = NhsNumber.CheckDigit(nine);
            if (check < 0)
            {
                continue;
            }

            var i = result.Count;
            var female = i % 2 == 0;
            var given = female ? FemaleGiven[random.Next(FemaleGiven.Length)] : MaleGiven[random.Next(MaleGiven.Length)];
            var family = Families[random.Next(Families.Length)];
            var street = random.Next(Streets.Length);
            var birth = new DateOnly(1935, 1, 1).AddDays(random.Next(0, 365 * 85));
            var practice = Practices[i % Practices.Count].Ods;
            result.Add(new SyntheticPatient(
                NhsNumber: nine + (char)('0' + check),
                Prefix: female ? "Ms" : "Mr",
                Given: given,
                Family: family,
                BirthDate: birth,
                Female: female,
                AddressLines: [$"{random.Next(1, 200)} {Streets[street]}", "Leeds"],
                Postcode: Postcodes[street],
                Mobile: $"07700 900{random.Next(0, 1000):000}",
                PracticeOds: practice,
                // Every 40th patient has a restricted (location-withheld) record.
                Restricted: i % 40 == 39));
        }

        return result;
    }
}

/// <summary>One synthetic patient.</summary>
public sealed record SyntheticPatient(
    string NhsNumber,
    string Prefix,
    string Given,
    string Family,
    DateOnly BirthDate,
    bool Female,
    IReadOnlyList<string> AddressLines,
    string Postcode,
    string Mobile,
    string PracticeOds,
    bool Restricted);
