using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// A referral's documents (metadata only, the file name opened with the person's key) for its referrer and receiver.
/// Erased ones stay listed, without a name, so a worker sees that a document existed and was shredded with the person.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ListAttachmentsQuery(Guid ReferralId) : IQuery<AttachmentList>;

public sealed class ListAttachmentsHandler(AttachmentStore attachments, PersonStore persons, ICurrentPrincipal current) : IQueryHandler<ListAttachmentsQuery, AttachmentList>
{
    public async ValueTask<AttachmentList> Handle(ListAttachmentsQuery query, CancellationToken ct)
    {
        var referral = await attachments.FindReferralAsync(query.ReferralId, current.Principal!.OrganisationId, ct);
        var rows = await attachments.ListAsync(referral.Id, ct);
        if (rows.Count == 0) return new AttachmentList([]);
        var person = await persons.FindAsync(referral.PersonId, ct);
        var key = person is null ? null : persons.DataKeyOf(person);
        return new AttachmentList(rows.Select(r => r.ToView(r.ErasedAt is null ? attachments.FileNameOf(r, key) : null)).ToList());
    }
}
