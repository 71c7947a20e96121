using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// Examples for the main requests (issue 15), the bodies the partner scenario sends through Prism's validating proxy.
/// Spectral checks each against its schema; an operation renamed without its example here fails the contract test.
/// </summary>
public sealed class RequestExamplesOperationFilter : IOperationFilter
{
    public static readonly IReadOnlyDictionary<string, string> Examples = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CreateOrganisation"] = """
            {"name":"Pravna pomoć","kind":"ngo","municipality":"Beograd","services":["legal_aid"],"languages":["sr","ar"]}
            """,
        ["UpdateOrganisation"] = """{"contactPhone":"+381 11 123 4567","capacity":12}""",
        ["CreateApiKey"] = """{"name":"case management system","roles":["partner_system"],"expiresAt":"2027-06-30T00:00:00Z"}""",
        ["CreatePerson"] = """
            {"givenName":"Omid","familyName":"Karimi","birthYear":2009,"sex":"male","nationality":"AF","languages":["fa"],
             "legalStatus":"asylum_seeker","vulnerabilities":["unaccompanied_child"]}
            """,
        ["MatchPersons"] = """{"givenName":"Omid","familyName":"Qarimi","birthYear":2009,"nationality":"AF"}""",
        ["RecordConsent"] = """{"givenBy":"person","method":"verbal_with_interpreter"}""",
        ["WithdrawConsent"] = """{"reason":"The person asked us to stop sharing their data."}""",
        ["SubmitReferral"] = """
            {"receiverOrganisationId":"0192f5c4-7b1e-7c3a-9d2e-4f6a8b0c1d2e","services":["legal_aid"],"urgency":"urgent",
             "reason":"Needs advice before the asylum interview",
             "person":{"givenName":"Zainab","familyName":"Al-Hassan","birthYear":1994,"sex":"female","nationality":"SY","languages":["ar"],
                       "legalStatus":"asylum_seeker","vulnerabilities":["single_parent"]},
             "consent":{"givenBy":"person","method":"verbal_with_interpreter"}}
            """,
        ["DeclineReferral"] = """{"reasonCode":"no_capacity","note":"Full this month; try again in January."}""",
        ["RedirectReferral"] = """{"targetOrganisationId":"0192f5c4-7b1e-7c3a-9d2e-4f6a8b0c1d2f","note":"They have a lawyer free this week."}""",
        ["HoldReferral"] = """{"reason":"Waiting for the documents from the asylum office."}""",
        ["CompleteReferral"] = """{"outcome":"service_provided","note":"Represented at the interview."}""",
        ["WithdrawReferral"] = """{"reason":"Sent to the wrong organisation."}""",
        ["AddReferralNote"] = """{"text":"Appointment on Monday at 10:00 with an interpreter."}""",
        ["CreateUser"] = """{"username":"ana.petrovic","displayName":"Ana Petrović","roles":["caseworker"]}""",
        ["SignIn"] = """{"username":"ana.petrovic","password":"a long passphrase for the centre","totp":"123456"}""",
        ["Activate"] = """{"username":"ana.petrovic","activationSecret":"paste-the-secret-shown-once","password":"a long passphrase for the centre"}""",
        ["CreateWebhook"] = """{"url":"https://cms.partner.example/hooks/referrals","events":["referral.submitted","referral.accepted"],"description":"CMS"}""",
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is not { } id || !Examples.TryGetValue(id, out var example)) return;
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true && media is OpenApiMediaType concrete)
            concrete.Example = JsonNode.Parse(example);
    }
}
