namespace ReferralNetwork.Domain.Organisations;

/// <summary>The seeded service catalogue (DESIGN §1). The network admin may extend it, so codes are strings.</summary>
public static class ServiceCatalogue
{
    public static readonly IReadOnlyList<string> Seeded =
    [
        "psychosocial_support", "legal_aid", "healthcare", "specialist_healthcare", "accommodation", "guardianship",
        "child_protection", "education", "language_classes", "vocational_training", "employment", "interpretation",
        "family_tracing", "cash_assistance", "integration_support",
    ];
}
