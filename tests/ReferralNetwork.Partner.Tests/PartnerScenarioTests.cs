using System.Net.Http.Headers;
using System.Security.Cryptography;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Webhooks;
using ReferralNetwork.Partner.Client;

namespace ReferralNetwork.Partner.Tests;

/// <summary>
/// A partner's case-management system, written only against the generated client: it subscribes to webhooks, submits
/// a referral with an Idempotency-Key (and retries it), receives the signed webhook on its own endpoint, fetches the
/// referral, and reads the outcome when the receiver completes it.
/// </summary>
public sealed class PartnerScenarioTests : IAsyncLifetime
{
    // 32 random bytes, like the keys the API issues: outside Development a guessable bootstrap key is refused.
    private readonly string _adminKey = "rn_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private ApiProcess _api = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync(TimeProvider.System);
        _api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Bootstrap__NetworkAdminKey"] = _adminKey,
            ["Encryption__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
            ["Webhooks__AllowPrivateNetworks"] = "true",
            ["Webhooks__DispatchInterval"] = "00:00:00.200",
        });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private ReferralNetworkClient Client(string key)
    {
        var http = new HttpClient { BaseAddress = _api.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return new ReferralNetworkClient(http);
    }

    [Fact]
    public async Task Partner_submits_idempotently_receives_signed_webhooks_and_reads_the_outcome()
    {
        var admin = Client(_adminKey);
        var ngo = await admin.CreateOrganisationAsync(new CreateOrganisationCommand
        {
            Name = "Partner NGO", Kind = CreateOrganisationCommandKind.Ngo, Municipality = "Beograd", Services = ["psychosocial_support"], Languages = ["sr", "ar"],
        });
        var clinic = await admin.CreateOrganisationAsync(new CreateOrganisationCommand
        {
            Name = "Dom zdravlja", Kind = CreateOrganisationCommandKind.Health_centre, Municipality = "Beograd", Services = ["healthcare"], Languages = ["sr"],
        });
        // The network admin makes each organisation's first org_admin key; the organisations' admins make the rest.
        var ngoAdmin = Client((await admin.CreateApiKeyAsync(ngo.Id, new CreateApiKeyRequest { Name = "admin", Roles = [Roles2.Org_admin] })).Key);
        var clinicAdmin = Client((await admin.CreateApiKeyAsync(clinic.Id, new CreateApiKeyRequest { Name = "admin", Roles = [Roles2.Org_admin] })).Key);
        var partnerKey = await ngoAdmin.CreateApiKeyAsync(ngo.Id, new CreateApiKeyRequest { Name = "cms", Roles = [Roles2.Partner_system] });
        var clinicKey = await clinicAdmin.CreateApiKeyAsync(clinic.Id, new CreateApiKeyRequest { Name = "clinic", Roles = [Roles2.Caseworker] });
        var partner = Client(partnerKey.Key);
        var receiver = Client(clinicKey.Key);

        var subscription = await partner.CreateWebhookAsync(new CreateWebhookCommand { Url = _receiver.Url, Events = ["referral.accepted", "referral.completed"], Description = "CMS" });
        Assert.StartsWith("whsec_", subscription.Secret);

        var submission = new SubmitReferralCommand
        {
            ReceiverOrganisationId = clinic.Id, Services = ["healthcare"], Urgency = SubmitReferralCommandUrgency.Urgent, Reason = "Persistent cough, needs a check-up",
            Person = new()
            {
                GivenName = "Karim", FamilyName = "Haddad", BirthYear = 1988, Sex = PersonInputSex.Male, Nationality = "SY", Languages = ["ar"],
                LegalStatus = PersonInputLegalStatus.Asylum_seeker, Vulnerabilities = [],
            },
            Consent = new() { GivenBy = ConsentInputGivenBy.Person, Method = ConsentInputMethod.Verbal_with_interpreter },
        };
        var idempotencyKey = Guid.NewGuid().ToString();
        var referral = await partner.SubmitReferralAsync(submission, idempotencyKey);
        // A retry after a lost answer: the same key and body give the same referral, not a second one.
        var retried = await partner.SubmitReferralAsync(submission, idempotencyKey);
        Assert.Equal(referral.Id, retried.Id);
        Assert.Single((await receiver.ListReferralsAsync(Box.Inbox)).Items);

        var accepted = await receiver.AcceptReferralAsync(referral.Id, $"\"{referral.Version}\"");
        var started = await receiver.StartReferralAsync(referral.Id, $"\"{accepted.Version}\"");
        // If-Match is a required parameter of every action (missing: 428), so it comes before the body.
        await receiver.CompleteReferralAsync(referral.Id, $"\"{started.Version}\"",
            new CompleteReferralBody { Outcome = CompleteReferralBodyOutcome.Service_provided, Note = "Treated; follow-up in two weeks" });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_receiver.Received.Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
        var received = _receiver.Received;
        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.True(StandardWebhookVerifier.Verify(subscription.Secret, r), $"signature of {r.Id} does not verify"));
        Assert.Contains(received, r => r.BodyText.Contains("\"type\":\"referral.accepted\"") && r.BodyText.Contains(referral.Id.ToString()));
        var completed = received.Single(r => r.BodyText.Contains("\"type\":\"referral.completed\""));
        Assert.Contains("\"status\":\"completed\"", completed.BodyText);

        // The thin payload names the referral; the partner fetches the details with its own key.
        var final = await partner.GetReferralAsync(referral.Id);
        Assert.Equal(ReferralViewStatus.Completed, final.Status);
        Assert.Equal(ReferralViewOutcome.Service_provided, final.Outcome);
        var notes = await partner.ListReferralNotesAsync(referral.Id);
        Assert.Contains(notes.Items, n => n.Text == "Treated; follow-up in two weeks");
    }
}
