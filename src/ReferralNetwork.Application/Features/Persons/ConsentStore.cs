using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// Reads a person's consent records — with those of the duplicates merged into them (issue 17) — and shows them with the
/// withdrawal reason opened (when the key still exists): each under the data key of the record it was given for.
/// </summary>
public sealed class ConsentStore(IDbSession session, PersonStore persons, IPersonalDataProtector protector)
{
    public async Task<IReadOnlyList<ConsentRow>> ForPersonAsync(Guid personId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return (await connection.QueryAsync<ConsentRow>(new CommandDefinition(
            $"SELECT {ConsentRow.Columns} FROM consents c WHERE {PersonRow.OfPerson("c.person_id", "@PersonId")} ORDER BY c.created_at, c.id",
            new { PersonId = personId }, session.Transaction, cancellationToken: ct))).ToList();
    }

    public async Task<ConsentRow?> FindAsync(Guid personId, Guid consentId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ConsentRow>(new CommandDefinition(
            $"SELECT {ConsentRow.Columns} FROM consents c WHERE c.id = @Id AND {PersonRow.OfPerson("c.person_id", "@PersonId")}",
            new { Id = consentId, PersonId = personId }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>The records as shown; withdrawal reasons only when <paramref name="withReasons"/> (see <see cref="PersonStore.MayReadFreeTextAsync"/>).</summary>
    public async Task<IReadOnlyList<ConsentView>> ViewAsync(PersonRow person, IEnumerable<ConsentRow> consents, bool withReasons, CancellationToken ct)
    {
        var keys = new Dictionary<Guid, byte[]?>();
        var views = new List<ConsentView>();
        foreach (var c in consents)
        {
            string? reason = null;
            if (withReasons && c.WithdrawalReasonSealed is not null)
            {
                if (!keys.TryGetValue(c.PersonId, out var key))
                    keys[c.PersonId] = key = persons.DataKeyOf(await RecordOfAsync(person, c, ct));
                if (key is not null) reason = protector.Open(key, c.WithdrawalReasonSealed, ConsentRow.WithdrawalContext(c.Id));
            }
            views.Add(c.ToView(reason));
        }
        return views;
    }

    /// <summary>The person record the consent was given for: <paramref name="person"/>, or a duplicate merged into them.</summary>
    public async Task<PersonRow> RecordOfAsync(PersonRow person, ConsentRow consent, CancellationToken ct) =>
        consent.PersonId == person.Id ? person
            : await persons.FindAsync(consent.PersonId, ct) ?? throw new InvalidOperationException($"Consent {consent.Id} names no person.");
}
