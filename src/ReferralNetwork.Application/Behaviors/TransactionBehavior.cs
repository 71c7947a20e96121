using Mediator;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Behaviors;

/// <summary>
/// A command runs in one transaction: begin, handle, append its audit events to their hash chains, commit.
/// Any exception rolls everything back (<see cref="UnitOfWork"/>) — a rejected request writes nothing, not even an audit event.
/// The transaction is a command's (<see cref="UnitOfWork.BeginCommandAsync"/>): with group commit on it shares its commit
/// with the commands around it, and committing returns once that commit is durable.
/// For a request with an Idempotency-Key the key is claimed first in the same unit, and the API commits the unit after
/// storing the answer in it (see <see cref="IdempotencyContext"/>).
/// </summary>
public sealed class TransactionBehavior<TMessage, TResponse>(
    IDbSession session, IAuditLog auditLog, IAuditAppender appender, ICurrentPrincipal current, IdempotencyContext idempotency)
    : IPipelineBehavior<TMessage, TResponse> where TMessage : ICommand<TResponse>
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var alone = message is ICommitsAlone;
        // Once begun, a command runs to its end even if the client goes away: with group commit its statements run on
        // the writer's shared connection, where a cancelled statement could cost the other commands of the batch.
        var ct = CancellationToken.None;
        if (idempotency is { Active: true, Held: null, Claim: { } claim })
        {
            // The API ends this unit (commit after storing the answer, or rollback), whatever happens here.
            var held = await UnitOfWork.BeginCommandAsync(session, cancellationToken, alone);
            idempotency.Hold(held);
            await claim(ct);
            var inHeld = await next(message, ct);
            await appender.AppendAsync(session, current.Principal, auditLog.Pending, ct);
            return inHeld;
        }
        await using var work = await UnitOfWork.BeginCommandAsync(session, cancellationToken, alone);
        var response = await next(message, ct);
        await appender.AppendAsync(session, current.Principal, auditLog.Pending, ct);
        await work.CommitAsync(ct);
        return response;
    }
}
