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

    /// <summary>
    /// Nobody: a message that allows it may be sent without credentials (sign-in, activation). Never granted to a key or
    /// a user; naming it in <c>[AllowedRoles]</c> is how an anonymous message is declared, so none is anonymous by omission.
    /// </summary>
    Anonymous,
}
