using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Referrals;

public sealed record NotesView(Guid ReferralId, IReadOnlyList<NoteView> Items);

/// <summary>The notes of a referral, oldest first, for its referrer and receiver (observers: 403).</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ListReferralNotesQuery(Guid Id) : IQuery<NotesView>;

public sealed class ListReferralNotesHandler(ReferralReader reader, ReferralNotes notes, ICurrentPrincipal current) : IQueryHandler<ListReferralNotesQuery, NotesView>
{
    public async ValueTask<NotesView> Handle(ListReferralNotesQuery query, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var row = await reader.FindVisibleAsync(query.Id, organisationId, ct) ?? throw new NotFoundException("The referral");
        ReferralNotes.EnsureMayRead(row.PartyOf(organisationId));
        return new NotesView(row.Id, await notes.ListAsync(row, ct, organisationId));
    }
}
