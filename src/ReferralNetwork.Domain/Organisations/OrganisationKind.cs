namespace ReferralNetwork.Domain.Organisations;

public enum OrganisationKind
{
    CentreForSocialWork,
    YouthOffice,
    Ngo,
    AsylumCentre,
    ReceptionCentre,
    ChildrenHome,
    HealthCentre,
    InternationalOrganisation,
    NetworkCoordinator,
}
