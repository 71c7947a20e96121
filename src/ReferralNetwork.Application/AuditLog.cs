using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application;

public sealed class AuditLog : IAuditLog
{
    private readonly List<AuditEntry> _pending = [];
    public IReadOnlyList<AuditEntry> Pending => _pending;
    public void Record(AuditEntry entry) => _pending.Add(entry);
}
