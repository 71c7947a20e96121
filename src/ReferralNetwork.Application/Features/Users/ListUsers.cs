using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>The organisation's people, oldest first, a page at a time (<c>{items, nextCursor}</c>).</summary>
[AllowedRoles(Role.OrgAdmin)]
public sealed record ListUsersQuery(Guid OrganisationId, string? Cursor = null, int? Limit = null) : IQuery<Page<UserView>>;

public sealed class ListUsersValidator : AbstractValidator<ListUsersQuery>
{
    public ListUsersValidator()
    {
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
    }
}

public sealed class ListUsersHandler(ICurrentPrincipal current, UserStore users) : IQueryHandler<ListUsersQuery, Page<UserView>>
{
    public async ValueTask<Page<UserView>> Handle(ListUsersQuery query, CancellationToken ct)
    {
        if (current.Principal!.OrganisationId != query.OrganisationId) throw new NotFoundException("The organisation");
        var cursor = Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var rows = await users.ListAsync(query.OrganisationId, cursor is { } c ? (c.At, c.Id) : null, limit + 1, ct);
        var page = rows.Take(limit).Select(r => r.ToView()).ToList();
        return new Page<UserView>(page, rows.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id).Encode() : null);
    }
}

/// <summary>One person of the organisation.</summary>
[AllowedRoles(Role.OrgAdmin)]
public sealed record GetUserQuery(Guid OrganisationId, Guid UserId) : IQuery<UserView>;

public sealed class GetUserHandler(ICurrentPrincipal current, UserStore users) : IQueryHandler<GetUserQuery, UserView>
{
    public async ValueTask<UserView> Handle(GetUserQuery query, CancellationToken ct)
    {
        if (current.Principal!.OrganisationId != query.OrganisationId) throw new NotFoundException("The user");
        return (await users.FindAsync(query.OrganisationId, query.UserId, ct) ?? throw new NotFoundException("The user")).ToView();
    }
}
