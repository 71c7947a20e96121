namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>The transparency-log settings, under <c>Audit:</c> beside the checkpoint settings.</summary>
public sealed class TransparencyLogOptions
{
    /// <summary>The log's origin line and key name (c2sp.org/tlog-checkpoint): set once, before the first checkpoint, to
    /// a name of your own such as <c>referrals.example.rs/audit-log</c>; witnesses know the log by it.</summary>
    public string LogOrigin { get; set; } = "referral-network/audit-log";

    /// <summary>PEM (PKCS#8) of the Ed25519 key that signs the log's checkpoints. Required outside Development when
    /// this process runs the checkpointer; never stored in the database.</summary>
    public string? LogSigningKey { get; set; }

    /// <summary>The witnesses asked to cosign every new checkpoint (c2sp.org/tlog-witness).</summary>
    public List<WitnessOptions> Witnesses { get; set; } = [];

    /// <summary>How long one add-checkpoint call may take.</summary>
    public TimeSpan WitnessTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>One witness: where to send add-checkpoint, and the name and Ed25519 key its cosignatures are checked with.</summary>
public sealed class WitnessOptions
{
    /// <summary>The witness's submission prefix; add-checkpoint is POSTed to <c>{Url}/add-checkpoint</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>The witness's key name (its cosignature lines carry it).</summary>
    public string Name { get; set; } = "";

    /// <summary>The witness's verifier key (<c>name+keyid+base64(0x04 ‖ key)</c>) or the base64 of its 32-byte Ed25519 public key.</summary>
    public string PublicKey { get; set; } = "";
}
