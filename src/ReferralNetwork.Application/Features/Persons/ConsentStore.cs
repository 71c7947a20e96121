using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>Reads a person's consent records and shows them with the withdrawal reason opened (when the key still exists).</summary>
public sealed class ConsentStore(IDbSession session, PersonStore persons, IPersonalDataProtector protector)
{
    public async Task<IReadOnlyList<ConsentRow>> ForPersonAsync(Guid personId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return (await connection.QueryAsync<ConsentRow>(new CommandDefinition(
            $"SELECT {ConsentRow.Columns} FROM consents c WHERE c.person_id = @PersonId ORDER BY c.created_at, c.id",
            new { PersonId = personId }, session.Transaction, cancellationToken: ct))).ToList();
    }

    public async Task<ConsentRow?> FindAsync(Guid personId, Guid consentId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ConsentRow>(new CommandDefinition(
            $"SELECT {ConsentRow.Columns} FROM consents c WHERE c.id = @Id AND c.person_id = @PersonId",
            new { Id = consentId, PersonId = personId }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>The records as shown; withdrawal reasons only when <paramref name="withReasons"/> (see <see cref="PersonStore.MayReadFreeTextAsync"/>).</summary>
    public IReadOnlyList<ConsentView> View(PersonRow person, IEnumerable<ConsentRow> consents, bool withReasons)
    {
        var key = withReasons ? persons.DataKeyOf(person) : null;
        return consents.Select(c => c.ToView(key is null || c.WithdrawalReasonSealed is null
            ? null : protector.Open(key, c.WithdrawalReasonSealed, ConsentRow.WithdrawalContext(c.Id)))).ToList();
    }
}
