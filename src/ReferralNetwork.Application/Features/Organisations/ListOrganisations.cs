using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Application.Features.Organisations;

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record ListOrganisationsQuery(
    string? Kind = null, string? Municipality = null, string? Service = null, string? Language = null, bool? Active = null,
    string? Q = null, string? Cursor = null, int? Limit = null) : IQuery<Page<OrganisationView>>;

public sealed class ListOrganisationsValidator : AbstractValidator<ListOrganisationsQuery>
{
    public ListOrganisationsValidator(IDbSession session)
    {
        RuleFor(q => q.Kind).IsCode<ListOrganisationsQuery, OrganisationKind>();
        RuleFor(q => q.Municipality).IsText(100);
        RuleFor(q => q.Service).IsKnownServiceFilter(session);
        RuleFor(q => q.Language).IsLanguageTag().When(q => q.Language is not null);
        RuleFor(q => q.Q).IsText(100);
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
    }
}

public sealed class ListOrganisationsHandler(IDbSession session) : IQueryHandler<ListOrganisationsQuery, Page<OrganisationView>>
{
    public async ValueTask<Page<OrganisationView>> Handle(ListOrganisationsQuery query, CancellationToken ct)
    {
        var cursor = Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var where = new List<string>();
        var parameters = new DynamicParameters(new
        {
            query.Kind, query.Active, query.Q, query.Service, query.Language,
            At = cursor?.At, AfterId = cursor?.Id, Take = limit + 1,
        });
        if (query.Kind is not null) where.Add("o.kind = @Kind");
        if (query.Municipality is not null) where.Add(MunicipalityMatch.Condition("o.municipality", query.Municipality, parameters));
        if (query.Active is not null) where.Add("o.active = @Active");
        if (query.Q is not null) where.Add(session.Dialect.ContainsIgnoreCase("o.name", "@Q"));
        if (query.Service is not null) where.Add("EXISTS (SELECT 1 FROM organisation_services s WHERE s.organisation_id = o.id AND s.service_code = @Service)");
        if (query.Language is not null) where.Add("EXISTS (SELECT 1 FROM organisation_languages l WHERE l.organisation_id = o.id AND l.language = @Language)");
        // The redundant bound lets PostgreSQL seek the (created_at, id) index instead of filtering from the first row.
        if (cursor is not null) where.Add("o.created_at >= @At AND (o.created_at > @At OR (o.created_at = @At AND o.id > @AfterId))");
        var sql = $"""
            SELECT o.id, o.name, o.kind, o.municipality, o.capacity, o.contact_email AS ContactEmail, o.contact_phone AS ContactPhone,
                   o.active, o.created_at AS CreatedAt, o.version
            FROM organisations o
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY o.created_at, o.id
            {session.Dialect.Limit("@Take")}
            """;
        var items = await OrganisationReader.LoadAsync(session, sql, parameters, ct);
        // The rows arrive in order; the lookups preserve it.
        var page = items.Take(limit).ToList();
        var next = items.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new Page<OrganisationView>(page, next);
    }
}
