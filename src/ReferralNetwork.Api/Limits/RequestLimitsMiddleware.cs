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
        // An endpoint may name its own limit (document uploads); it then also enforces it exactly, as the body streams.
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>()?.Bytes ?? limits.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = 413, Title = ReferralNetwork.Api.Resources.ProblemTexts.Get("TooLarge"), Type = ProblemTypes.For(413),
                    Detail = $"The body may be at most {limit} bytes." },
            });
            return;
        }
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        await next(context);
    }
}
