using Dapper;
using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Common;

public static class ServiceCodes
{
    /// <summary>
    /// A filter by service names one of the catalogue's codes, or it is a 400 listing them: an unknown code would
    /// otherwise answer an empty list, which a partner cannot tell from "none yet".
    /// </summary>
    public static IRuleBuilderOptionsConditions<T, string?> IsKnownServiceFilter<T>(this IRuleBuilder<T, string?> rule, IDbSession session) =>
        rule.CustomAsync(async (code, context, ct) =>
        {
            if (code is null) return;
            var connection = await session.ConnectionAsync(ct);
            var known = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT code FROM services WHERE active = @Active ORDER BY code", new { Active = true }, session.Transaction, cancellationToken: ct))).ToList();
            if (!known.Contains(code))
                context.AddFailure(Failures.Of(context.PropertyPath, $"'{code}' is not one of: {string.Join(", ", known)}."));
        });

    /// <summary>Rejects codes the catalogue does not hold, naming each offending element (400).</summary>
    public static async Task EnsureKnownAsync(IDbSession session, IReadOnlyList<string> codes, string field, CancellationToken ct)
    {
        if (codes.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        var known = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT code FROM services WHERE active = @Active", new { Active = true }, session.Transaction, cancellationToken: ct))).ToHashSet();
        var failures = codes.Select((code, i) => (code, i)).Where(x => !known.Contains(x.code))
            .Select(x => Failures.Of($"{field}[{x.i}]", $"'{x.code}' is not in the service catalogue (GET /api/v1/services).")).ToList();
        if (failures.Count > 0) throw new ValidationException(failures);
    }
}
