namespace ReferralNetwork.Api.Limits;

/// <summary>Settings under <c>Limits:</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>Largest accepted request body; larger ones get 413 before anything is read.</summary>
    public long MaxRequestBodyBytes { get; set; } = 256 * 1024;
}

/// <summary>Endpoint metadata: this endpoint takes bodies up to <see cref="Bytes"/> instead of <c>Limits:MaxRequestBodyBytes</c> (a document upload).</summary>
public sealed record RequestBodyLimit(long Bytes);
