using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Diagnostics;

/// <summary>
/// With <c>Database:CountStatements</c> on (SQLite; a diagnostic, off by default), every answer says how many SQL
/// statements its request ran — authentication, idempotency and audit included — in the <c>SQL-Statements</c> header.
/// The benchmark's probe reads it to print statements per request; nothing is added when counting is off.
/// </summary>
public static class StatementCountHeader
{
    public const string Header = "SQL-Statements";

    public static IApplicationBuilder UseStatementCountHeader(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<ConnectionFactory>().Counter is not { } counter) return app;
        return app.Use((context, next) =>
        {
            var count = counter.BeginRequest();
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[Header] = count.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
