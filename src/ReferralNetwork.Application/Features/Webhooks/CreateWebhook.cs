using Dapper;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>Subscribes the caller's organisation to events of the referrals it is a party to or observes. Empty events: all.</summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record CreateWebhookCommand(string? Url, IReadOnlyList<string>? Events = null, string? Description = null) : ICommand<CreatedWebhookView>;

public sealed class CreateWebhookValidator : AbstractValidator<CreateWebhookCommand>
{
    public CreateWebhookValidator()
    {
        RuleFor(c => c.Url).Custom((url, context) =>
        {
            if (WebhookUrls.FormProblem(url) is { } problem) context.AddFailure(problem);
        });
        RuleFor(c => c.Events).Must(e => e is null || e.Count <= WebhookEvents.All.Count).WithMessage("At most {MaxEvents} events.")
            .WithPlaceholder("MaxEvents", WebhookEvents.All.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        RuleForEach(c => c.Events).Must(WebhookEvents.IsKnown)
            .WithMessage("'{PropertyValue}' is not one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", WebhookEvents.All));
        RuleFor(c => c.Description).IsText(200);
    }
}

public sealed class CreateWebhookHandler(
    IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock, IPersonalDataProtector protector, IWebhookUrlGuard guard)
    : ICommandHandler<CreateWebhookCommand, CreatedWebhookView>
{
    /// <summary>Enough for a system per environment and event family; a bound keeps one organisation from multiplying deliveries.</summary>
    public const int MaxPerOrganisation = 25;

    public async ValueTask<CreatedWebhookView> Handle(CreateWebhookCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var uri = new Uri(command.Url!, UriKind.Absolute);
        // Resolved here, after authorization, so only callers who may subscribe can make the server look names up.
        if (await guard.CheckAsync(uri, ct) is { } refused)
            throw new ValidationException([new ValidationFailure("url", refused)]);

        var connection = await session.ConnectionAsync(ct);
        // A soft quota: two subscriptions racing past it at once do no harm, so no constraint enforces it.
        var existing = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM webhook_subscriptions WHERE organisation_id = @Org AND deleted_at IS NULL",
            new { Org = principal.OrganisationId }, session.Transaction, cancellationToken: ct));
        if (existing >= MaxPerOrganisation)
            throw new RuleViolationException("webhook.limit", $"An organisation may hold at most {MaxPerOrganisation} webhook subscriptions; delete one first.");

        var id = Guid.CreateVersion7();
        var now = clock.Now();
        var secret = WebhookSecrets.NewSecret();
        // The dispatcher must sign with the secret, so it cannot be hashed like an API key: it is sealed under its own
        // data key, wrapped by the master key, and never returned again.
        var key = protector.NewDataKey();
        var events = WebhookEvents.Store(command.Events);
        var url = uri.AbsoluteUri;
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_subscriptions (id, organisation_id, url, events, description, secret_sealed, wrapped_key, master_key_id,
                                               active, created_at, created_by)
            VALUES (@Id, @Org, @Url, @Events, @Description, @Sealed, @Wrapped, @MasterKeyId, @Active, @Now, @CreatedBy)
            """, new
        {
            Id = id, Org = principal.OrganisationId, Url = url, Events = events, command.Description,
            Sealed = protector.Seal(key.Key, secret, WebhookSecrets.SealingContext(id)), Wrapped = key.Wrapped, key.MasterKeyId,
            Active = true, Now = now, CreatedBy = principal.Id,
        }, session.Transaction, cancellationToken: ct));
        // Ids and codes only: never the secret, nor the URL (its query string may carry the partner's own token).
        audit.Record(new AuditEntry(AuditStreams.Organisation(principal.OrganisationId), "webhook.subscribed", new Dictionary<string, object?>
        {
            ["subscriptionId"] = id, ["events"] = WebhookEvents.Read(events),
        }));
        return new CreatedWebhookView(id, principal.OrganisationId, url, WebhookEvents.Read(events), command.Description, true, now, secret);
    }
}
