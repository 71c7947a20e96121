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
        if (idempotency is { Active: true, Held: null, Claim: { } claim })
        {
            // The API ends this unit (commit after storing the answer, or rollback), whatever happens here.
            var held = await UnitOfWork.BeginCommandAsync(session, cancellationToken);
            idempotency.Hold(held);
            await claim(cancellationToken);
            var inHeld = await next(message, cancellationToken);
            await appender.AppendAsync(session, current.Principal, auditLog.Pending, cancellationToken);
            return inHeld;
        }
        await using var work = await UnitOfWork.BeginCommandAsync(session, cancellationToken);
        var response = await next(message, cancellationToken);
        await appender.AppendAsync(session, current.Principal, auditLog.Pending, cancellationToken);
        await work.CommitAsync(cancellationToken);
        return response;
    }
}
