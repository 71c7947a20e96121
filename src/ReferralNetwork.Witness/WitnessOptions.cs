namespace ReferralNetwork.Witness;

/// <summary>Settings under <c>Witness:</c>.</summary>
public sealed class WitnessOptions
{
    /// <summary>The witness's key name, e.g. <c>witness.ombudsman.example.rs/w1</c> (no spaces, no '+').</summary>
    public string Name { get; set; } = "";

    /// <summary>PEM (PKCS#8) of the witness's Ed25519 key (<c>openssl genpkey -algorithm ed25519</c>, or the <c>generate-key</c> command).</summary>
    public string? SigningKey { get; set; }

    /// <summary>Where the witness keeps, per log, the latest checkpoint it cosigned. Written atomically (temp file, fsync, rename).</summary>
    public string StateFile { get; set; } = "witness-state.json";

    /// <summary>The logs this witness cosigns: each one's origin and verifier key (<c>origin+keyid+base64(0x01 ‖ key)</c>).</summary>
    public List<WitnessedLog> Logs { get; set; } = [];
}

public sealed class WitnessedLog
{
    public string Origin { get; set; } = "";
    public string PublicKey { get; set; } = "";
}
