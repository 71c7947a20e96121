using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Organisations;

public sealed record OrganisationView(
    Guid Id, string Name, string Kind, string Municipality, IReadOnlyList<string> Services, IReadOnlyList<string> Languages,
    int? Capacity, string? ContactEmail, string? ContactPhone, bool Active, DateTimeOffset CreatedAt, int Version);

internal sealed record OrganisationRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Municipality { get; init; } = "";
    public int? Capacity { get; init; }
    public string? ContactEmail { get; init; }
    public string? ContactPhone { get; init; }
    public bool Active { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public int Version { get; init; }
}

internal static class OrganisationReader
{
    private const string Columns = "o.id, o.name, o.kind, o.municipality, o.capacity, o.contact_email AS ContactEmail, o.contact_phone AS ContactPhone, o.active, o.created_at AS CreatedAt, o.version";

    public static async Task<OrganisationView?> FindAsync(IDbSession session, Guid id, CancellationToken ct)
    {
        var list = await LoadAsync(session, $"SELECT {Columns} FROM organisations o WHERE o.id = @Id", new { Id = id }, ct);
        return list.SingleOrDefault();
    }

    /// <summary>Loads rows and their services and languages in two more queries (not one per row).</summary>
    public static async Task<IReadOnlyList<OrganisationView>> LoadAsync(IDbSession session, string sql, object parameters, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<OrganisationRow>(new CommandDefinition(sql, parameters, session.Transaction, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.Id).ToArray();
        var services = await LookupAsync(session,
            $"SELECT organisation_id AS Id, service_code AS Value FROM organisation_services WHERE {session.Dialect.InList("organisation_id", "@Ids")} ORDER BY service_code", ids, ct);
        var languages = await LookupAsync(session,
            $"SELECT organisation_id AS Id, language AS Value FROM organisation_languages WHERE {session.Dialect.InList("organisation_id", "@Ids")} ORDER BY language", ids, ct);
        return rows.Select(r => new OrganisationView(r.Id, r.Name, r.Kind, r.Municipality,
            services[r.Id].ToList(), languages[r.Id].ToList(), r.Capacity, r.ContactEmail, r.ContactPhone, r.Active, r.CreatedAt, r.Version)).ToList();
    }

    private static async Task<ILookup<Guid, string>> LookupAsync(IDbSession session, string sql, Guid[] ids, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var pairs = await connection.QueryAsync<(Guid Id, string Value)>(new CommandDefinition(sql, new { Ids = session.Dialect.IdList(ids) }, session.Transaction, cancellationToken: ct));
        return pairs.ToLookup(p => p.Id, p => p.Value);
    }

    public static async Task ReplaceServicesAsync(IDbSession session, Guid id, IReadOnlyList<string> services, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM organisation_services WHERE organisation_id = @Id", new { Id = id }, session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO organisation_services (organisation_id, service_code) VALUES (@Id, @Code)",
            services.Distinct().Select(code => new { Id = id, Code = code }), session.Transaction, cancellationToken: ct));
    }

    public static async Task ReplaceLanguagesAsync(IDbSession session, Guid id, IReadOnlyList<string> languages, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM organisation_languages WHERE organisation_id = @Id", new { Id = id }, session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO organisation_languages (organisation_id, language) VALUES (@Id, @Language)",
            languages.Distinct().Select(language => new { Id = id, Language = language }), session.Transaction, cancellationToken: ct));
    }
}
