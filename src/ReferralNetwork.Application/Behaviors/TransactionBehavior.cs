using Mediator;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Behaviors;

/// <summary>
/// A command runs in one transaction: begin, handle, append its audit events to their hash chains, commit.
/// Any exception rolls everything back (<see cref="UnitOfWork"/>) — a rejected request writes nothing, not even an audit event.
/// For a request with an Idempotency-Key the commit is left to the API, which first stores the answer in this same
/// transaction (see <see cref="IdempotencyContext"/>).
/// </summary>
public sealed class TransactionBehavior<TMessage, TResponse>(
    IDbSession session, IAuditLog auditLog, IAuditAppender appender, ICurrentPrincipal current, IdempotencyContext idempotency)
    : IPipelineBehavior<TMessage, TResponse> where TMessage : ICommand<TResponse>
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        await using var work = await UnitOfWork.BeginAsync(session, cancellationToken);
        var response = await next(message, cancellationToken);
        await appender.AppendAsync(session, current.Principal, auditLog.Pending, cancellationToken);
        if (!idempotency.TryHold(work)) await work.CommitAsync(cancellationToken);
        return response;
    }
}
