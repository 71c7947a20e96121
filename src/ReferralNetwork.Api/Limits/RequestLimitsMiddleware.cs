using Microsoft.AspNetCore.Http.Features;

using ReferralNetwork.Api.ErrorHandling;

namespace ReferralNetwork.Api.Limits;

/// <summary>
/// Refuses an over-long body by its Content-Length at once (413), and caps a chunked body while it is read
/// (Kestrel then throws a 413 BadHttpRequestException that the problem handler answers).
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next, LimitsOptions limits)
{
    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (context.Request.ContentLength > limits.MaxRequestBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = 413, Title = ReferralNetwork.Api.Resources.ProblemTexts.Get("TooLarge"), Type = ProblemTypes.For(413),
                    Detail = $"The body may be at most {limits.MaxRequestBodyBytes} bytes." },
            });
            return;
        }
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limits.MaxRequestBodyBytes;
        await next(context);
    }
}
