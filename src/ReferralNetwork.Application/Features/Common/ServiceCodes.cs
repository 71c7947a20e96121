using Dapper;
using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Common;

public static class ServiceCodes
{
    /// <summary>Rejects codes the catalogue does not hold, naming each offending element (400).</summary>
    public static async Task EnsureKnownAsync(IDbSession session, IReadOnlyList<string> codes, string field, CancellationToken ct)
    {
        if (codes.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        var known = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT code FROM services WHERE active = @Active", new { Active = true }, session.Transaction, cancellationToken: ct))).ToHashSet();
        var failures = codes.Select((code, i) => (code, i)).Where(x => !known.Contains(x.code))
            .Select(x => new ValidationFailure($"{field}[{x.i}]", $"'{x.code}' is not in the service catalogue (GET /api/v1/services).")).ToList();
        if (failures.Count > 0) throw new ValidationException(failures);
    }
}
