namespace ReferralNetwork.Domain.Access;

/// <summary>What a principal may do (DESIGN §1). Wire names are snake_case.</summary>
public enum Role
{
    NetworkAdmin,
    OrgAdmin,
    Caseworker,
    Supervisor,
    PartnerSystem,
    Auditor,

    /// <summary>The system acting on its own (deadline monitor, bootstrap). Never granted to a key or a user.</summary>
    System,
}
