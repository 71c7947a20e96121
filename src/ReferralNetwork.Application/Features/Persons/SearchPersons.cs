using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// <c>GET /persons?q=&amp;birthYear=&amp;nationality=</c> (issue 17): the persons the caller's organisation may see — it owns
/// the record, or takes part in or observes one of their referrals (the rule of <c>GET /persons/{id}</c>) — whose name
/// tokens (folded or phonetic), phone digits or externalRef match <c>q</c>, newest first, keyset-paged. Identities stay
/// sealed at rest: the match runs on the blind index. Each identity returned is opened, so each is a
/// <c>person.identity_read</c> in the access log, exactly as <c>GET /persons/{id}</c> records one: it is a command.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record SearchPersonsCommand(string? Q, int? BirthYear = null, string? Nationality = null, string? Cursor = null, int? Limit = null)
    : ICommand<Page<PersonView>>;

public sealed class SearchPersonsValidator : AbstractValidator<SearchPersonsCommand>
{
    public SearchPersonsValidator(TimeProvider time)
    {
        var year = time.GetUtcNow().Year;
        RuleFor(c => c.Q).NotEmpty().MaximumLength(100)
            .Must(q => q is null || SearchTerms.Tokens(q).Count > 0).WithMessage("q needs a letter or a digit.");
        RuleFor(c => c.BirthYear).InclusiveBetween(year - 120, year);
        RuleFor(c => c.Nationality).IsCountryCode();
        RuleFor(c => c.Cursor).MaximumLength(200);
        RuleFor(c => c.Limit).IsLimit();
    }
}

public sealed class SearchPersonsHandler(IDbSession session, ICurrentPrincipal current, PersonStore persons, PersonSearchIndex search, IAuditLog audit)
    : ICommandHandler<SearchPersonsCommand, Page<PersonView>>
{
    public async ValueTask<Page<PersonView>> Handle(SearchPersonsCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var cursor = Cursor.Decode(command.Cursor);
        var limit = command.Limit ?? Paging.DefaultLimit;
        var parameters = new DynamicParameters(new
        {
            Org = organisationId, command.BirthYear, command.Nationality, Ref = command.Q!.Trim(), At = cursor?.At, BeforeId = cursor?.Id, Take = limit + 1,
        });
        // A duplicate merged into another record (issue 17) is found as that record, never on its own.
        var match = search.MergedCondition(command.Q, "p.id", parameters);
        var where = new List<string>
        {
            "p.wrapped_key IS NOT NULL",
            "p.merged_into_id IS NULL",
            $"(p.owner_organisation_id = @Org OR EXISTS (SELECT 1 FROM referrals r WHERE {PersonRow.OfPerson("r.person_id", "p.id")} AND {Referrals.ReferralRow.VisibleTo}))",
            // externalRef is the owner's own case number: it finds the person for the owner only.
            $"({match} OR (p.owner_organisation_id = @Org AND p.external_ref = @Ref))",
        };
        if (command.BirthYear is not null) where.Add("p.birth_year = @BirthYear");
        if (command.Nationality is not null) where.Add("p.nationality = @Nationality");
        if (cursor is not null) where.Add("p.created_at <= @At AND (p.created_at < @At OR (p.created_at = @At AND p.id < @BeforeId))");
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<SearchRow>(new CommandDefinition($"""
            SELECT {PersonRow.Columns}, p.created_at AS CreatedAt, p.identity_sealed AS IdentitySealed
            FROM persons p
            WHERE {string.Join(" AND ", where)}
            ORDER BY p.created_at DESC, p.id DESC
            {session.Dialect.Limit("@Take")}
            """, parameters, session.Transaction, cancellationToken: ct))).ToList();

        var items = new List<PersonView>();
        foreach (var row in rows.Take(limit))
        {
            PersonRow person = row;
            var identity = persons.OpenIdentity(person, row.IdentitySealed);
            audit.Record(new AuditEntry(AuditStreams.Person(person.Id), "person.identity_read", new Dictionary<string, object?>
            {
                ["personId"] = person.Id, ["organisationId"] = organisationId, ["viaReferralId"] = null,
                ["basis"] = person.OwnerOrganisationId == organisationId ? "owner" : "referral", ["erased"] = identity is null, ["via"] = "search",
            }));
            var view = PersonView.Of(person, identity);
            items.Add(person.OwnerOrganisationId == organisationId ? view : view with { ExternalRef = null });
        }
        var next = rows.Count > limit ? new Cursor(rows[limit - 1].CreatedAt, rows[limit - 1].Id).Encode() : null;
        return new Page<PersonView>(items, next);
    }

    /// <summary>A person's row with the time it was created (the search's keyset) and the sealed identity, read in the same statement.</summary>
    private sealed record SearchRow : PersonRow
    {
        public DateTimeOffset CreatedAt { get; init; }
        public byte[]? IdentitySealed { get; init; }
    }
}
