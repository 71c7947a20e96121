using System.Text.Json.Serialization;

namespace ReferralNetwork.Domain.Referrals;

/// <summary>FHIR Task statuses as profiled by the HL7 SDOH closed-loop referral guide (DESIGN §4).</summary>
public enum ReferralStatus
{
    Requested,
    Received,
    Accepted,
    [JsonStringEnumMemberName("in-progress")] InProgress,
    [JsonStringEnumMemberName("on-hold")] OnHold,
    Completed,
    Failed,
    Rejected,
    Cancelled,
    Redirected,
}

public enum Urgency
{
    Emergency,
    Urgent,
    Routine,
}
