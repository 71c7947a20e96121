namespace ReferralNetwork.Api.Limits;

/// <summary>Settings under <c>Limits:</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>Largest accepted request body; larger ones get 413 before anything is read.</summary>
    public long MaxRequestBodyBytes { get; set; } = 256 * 1024;
}
