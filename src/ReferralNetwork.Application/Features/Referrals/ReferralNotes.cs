using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>A note as the referrer and receiver read it; <see cref="Text"/> is null once the person was erased.</summary>
/// <summary>A note; <see cref="AuthorUserId"/> names the person who wrote it (null for a partner system), and
/// <see cref="AuthorDisplayName"/> is given to readers of the author's own organisation only.</summary>
public sealed record NoteView(Guid Id, Guid ReferralId, Guid OrganisationId, DateTimeOffset CreatedAt, string? Text, bool Erased,
    Guid? AuthorUserId = null, string? AuthorDisplayName = null);

/// <summary>
/// Free text about a referral — a decline's explanation, a completion note, a hold reason — lives only here, sealed
/// with the person's data key: erasing the person makes every note unreadable, while timeline and audit (codes only)
/// stay intact. Observers never read notes (DESIGN §2, issue 4 item 3).
/// </summary>
public sealed class ReferralNotes(IDbSession session, PersonStore persons, IPersonalDataProtector protector)
{
    public static void EnsureMayRead(Party party)
    {
        if (party == Party.Observer)
            throw new ForbiddenException("Observers see a referral and its timeline, not its notes; only the referrer and the receiver do.");
    }

    /// <summary>
    /// Seals and stores a note. For an erased person there is no key: the note is stored without its text, exactly as
    /// if it had been written just before the erasure, so an action that carries a note (withdraw, decline) still works.
    /// </summary>
    public async Task<Guid> AddAsync(Guid referralId, PersonRow person, Principal author, string text, DateTimeOffset at, CancellationToken ct, Guid? noteId = null)
    {
        var id = noteId ?? Guid.CreateVersion7();
        var key = persons.DataKeyOf(person);
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO referral_notes (id, referral_id, organisation_id, principal_id, body_sealed, created_at)
            VALUES (@Id, @ReferralId, @OrganisationId, @PrincipalId, @Body, @At)
            """, new
        {
            Id = id, ReferralId = referralId, author.OrganisationId, PrincipalId = author.Id,
            Body = key is null ? null : protector.Seal(key, text, $"note:{id}"), At = at,
        }, session.Transaction, cancellationToken: ct));
        return id;
    }

    public async Task<IReadOnlyList<NoteView>> ListAsync(ReferralRow referral, CancellationToken ct, Guid? readerOrganisationId = null)
    {
        var person = await persons.FindAsync(referral.PersonId, ct) ?? throw new InvalidOperationException($"Referral {referral.Id} has no person.");
        var key = persons.DataKeyOf(person);
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<NoteRow>(new CommandDefinition("""
            SELECT n.id, n.organisation_id AS OrganisationId, n.body_sealed AS BodySealed, n.created_at AS CreatedAt, u.id AS AuthorUserId,
                   u.display_name AS AuthorDisplayName
            FROM referral_notes n LEFT JOIN users u ON u.id = n.principal_id WHERE n.referral_id = @ReferralId ORDER BY n.created_at, n.id
            """, new { ReferralId = referral.Id }, session.Transaction, cancellationToken: ct));
        return rows.Select(n =>
        {
            var text = key is null || n.BodySealed is null ? null : protector.Open(key, n.BodySealed, $"note:{n.Id}");
            return new NoteView(n.Id, referral.Id, n.OrganisationId, n.CreatedAt, text, text is null, n.AuthorUserId,
                n.OrganisationId == readerOrganisationId ? n.AuthorDisplayName : null);
        }).ToList();
    }

    private sealed record NoteRow
    {
        public Guid Id { get; init; }
        public Guid OrganisationId { get; init; }
        public byte[]? BodySealed { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public Guid? AuthorUserId { get; init; }
        public string? AuthorDisplayName { get; init; }
    }
}
