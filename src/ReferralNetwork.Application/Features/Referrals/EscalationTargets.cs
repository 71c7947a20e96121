using System.Collections.Concurrent;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Organisations;
using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A protocol's <c>escalateTo</c> as an organisation: its fixed organisation, or the first active organisation (oldest) of
/// its kind — the network coordinator in the seeded protocols. Null when the protocol names none or none exists.
/// </summary>
public sealed class EscalationTargets(IDbSession session)
{
    // Per scope: the deadline monitor asks once per protocol version in a pass, not once per breach.
    private readonly ConcurrentDictionary<(string, int), Guid?> _found = new();

    public async Task<Guid?> ForAsync(string protocolCode, int protocolVersion, ProtocolDocument document, CancellationToken ct)
    {
        if (_found.TryGetValue((protocolCode, protocolVersion), out var cached)) return cached;
        var connection = await session.ConnectionAsync(ct);
        Guid? found = document.EscalateTo switch
        {
            { OrganisationId: { } id } => await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition(
                "SELECT id FROM organisations WHERE id = @Id", new { Id = id }, session.Transaction, cancellationToken: ct)),
            { OrganisationKind: { } kind } when Wire.TryParse<OrganisationKind>(kind, out _) => await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition(
                $"SELECT id FROM organisations WHERE kind = @Kind AND active = @Active ORDER BY created_at, id {session.Dialect.Limit("@One")}",
                new { Kind = kind, Active = true, One = 1 }, session.Transaction, cancellationToken: ct)),
            _ => null,
        };
        _found[(protocolCode, protocolVersion)] = found;
        return found;
    }
}
