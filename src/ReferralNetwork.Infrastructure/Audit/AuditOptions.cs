namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>Settings under <c>Audit:</c>.</summary>
public sealed class AuditOptions
{
    /// <summary>PEM (PKCS#8, "BEGIN PRIVATE KEY") of the ECDSA P-256 key that signs checkpoints. Never stored in the
    /// database. Required (in Development a key is generated outside the data folder, see Crypto.DevelopmentKeys).</summary>
    public string? CheckpointSigningKey { get; set; }

    /// <summary>How often the checkpointer seals the stream heads (when <c>Workers:Enabled</c>).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Public keys (PEM SubjectPublicKeyInfo) of earlier signing keys, so checkpoints signed before a key
    /// rotation still verify.</summary>
    public List<string> PreviousCheckpointPublicKeys { get; set; } = [];
}
