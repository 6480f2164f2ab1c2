using System.Globalization;
using System.Text.RegularExpressions;
using Lcr.Common.V1;
using Lcr.Demographics.Domain;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Demographics.Application;

/// <summary>
/// Validates patient fields from a request and writes them, normalised, onto a row. Every
/// bad field is collected before anything is written.
/// </summary>
internal static partial class PatientRules
{
    public const int MaxNameLength = 100;
    public const int MaxPrefixLength = 40;
    public const int MaxGivenNames = 10;
    public const int MaxAddressLines = 5;
    public const int MaxAddressLineLength = 100;
    public const int MaxTelephones = 10;
    public const int MaxEmailLength = 254;
    private static readonly DateOnly EarliestBirthDate = new(1880, 1, 1);

    /// <summary>The fields UpdatePatient may change, by update_mask path.</summary>
    public static readonly IReadOnlySet<string> UpdatableFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "name", "birth_date", "gender", "address", "telephones", "email", "registered_practice", "death_date", "restricted",
    };

    /// <summary>
    /// Validates the named <paramref name="fields"/> of <paramref name="p"/> (field paths prefixed with
    /// <paramref name="prefix"/>) and, if all are valid, returns an action that applies them to a row.
    /// </summary>
    public static Action<PatientRow> Validate(Patient p, IReadOnlySet<string> fields, DateOnly today, FieldViolations v, string prefix)
    {
        var apply = new List<Action<PatientRow>>();

        if (fields.Contains("name"))
        {
            var name = p.Name;
            if (name is null)
            {
                v.Add(prefix + "name", "is required");
            }
            else
            {
                var ok = v.RequireText(name.Family, prefix + "name.family", MaxNameLength);
                ok &= v.MaxLength(name.Prefix, prefix + "name.prefix", MaxPrefixLength);
                if (name.Given.Count == 0)
                {
                    ok = false;
                    v.Add(prefix + "name.given", "needs at least one given name");
                }
                else if (name.Given.Count > MaxGivenNames)
                {
                    ok = false;
                    v.Add(prefix + "name.given", $"allows at most {MaxGivenNames} given names");
                }

                for (var i = 0; i < name.Given.Count && i < MaxGivenNames; i++)
                {
                    ok &= v.RequireText(name.Given[i], $"{prefix}name.given[{i}]", MaxNameLength);
                }

                if (ok)
                {
                    var family = name.Family.Trim();
                    var given = name.Given.Select(g => g.Trim()).ToList();
                    var title = string.IsNullOrWhiteSpace(name.Prefix) ? null : name.Prefix.Trim();
                    apply.Add(r =>
                    {
                        r.Family = family;
                        r.Given = given;
                        r.Prefix = title;
                        r.FamilySearch = SearchText.Normalise(family);
                        r.GivenSearch = SearchText.Normalise(given[0]);
                    });
                }
            }
        }

        DateOnly? birth = null;
        if (fields.Contains("birth_date"))
        {
            birth = ValidateDate(p.BirthDate, prefix + "birth_date", required: true, today, v);
            if (birth is { } b)
            {
                if (b < EarliestBirthDate)
                {
                    v.Add(prefix + "birth_date", "is implausibly early");
                }
                else
                {
                    apply.Add(r => r.BirthDate = b);
                }
            }
        }

        if (fields.Contains("gender") && v.RequireEnum(p.Gender, prefix + "gender"))
        {
            var g = (int)p.Gender;
            apply.Add(r => r.Gender = g);
        }

        if (fields.Contains("address"))
        {
            var a = ValidateAddress(p.Address, prefix + "address", required: false, v);
            if (a is not null)
            {
                apply.Add(a);
            }
        }

        if (fields.Contains("telephones"))
        {
            var t = ValidateTelephones(p.Telephones, prefix + "telephones", v);
            if (t is not null)
            {
                apply.Add(r => r.Telephones = t);
            }
        }

        if (fields.Contains("email"))
        {
            var e = ValidateEmail(p.Email, prefix + "email", v);
            if (e.ok)
            {
                apply.Add(r => r.Email = e.value);
            }
        }

        if (fields.Contains("registered_practice"))
        {
            var ods = p.RegisteredPractice?.OdsCode?.Trim().ToUpperInvariant();
            if (string.IsNullOrEmpty(ods))
            {
                apply.Add(r => r.RegisteredPracticeOds = null);
            }
            else if (v.Check(OdsCode().IsMatch(ods), prefix + "registered_practice.ods_code",
                         "must be an ODS code: 3 to 10 letters and digits"))
            {
                apply.Add(r => r.RegisteredPracticeOds = ods);
            }
        }

        if (fields.Contains("death_date"))
        {
            var death = ValidateDate(p.DeathDate, prefix + "death_date", required: false, today, v);
            if (death is { } d && birth is { } b2 && d < b2)
            {
                v.Add(prefix + "death_date", "is before the date of birth");
            }
            else
            {
                apply.Add(r =>
                {
                    if (death is { } dd && dd < r.BirthDate)
                    {
                        throw new InvalidArgumentException(prefix + "death_date", "is before the date of birth");
                    }

                    r.DeathDate = death;
                });
            }
        }

        if (fields.Contains("restricted"))
        {
            var restricted = p.Restricted;
            apply.Add(r => r.Restricted = restricted);
        }

        return row =>
        {
            foreach (var a in apply)
            {
                a(row);
            }
        };
    }

    public static Action<PatientRow>? ValidateAddress(Address? address, string field, bool required, FieldViolations v)
    {
        if (address is null || (address.Lines.Count == 0 && string.IsNullOrWhiteSpace(address.Postcode)))
        {
            if (required)
            {
                v.Add(field, "is required");
                return null;
            }

            return r =>
            {
                r.AddressLines = [];
                r.Postcode = null;
                r.PostcodeSearch = null;
            };
        }

        var ok = true;
        if (address.Lines.Count == 0)
        {
            ok = v.Check(false, field + ".lines", "needs at least one line");
        }
        else if (address.Lines.Count > MaxAddressLines)
        {
            ok = v.Check(false, field + ".lines", $"allows at most {MaxAddressLines} lines");
        }

        for (var i = 0; i < address.Lines.Count && i < MaxAddressLines; i++)
        {
            ok &= v.RequireText(address.Lines[i], $"{field}.lines[{i}]", MaxAddressLineLength);
        }

        string? postcode = null;
        if (!string.IsNullOrWhiteSpace(address.Postcode))
        {
            postcode = Postcode.Normalise(address.Postcode);
            ok &= v.Check(postcode is not null, field + ".postcode", "must be a UK postcode, e.g. LS9 7TF");
        }

        if (!ok)
        {
            return null;
        }

        var lines = address.Lines.Select(l => l.Trim()).ToList();
        return r =>
        {
            r.AddressLines = lines;
            r.Postcode = postcode;
            r.PostcodeSearch = postcode is null ? null : Postcode.Compact(postcode);
        };
    }

    public static List<TelephoneValue>? ValidateTelephones(IList<Telephone> telephones, string field, FieldViolations v)
    {
        if (telephones.Count > MaxTelephones)
        {
            v.Add(field, $"allows at most {MaxTelephones} numbers");
            return null;
        }

        var ok = true;
        var result = new List<TelephoneValue>(telephones.Count);
        for (var i = 0; i < telephones.Count; i++)
        {
            var t = telephones[i];
            ok &= v.RequireEnum(t.Kind, $"{field}[{i}].kind");
            var number = t.Number?.Trim() ?? string.Empty;
            var digits = number.Count(char.IsAsciiDigit);
            var good = number.Length is >= 7 and <= 20 && TelephoneShape().IsMatch(number) && digits >= 7;
            ok &= v.Check(good, $"{field}[{i}].number", "must be a telephone number of 7 to 20 characters: digits, spaces and an optional leading +");
            result.Add(new TelephoneValue((int)t.Kind, number));
        }

        return ok ? result : null;
    }

    public static (bool ok, string? value) ValidateEmail(string? email, string field, FieldViolations v)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return (true, null);
        }

        var e = email.Trim();
        if (!v.MaxLength(e, field, MaxEmailLength))
        {
            return (false, null);
        }

        return v.Check(EmailShape().IsMatch(e), field, "must be an email address") ? (true, e) : (false, null);
    }

    public static DateOnly? ValidateDate(Date? date, string field, bool required, DateOnly today, FieldViolations v)
    {
        if (date is null || (date.Year == 0 && date.Month == 0 && date.Day == 0))
        {
            if (required)
            {
                v.Add(field, "is required");
            }

            return null;
        }

        if (date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 ||
            date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            v.Add(field, "is not a valid calendar date");
            return null;
        }

        var d = new DateOnly(date.Year, date.Month, date.Day);
        if (d > today)
        {
            v.Add(field, "must not be in the future");
            return null;
        }

        return d;
    }

    /// <summary>Today in the UK, where "in the future" is judged.</summary>
    public static DateOnly Today(TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        try
        {
            var london = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
            return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, london).DateTime);
        }
        catch (TimeZoneNotFoundException)
        {
            return DateOnly.FromDateTime(now.UtcDateTime);
        }
    }

    [GeneratedRegex("^[A-Z0-9]{3,10}$", RegexOptions.CultureInvariant)]
    private static partial Regex OdsCode();

    [GeneratedRegex(@"^\+?[0-9][0-9 ]*$", RegexOptions.CultureInvariant)]
    private static partial Regex TelephoneShape();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailShape();

    public static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);
}
