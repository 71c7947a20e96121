namespace ReferralNetwork.Infrastructure;

/// <summary>
/// Settings under <c>Workers:</c>. The background workers coordinate through the database (unique constraints, leases),
/// so they are safe on every replica; <c>Enabled=false</c> keeps a process to serving requests only (tests, tools).
/// </summary>
public sealed class WorkersOptions
{
    public bool Enabled { get; set; } = true;
}
