namespace ReferralNetwork.Domain.People;

public enum Sex { Female, Male, Other, Unknown }

public enum LegalStatus { AsylumSeeker, Refugee, SubsidiaryProtection, TemporaryProtection, Irregular, Other }

public enum Vulnerability
{
    UnaccompaniedChild,
    SeparatedChild,
    SingleParent,
    PregnantOrLactating,
    OlderPerson,
    Disability,
    ChronicIllness,
    SurvivorOfViolence,
    TraffickingSurvivor,
    MedicalEmergency,
}

public enum ConsentGiver { Person, Guardian, Parent }

public enum ConsentMethod { Written, Verbal, VerbalWithInterpreter }
