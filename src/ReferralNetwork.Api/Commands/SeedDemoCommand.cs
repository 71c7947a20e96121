using Dapper;
using Mediator;
using ReferralNetwork.Api.Auth;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Application.Features.Organisations;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Infrastructure.Bootstrap;

namespace ReferralNetwork.Api.Commands;

/// <summary>
/// <c>seed-demo</c>: a demo network of eight organisations of different kinds, created through the same commands the
/// API runs (validated, audited), and one key per role printed once.
/// </summary>
public static class SeedDemoCommand
{
    private static readonly (string Name, string Kind, string Municipality, string[] Services, string[] Languages)[] Network =
    [
        ("Centar za socijalni rad Beograd", "centre_for_social_work", "Beograd", ["guardianship", "child_protection", "accommodation", "psychosocial_support"], ["sr", "en"]),
        ("Centar za socijalni rad Subotica", "centre_for_social_work", "Subotica", ["guardianship", "child_protection", "accommodation"], ["sr", "hu"]),
        ("Kancelarija za mlade Šid", "youth_office", "Šid", ["education", "integration_support", "language_classes"], ["sr", "en"]),
        ("Psihosocijalni centar", "ngo", "Beograd", ["psychosocial_support", "interpretation", "family_tracing"], ["sr", "en", "ar", "fa"]),
        ("Pravna pomoć za izbeglice", "ngo", "Beograd", ["legal_aid", "interpretation"], ["sr", "en", "ar", "fa", "uk"]),
        ("Azilni centar Krnjača", "asylum_centre", "Beograd", ["accommodation", "healthcare", "cash_assistance"], ["sr", "en"]),
        ("Dom zdravlja Vračar", "health_centre", "Beograd", ["healthcare", "specialist_healthcare"], ["sr", "en"]),
        ("Prihvatni centar Obrenovac", "reception_centre", "Obrenovac", ["accommodation", "healthcare"], ["sr", "en"]),
    ];

    public static async Task RunAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var connection = await scope.ServiceProvider.GetRequiredService<IDbSession>().ConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM organisations WHERE name = @Name",
                new { Network[0].Name }, cancellationToken: ct)) > 0)
        {
            // Keys are shown only when made; a second run would only duplicate the network.
            output.WriteLine("The demo network exists already (its keys were printed when it was created); nothing seeded.");
            return;
        }
        var admin = await NetworkAdminAsync(scope.ServiceProvider, output, ct);
        scope.ServiceProvider.GetRequiredService<CurrentPrincipal>().Principal = admin;
        var created = new List<OrganisationView>();
        foreach (var (name, kind, municipality, offered, languages) in Network)
        {
            // Each command is its own scope: one transaction, one audit batch.
            await using var step = services.CreateAsyncScope();
            step.ServiceProvider.GetRequiredService<CurrentPrincipal>().Principal = admin;
            created.Add(await step.ServiceProvider.GetRequiredService<IMediator>().Send(
                new CreateOrganisationCommand(name, kind, municipality, offered, languages, 20, null, null), ct));
        }
        output.WriteLine("Demo network created. Each key is shown once:");
        var grants = new (int Organisation, string Role)[]
        {
            (0, "org_admin"), (0, "caseworker"), (0, "supervisor"), (3, "org_admin"), (3, "caseworker"), (4, "org_admin"), (4, "partner_system"),
            (6, "org_admin"), (6, "caseworker"),
        };
        // The network admin makes each organisation's first org_admin key (the only key it may make there); that admin
        // makes the organisation's other keys.
        var organisationAdmins = new Dictionary<int, Principal>();
        foreach (var (index, role) in grants)
        {
            var key = await KeyAsync(services, role == "org_admin" ? admin : organisationAdmins[index], created[index].Id, role, ct);
            if (role == "org_admin") organisationAdmins[index] = new Principal(key.Id, created[index].Id, new HashSet<Role> { Role.OrgAdmin }, "seed-demo");
            output.WriteLine($"  {role,-16} {created[index].Name,-36} {key.Key}");
        }
        var coordinator = admin.OrganisationId;
        output.WriteLine($"  {"auditor",-16} {"Network coordination",-36} {(await KeyAsync(services, admin, coordinator, "auditor", ct)).Key}");
    }

    private static async Task<CreatedApiKeyView> KeyAsync(IServiceProvider services, Principal grantor, Guid organisationId, string role, CancellationToken ct)
    {
        await using var step = services.CreateAsyncScope();
        step.ServiceProvider.GetRequiredService<CurrentPrincipal>().Principal = grantor;
        return await step.ServiceProvider.GetRequiredService<IMediator>().Send(new CreateApiKeyCommand(organisationId, $"demo {role}", [role]), ct);
    }

    /// <summary>The existing network admin, or a new one with a fresh key that is printed.</summary>
    private static async Task<Principal> NetworkAdminAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        var session = services.GetRequiredService<IDbSession>();
        var connection = await session.ConnectionAsync(ct);
        var existing = await connection.QueryFirstOrDefaultAsync<(Guid Id, Guid OrganisationId)>(new CommandDefinition(
            "SELECT id, organisation_id AS OrganisationId FROM api_keys WHERE roles LIKE @Role AND revoked_at IS NULL ORDER BY created_at",
            new { Role = "%network_admin%" }, cancellationToken: ct));
        if (existing.Id == Guid.Empty)
        {
            var key = ApiKeySecrets.NewKey();
            await services.GetRequiredService<NetworkAdminBootstrap>().RunAsync(key, ct);
            output.WriteLine($"  {"network_admin",-16} {"Network coordination",-36} {key}");
            return await NetworkAdminAsync(services, TextWriter.Null, ct);
        }
        return new Principal(existing.Id, existing.OrganisationId, new HashSet<Role> { Role.NetworkAdmin }, "seed-demo");
    }
}
