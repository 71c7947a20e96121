using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// Attaches a document (a consent scan, a medical letter, an asylum paper) to a referral, for its referrer and receiver.
/// <see cref="Content"/> is the request body (or the multipart file part) as it arrives: it is sniffed, counted, hashed
/// and sealed chunk by chunk, never held whole. Audited on the referral's stream as <c>attachment.added</c> with id,
/// type, size and SHA-256 — never the file name, which may name the person and is stored sealed.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record AddAttachmentCommand(Guid ReferralId, string? FileName, string? DeclaredType, Stream Content) : ICommand<AttachmentView>, ICommitsAlone;

public sealed class AddAttachmentValidator : AbstractValidator<AddAttachmentCommand>
{
    public AddAttachmentValidator()
    {
        RuleFor(c => c.FileName).NotEmpty()
            .WithMessage("A file name is required: Content-Disposition: attachment; filename=\"…\", or a multipart file part with a filename.")
            .MaximumLength(255)
            .Must(v => v is null || !v.Any(char.IsControl)).WithMessage("Control characters are not allowed.");
    }
}

public sealed class AddAttachmentHandler(AttachmentStore attachments, PersonStore persons, ICurrentPrincipal current, IAuditLog audit, Clock clock,
    IdempotencyContext idempotency) : ICommandHandler<AddAttachmentCommand, AttachmentView>
{
    public async ValueTask<AttachmentView> Handle(AddAttachmentCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var referral = await attachments.FindReferralAsync(command.ReferralId, principal.OrganisationId, ct);
        var person = await persons.FindAsync(referral.PersonId, ct) ?? throw new InvalidOperationException($"Referral {referral.Id} has no person.");
        var row = await attachments.WriteAsync(referral, person, principal, command.FileName!, command.DeclaredType, command.Content, clock.Now(), ct);
        // The answer names the file: a stored idempotent answer goes with the person's erasure.
        idempotency.Concerns(person.Id);
        audit.Record(new AuditEntry(AuditStreams.Referral(referral.Id), AttachmentEvents.Added, new Dictionary<string, object?>
        {
            ["attachmentId"] = row.Id, ["referralId"] = referral.Id, ["personId"] = person.Id, ["organisationId"] = principal.OrganisationId,
            ["contentType"] = row.ContentType, ["size"] = row.SizeBytes, ["sha256"] = row.Sha256,
        }));
        return row.ToView(command.FileName);
    }
}

public static class AttachmentEvents
{
    /// <summary>On the referral's stream; verify holds each <c>attachments</c> row to it.</summary>
    public const string Added = "attachment.added";

    /// <summary>On the person's stream, beside <c>person.identity_read</c>: the access log lists both.</summary>
    public const string Read = "person.attachment_read";
}
