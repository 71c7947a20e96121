using FluentValidation;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.People;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>A person as a referrer describes them. Identity fields are encrypted; the rest stays in clear for routing and statistics.</summary>
public sealed record PersonInput(
    string? GivenName, string? FamilyName, int? BirthYear, string? Sex, string? Nationality, IReadOnlyList<string>? Languages,
    string? LegalStatus, IReadOnlyList<string>? Vulnerabilities, Guid? GuardianOrganisationId = null, string? ExternalRef = null,
    string? DateOfBirth = null, string? Phone = null, string? Address = null, string? DocumentNumber = null);

/// <summary>The encrypted part of a person.</summary>
public sealed record PersonIdentity(string GivenName, string FamilyName, string? DateOfBirth, string? Phone, string? Address, string? DocumentNumber);

/// <summary>
/// A person as <c>GET /persons/{id}</c> shows them: the clear attributes, and <see cref="Identity"/> — decrypted for the
/// owning organisation or one involved in a referral of the person (each such read is audited), null once erased.
/// </summary>
public sealed record PersonView(
    Guid Id, Guid OwnerOrganisationId, string? ExternalRef, string? Initials, int BirthYear, string Sex, string? Nationality,
    IReadOnlyList<string> Languages, string LegalStatus, IReadOnlyList<string> Vulnerabilities, Guid? GuardianOrganisationId,
    bool Erased, DateTimeOffset? ErasedAt, PersonIdentity? Identity)
{
    /// <summary>The person this record was merged into as a duplicate (issue 17): their referrals, consents and access log are now read there.</summary>
    public Guid? MergedInto { get; init; }

    public static PersonView Of(PersonRow row, PersonIdentity? identity)
    {
        var summary = row.ToSummary();
        return new(row.Id, row.OwnerOrganisationId, row.ExternalRef, row.Initials, row.BirthYear, row.Sex, row.Nationality, summary.Languages,
            row.LegalStatus, summary.Vulnerabilities, row.GuardianOrganisationId, summary.Erased, row.ErasedAt, identity) { MergedInto = row.MergedIntoId };
    }
}

/// <summary>What lists and parties see without reading the identity: initials and birth year, never names.</summary>
public sealed record PersonSummary(Guid Id, string? Initials, int BirthYear, string Sex, string? Nationality, IReadOnlyList<string> Languages,
    string LegalStatus, IReadOnlyList<string> Vulnerabilities, Guid? GuardianOrganisationId, bool Erased)
{
    /// <summary>The person this record was merged into as a duplicate (issue 17), null otherwise.</summary>
    public Guid? MergedInto { get; init; }
}

public sealed class PersonInputValidator : AbstractValidator<PersonInput>
{
    public PersonInputValidator(TimeProvider time)
    {
        var year = time.GetUtcNow().Year;
        RuleFor(p => p.GivenName).NotEmpty().IsText(100);
        RuleFor(p => p.FamilyName).NotEmpty().IsText(100);
        RuleFor(p => p.BirthYear).NotNull().InclusiveBetween(year - 120, year);
        RuleFor(p => p.Sex).NotEmpty().IsCode<PersonInput, Sex>();
        RuleFor(p => p.Nationality).IsCountryCode();
        RuleFor(p => p.Languages).Must(l => l is null || l.Count <= 10).WithMessage("At most 10 languages.");
        RuleForEach(p => p.Languages).IsLanguageTag();
        RuleFor(p => p.LegalStatus).NotEmpty().IsCode<PersonInput, LegalStatus>();
        RuleFor(p => p.Vulnerabilities).Must(v => v is null || v.Count <= 10).WithMessage("At most 10 vulnerabilities.");
        RuleForEach(p => p.Vulnerabilities).NotEmpty().IsCode<PersonInput, Vulnerability>();
        RuleFor(p => p.ExternalRef).IsText(100);
        RuleFor(p => p.DateOfBirth).Must(d => d is null || (DateOnly.TryParseExact(d, "yyyy-MM-dd", out var date) && TimeBounds.Contains(date)
                && date <= DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime)))
            .WithMessage("Use yyyy-MM-dd, a date between 1900-01-01 and today.");
        RuleFor(p => p.Phone).IsText(50);
        RuleFor(p => p.Address).IsText(300);
        RuleFor(p => p.DocumentNumber).IsText(50);
    }
}

public static class Initials
{
    public static string Of(string givenName, string familyName) =>
        $"{First(givenName)}.{First(familyName)}.";

    private static string First(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.Length == 0) return "?";
        // A whole text element, so a combining mark or surrogate pair is not cut in half.
        var enumerator = System.Globalization.StringInfo.GetTextElementEnumerator(trimmed);
        enumerator.MoveNext();
        return enumerator.GetTextElement().ToUpperInvariant();
    }
}
