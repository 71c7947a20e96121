using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Protocols;

/// <summary>A protocol's latest version in full, with the list of all its versions.</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetProtocolQuery(string Code) : IQuery<ProtocolView>;

public sealed class GetProtocolHandler(IDbSession session) : IQueryHandler<GetProtocolQuery, ProtocolView>
{
    public async ValueTask<ProtocolView> Handle(GetProtocolQuery query, CancellationToken ct)
    {
        if (!ProtocolRow.CouldBeCode(query.Code)) throw new NotFoundException("The protocol");
        var connection = await session.ConnectionAsync(ct);
        var versions = (await connection.QueryAsync<ProtocolVersionSummary>(new CommandDefinition(
            "SELECT p.version, p.title, p.published_at AS PublishedAt FROM protocols p WHERE p.code = @Code ORDER BY p.version DESC",
            new { query.Code }, cancellationToken: ct))).ToList();
        if (versions.Count == 0) throw new NotFoundException("The protocol");
        // Versions are immutable and never deleted, so the newest listed above is still there to read.
        var latest = await connection.QuerySingleAsync<ProtocolRow>(new CommandDefinition(
            $"SELECT {ProtocolRow.Columns} FROM protocols p WHERE p.code = @Code AND p.version = @Version",
            new { query.Code, versions[0].Version }, cancellationToken: ct));
        var view = latest.ToView();
        return new ProtocolView(view.Code, view.Version, view.Title, view.PublishedAt, view.Document, versions);
    }
}
