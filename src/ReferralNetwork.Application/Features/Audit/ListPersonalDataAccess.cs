using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>One read of a person's identity: who (principal, role), from which organisation, through which referral, when.</summary>
public sealed record PersonalDataAccessView(long Seq, DateTimeOffset OccurredAt, Guid? PrincipalId, Guid? OrganisationId, string Role, Guid? ViaReferralId,
    bool Erased, string Hash)
{
    /// <summary>The person who read it (issue 16): the user's pseudonymous id, null when a partner system's key read it.</summary>
    public Guid? UserId { get; init; }
    /// <summary>The record read: the person asked for, or a duplicate merged into them (issue 17).</summary>
    public Guid PersonId { get; init; }

    /// <summary>What was read (issue 17): <c>identity</c>, or <c>attachment</c> — a document downloaded, named by <see cref="AttachmentId"/>.</summary>
    public string Accessed { get; init; } = Identity;

    public const string Identity = "identity", Attachment = "attachment";
    public Guid? AttachmentId { get; init; }
}

/// <summary>
/// The person's access log: the <c>person.identity_read</c> and <c>person.attachment_read</c> events of their audit stream —
/// and of the streams of the duplicates merged into them (issue 17) — oldest first.
/// </summary>
[AllowedRoles(Role.Auditor)]
public sealed record ListPersonalDataAccessQuery(Guid? PersonId, string? Cursor = null, int? Limit = null) : IQuery<Page<PersonalDataAccessView>>;

public sealed class ListPersonalDataAccessValidator : AbstractValidator<ListPersonalDataAccessQuery>
{
    public ListPersonalDataAccessValidator()
    {
        RuleFor(q => q.PersonId).NotEmpty();
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
    }
}

public sealed class ListPersonalDataAccessHandler(IDbSession session) : IQueryHandler<ListPersonalDataAccessQuery, Page<PersonalDataAccessView>>
{
    public const string IdentityRead = "person.identity_read";

    public async ValueTask<Page<PersonalDataAccessView>> Handle(ListPersonalDataAccessQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var records = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM persons WHERE id = @Id OR merged_into_id = @Id", new { Id = query.PersonId }, cancellationToken: ct))).ToList();
        if (records.Count == 0) throw new NotFoundException("The person");
        // Across several streams the order is the chain's global sequence; the cursor carries it.
        var after = SeqCursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var rows = (await connection.QueryAsync<AuditEventRow>(new CommandDefinition($"""
            SELECT {AuditEventRow.Columns}
            FROM audit_events e
            WHERE {session.Dialect.InList("e.stream_id", "@Streams")} AND (e.type = @Type OR e.type = @AttachmentRead) {(after is null ? "" : "AND e.global_seq > @After")}
            ORDER BY e.global_seq
            {session.Dialect.Limit("@Take")}
            """, new
        {
            Streams = records.Select(AuditStreams.Person).ToArray(), Type = IdentityRead, AttachmentRead = Attachments.AttachmentEvents.Read, After = after, Take = limit + 1,
        }, cancellationToken: ct))).ToList();
        var page = rows.Take(limit).Select(ToView).ToList();
        var next = rows.Count > limit ? SeqCursor.Encode(rows[limit - 1].OccurredAt, rows[limit - 1].GlobalSeq) : null;
        return new Page<PersonalDataAccessView>(page, next);
    }

    private static PersonalDataAccessView ToView(AuditEventRow row)
    {
        var data = AuditEventRow.ParseData(row.Data);
        Guid? via = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("viaReferralId", out var v) && v.ValueKind == JsonValueKind.String
            && Guid.TryParse(v.GetString(), out var id) ? id : null;
        var erased = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("erased", out var e) && e.ValueKind == JsonValueKind.True;
        Guid? attachment = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("attachmentId", out var a) && a.ValueKind == JsonValueKind.String
            && Guid.TryParse(a.GetString(), out var attachmentId) ? attachmentId : null;
        return new PersonalDataAccessView(row.Seq, row.OccurredAt, row.PrincipalId, row.OrganisationId, row.Role, via, erased, row.Hash)
        {
            UserId = row.UserId, PersonId = Guid.Parse(row.StreamId.AsSpan("person/".Length)),
            Accessed = row.Type == Attachments.AttachmentEvents.Read ? PersonalDataAccessView.Attachment : PersonalDataAccessView.Identity, AttachmentId = attachment,
        };
    }
}
