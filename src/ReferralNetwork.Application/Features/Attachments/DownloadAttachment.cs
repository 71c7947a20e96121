using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// Opens a document for download. Like reading an identity it is a command: a <c>person.attachment_read</c> event on the
/// person's stream (who, which organisation, through which referral, which document) commits before a byte is sent, so
/// no download goes unrecorded; the content is then opened chunk by chunk as the response is written. After the
/// person's erasure: 410 Gone.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record DownloadAttachmentCommand(Guid ReferralId, Guid AttachmentId) : ICommand<AttachmentDownload>;

public sealed class DownloadAttachmentHandler(AttachmentStore attachments, PersonStore persons, ICurrentPrincipal current, IAuditLog audit)
    : ICommandHandler<DownloadAttachmentCommand, AttachmentDownload>
{
    public async ValueTask<AttachmentDownload> Handle(DownloadAttachmentCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var referral = await attachments.FindReferralAsync(command.ReferralId, organisationId, ct);
        var row = await attachments.FindAsync(referral.Id, command.AttachmentId, ct);
        var person = await persons.FindAsync(row.PersonId, ct) ?? throw new InvalidOperationException($"Attachment {row.Id} has no person.");
        var key = row.ErasedAt is null ? persons.DataKeyOf(person) : null;
        if (key is null)
            throw new GoneException("attachment.erased", "The document was shredded with the person's data when the person was erased.");
        audit.Record(new AuditEntry(AuditStreams.Person(person.Id), AttachmentEvents.Read, new Dictionary<string, object?>
        {
            ["personId"] = person.Id, ["organisationId"] = organisationId, ["viaReferralId"] = referral.Id, ["attachmentId"] = row.Id,
            ["basis"] = person.OwnerOrganisationId == organisationId ? "owner" : "referral",
        }));
        return new AttachmentDownload(row.ToView(attachments.FileNameOf(row, key)), attachments.OpenAsync(row, key, CancellationToken.None));
    }
}
