using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Domain;

namespace ReferralNetwork.Application.Features.Common;

/// <summary>Validation failures the API can say in the caller's language (issue 15).</summary>
public static class Failures
{
    /// <summary>A failure made from a message with values: it carries its template, which the API translates.</summary>
    public static ValidationFailure Of(string property, Text message) => new(property, message.ToString()) { CustomState = message };

    /// <summary>
    /// Fills a {Name} placeholder of the rule's message template with a fixed value (e.g. the codes allowed), so the
    /// template itself stays fixed and is translated like any other.
    /// </summary>
    public static IRuleBuilderOptions<T, TProperty> WithPlaceholder<T, TProperty>(this IRuleBuilderOptions<T, TProperty> rule, string name, string value) =>
        rule.Configure(r => r.MessageBuilder = context =>
        {
            context.MessageFormatter.AppendArgument(name, value);
            return context.GetDefaultMessage();
        });
}
