using System.Diagnostics;
using Mediator;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;

namespace ReferralNetwork.Application.Behaviors;

/// <summary>
/// Logs the message type and its duration — never its content, which may hold personal data — and traces and measures it
/// under the same name (issue 20): one span per command or query, tagged with its type and outcome only.
/// </summary>
public sealed class LoggingBehavior<TMessage, TResponse>(ILogger<LoggingBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse> where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var name = typeof(TMessage).Name;
        using var activity = Telemetry.Source.StartActivity(name);
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            var response = await next(message, cancellationToken);
            outcome = "ok";
            return response;
        }
        catch (Exception e) when (e is ApplicationProblem or DomainException or FluentValidation.ValidationException)
        {
            outcome = "refused";
            throw;
        }
        catch (IdempotencyKeySettled)
        {
            outcome = "replayed";
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            activity?.SetTag("referralnetwork.message", name);
            activity?.SetTag("referralnetwork.outcome", outcome);
            if (outcome == "failed") activity?.SetStatus(ActivityStatusCode.Error);
            Telemetry.MessageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("message", name), new KeyValuePair<string, object?>("outcome", outcome));
            logger.LogDebug("{Message} handled in {Elapsed} ms", name, elapsed.TotalMilliseconds);
        }
    }
}
