using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Api.Tests.People;
using ReferralNetwork.Application.Features.Users;

namespace ReferralNetwork.Api.Tests.Users;

/// <summary>Issue 16 items 1, 2 and 4: people managed by their organisation's admin, activation, sign-in, sessions.</summary>
public abstract class UsersTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task<(TestOrganisation Organisation, HttpClient OrgAdmin)> OrganisationAsync()
    {
        var organisation = await _network.OrganisationAsync();
        return (organisation, fixture.Client(await _network.OrganisationAdminAsync(organisation.Id)));
    }

    [Fact]
    public async Task Org_admin_creates_a_user_whose_activation_secret_is_shown_once_and_stored_only_as_a_hash()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["caseworker"], username: $"Ana.{Guid.NewGuid():N}"[..20]);
        var secret = created["activationSecret"]!.GetValue<string>();
        Assert.StartsWith("rna_", secret);
        Assert.Equal(["caseworker"], created["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.True(created["active"]!.GetValue<bool>());
        Assert.False(created["activated"]!.GetValue<bool>());
        Assert.Equal(created["username"]!.GetValue<string>().ToLowerInvariant(), created["username"]!.GetValue<string>());

        var id = created["id"]!.GetValue<Guid>();
        var one = await orgAdmin.GetStringAsync($"/api/v1/organisations/{organisation.Id}/users/{id}");
        Assert.DoesNotContain(secret, one);
        var list = await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/organisations/{organisation.Id}/users");
        Assert.Contains(list!["items"]!.AsArray(), u => u!["id"]!.GetValue<Guid>() == id);
        Assert.True(list.ContainsKey("nextCursor"));
        await using var connection = await fixture.OpenAsync();
        var stored = await connection.QuerySingleAsync<byte[]>("SELECT activation_hash FROM users WHERE id = @Id", new { Id = id });
        Assert.Equal(UserSecrets.Hash(secret), stored);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE type = 'user.created' AND data LIKE @Id", new { Id = $"%{id}%" }));
    }

    [Fact]
    public async Task Users_list_pages_with_a_cursor()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        for (var i = 0; i < 3; i++) await orgAdmin.CreateUserAsync(organisation.Id, ["supervisor"]);
        var first = await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/organisations/{organisation.Id}/users?limit=2");
        Assert.Equal(2, first!["items"]!.AsArray().Count);
        var next = first["nextCursor"]!.GetValue<string>();
        var second = await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/organisations/{organisation.Id}/users?limit=2&cursor={next}");
        Assert.Single(second!["items"]!.AsArray());
        Assert.Null(second["nextCursor"]);
    }

    [Theory]
    [InlineData("network_admin")]
    [InlineData("partner_system")]
    [InlineData("anonymous")]
    [InlineData("system")]
    public async Task A_user_cannot_be_given_a_machine_or_network_role(string role)
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var response = await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisation.Id}/users", new { username = "someone", displayName = "S", roles = new[] { role } });
        var problem = await PeopleApi.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["roles"]);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Auditor_users_exist_only_in_the_network_coordinator()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var response = await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisation.Id}/users", new { username = $"a{Guid.NewGuid():N}"[..12], displayName = "A", roles = new[] { "auditor" } });
        Assert.Equal("user.auditor_outside_coordinator", await PeopleApi.RuleAsync(response));
    }

    [Fact]
    public async Task A_taken_username_is_a_409_and_nothing_is_written()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["caseworker"]);
        var other = await OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var response = await other.OrgAdmin.PostAsJsonAsync($"/api/v1/organisations/{other.Organisation.Id}/users",
            new { username = created["username"]!.GetValue<string>().ToUpperInvariant(), displayName = "B", roles = new[] { "caseworker" } });
        await PeopleApi.ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Users_of_another_organisation_are_not_found_and_caseworkers_may_not_manage_users()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["caseworker"]);
        var (_, foreignAdmin) = await OrganisationAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await foreignAdmin.GetAsync($"/api/v1/organisations/{organisation.Id}/users/{created["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await foreignAdmin.GetAsync($"/api/v1/organisations/{organisation.Id}/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await organisation.Caseworker.GetAsync($"/api/v1/organisations/{organisation.Id}/users")).StatusCode);
    }

    [Theory]
    [InlineData("short pass")]            // 10 characters
    [InlineData("password1234")]          // a common password
    [InlineData("qwertyuiop123")]
    [InlineData("aaaaaaaaaaaaaaaa")]       // one character repeated
    public async Task Activation_refuses_a_weak_password_and_writes_nothing(string password)
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["caseworker"]);
        var before = await fixture.RowCountsAsync();
        var response = await fixture.Client().PostAsJsonAsync("/api/v1/session/activation",
            new { username = created["username"], activationSecret = created["activationSecret"], password });
        var problem = await PeopleApi.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["password"]);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Activation_gives_a_caseworker_a_totp_secret_once_and_stores_it_sealed()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["caseworker"]);
        var username = created["username"]!.GetValue<string>();
        var activation = await fixture.ActivateAsync(username, created["activationSecret"]!.GetValue<string>());
        var secret = activation["totpSecret"]!.GetValue<string>();
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        var uri = activation["otpauthUri"]!.GetValue<string>();
        Assert.StartsWith("otpauth://totp/ReferralNetwork:", uri);
        Assert.Contains($"secret={secret}", uri);
        Assert.Contains("algorithm=SHA1&digits=6&period=30", uri);

        await using var connection = await fixture.OpenAsync();
        var row = await connection.QuerySingleAsync<(string PasswordHash, byte[] TotpSealed)>(
            "SELECT password_hash, totp_sealed FROM users WHERE id = @Id", new { Id = created["id"]!.GetValue<Guid>() });
        Assert.StartsWith("pbkdf2-sha256$", row.PasswordHash);
        Assert.DoesNotContain(UsersApi.Password, row.PasswordHash);
        Assert.DoesNotContain(secret, System.Text.Encoding.UTF8.GetString(row.TotpSealed));
        Assert.False(row.TotpSealed.AsSpan().IndexOf(Base32.Decode(secret)) >= 0);

        // The secret works once.
        var again = await fixture.Client().PostAsJsonAsync("/api/v1/session/activation",
            new { username, activationSecret = created["activationSecret"], password = UsersApi.Password + "x" });
        Assert.Equal("invalid_activation", (await PeopleApi.ProblemAsync(again, HttpStatusCode.Unauthorized))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_org_admin_without_the_organisation_policy_activates_without_a_second_factor()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["org_admin"]);
        var activation = await fixture.ActivateAsync(created["username"]!.GetValue<string>(), created["activationSecret"]!.GetValue<string>());
        Assert.Empty(activation);
        var signIn = await fixture.Client().SignInAsync(created["username"]!.GetValue<string>(), UsersApi.Password);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }

    [Fact]
    public async Task The_organisation_policy_makes_a_second_factor_due_for_every_person()
    {
        var (organisation, orgAdmin) = await OrganisationAsync();
        var patch = await orgAdmin.PatchAsJsonAsync($"/api/v1/organisations/{organisation.Id}", new { requireSecondFactor = true });
        await TestNetwork.Expect(patch, HttpStatusCode.OK);
        var created = await orgAdmin.CreateUserAsync(organisation.Id, ["org_admin"]);
        var activation = await fixture.ActivateAsync(created["username"]!.GetValue<string>(), created["activationSecret"]!.GetValue<string>());
        Assert.NotNull(activation["totpSecret"]);
        var refused = await fixture.Client().SignInAsync(created["username"]!.GetValue<string>(), UsersApi.Password);
        Assert.Equal("totp_required", (await PeopleApi.ProblemAsync(refused, HttpStatusCode.Unauthorized))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sign_in_sets_an_HttpOnly_SameSite_Strict_cookie_and_returns_the_csrf_token_and_the_user()
    {
        var user = await fixture.SignedInUserAsync(_network, (await _network.OrganisationAsync()).Id, "caseworker");
        var client = fixture.Client();
        var response = await client.SignInAsync(user.Username, user.Password, fixture.Code(user.TotpSecret!, 1));
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("rn_session=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(user.Id, body["user"]!["id"]!.GetValue<Guid>());
        Assert.False(string.IsNullOrEmpty(body["csrfToken"]!.GetValue<string>()));

        var session = await user.Client.GetFromJsonAsync<JsonObject>("/api/v1/session");
        Assert.Equal(user.Username, session!["user"]!["username"]!.GetValue<string>());
        Assert.Equal(user.CsrfToken, session["csrfToken"]!.GetValue<string>());
        var me = await user.Client.GetFromJsonAsync<JsonObject>("/api/v1/me");
        Assert.Equal(user.Id, me!["principalId"]!.GetValue<Guid>());

        // Only the session id's hash is stored.
        var sessionId = cookie.Split(';')[0]["rn_session=".Length..];
        await using var connection = await fixture.OpenAsync();
        var hashes = (await connection.QueryAsync<byte[]>("SELECT id_hash FROM user_sessions")).ToList();
        Assert.Contains(hashes, h => h.SequenceEqual(UserSecrets.Hash(sessionId)));
        Assert.DoesNotContain(hashes, h => System.Text.Encoding.UTF8.GetString(h).Contains(sessionId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_password_wrong_or_missing_or_replayed_totp_and_unknown_user_get_401_problems()
    {
        var user = await fixture.SignedInUserAsync(_network, (await _network.OrganisationAsync()).Id, "supervisor");
        var client = fixture.Client();
        async Task<string> Reason(HttpResponseMessage r) => (await PeopleApi.ProblemAsync(r, HttpStatusCode.Unauthorized))["reason"]!.GetValue<string>();
        Assert.Equal("invalid_credentials", await Reason(await client.SignInAsync(user.Username, "not the password at all", fixture.Code(user.TotpSecret!))));
        Assert.Equal("totp_required", await Reason(await client.SignInAsync(user.Username, user.Password)));
        Assert.Equal("invalid_credentials", await Reason(await client.SignInAsync(user.Username, user.Password, "000000")));
        // The code of the step just used by the helper's sign-in is spent.
        Assert.Equal("invalid_credentials", await Reason(await client.SignInAsync(user.Username, user.Password, fixture.Code(user.TotpSecret!))));
        Assert.Equal("invalid_credentials", await Reason(await client.SignInAsync("nobody-" + Guid.NewGuid().ToString("N")[..8], user.Password)));
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT failed_sign_ins FROM users WHERE id = @Id", new { Id = user.Id }));
        Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'user.sign_in_failed'",
            new { S = $"user/{user.Id}" }));
    }

    [Fact]
    public async Task Five_failures_lock_the_account_even_for_the_right_password_until_the_lock_out_ends_and_it_is_audited()
    {
        var organisation = await _network.OrganisationAsync();
        var user = await fixture.SignedInUserAsync(_network, organisation.Id, "caseworker");
        var client = fixture.Client();
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await client.SignInAsync(user.Username, "wrong password " + i)).StatusCode);
        var locked = await client.SignInAsync(user.Username, user.Password, fixture.Code(user.TotpSecret!, 1));
        Assert.Equal("locked_out", (await PeopleApi.ProblemAsync(locked, HttpStatusCode.Unauthorized))["reason"]!.GetValue<string>());
        Assert.True(locked.Headers.RetryAfter is not null);
        await using (var connection = await fixture.OpenAsync())
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'user.locked_out'", new { S = $"user/{user.Id}" }));
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'user.sign_in_refused'", new { S = $"user/{user.Id}" }));
            Assert.Equal("anonymous", await connection.ExecuteScalarAsync<string>("SELECT role FROM audit_events WHERE stream_id = @S AND type = 'user.locked_out'", new { S = $"user/{user.Id}" }));
        }
        fixture.Time.Advance(TimeSpan.FromMinutes(16));
        var after = await client.SignInAsync(user.Username, user.Password, fixture.Code(user.TotpSecret!));
        await TestNetwork.Expect(after, HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_state_changing_request_with_the_cookie_but_without_the_csrf_token_is_403_and_writes_nothing()
    {
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var user = await fixture.SignedInUserAsync(_network, referrer.Id, "caseworker");
        var created = await user.Client.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id));
        await TestNetwork.Expect(created, HttpStatusCode.Created);

        var bare = fixture.Client();
        bare.DefaultRequestHeaders.Add("Cookie", "rn_session=" + await SessionIdAsync(user));
        var before = await fixture.RowCountsAsync();
        var refused = await bare.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id));
        Assert.Equal("csrf_token_missing", (await PeopleApi.ProblemAsync(refused, HttpStatusCode.Forbidden))["reason"]!.GetValue<string>());
        bare.DefaultRequestHeaders.Add("X-CSRF-Token", "forged" + user.CsrfToken[6..]);
        var forged = await bare.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id));
        Assert.Equal("csrf_token_invalid", (await PeopleApi.ProblemAsync(forged, HttpStatusCode.Forbidden))["reason"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());
        Assert.Equal(HttpStatusCode.OK, (await bare.GetAsync("/api/v1/referrals?box=outbox")).StatusCode);
    }

    private readonly Dictionary<Guid, string> _sessionIds = [];

    /// <summary>Signs the user in once more and keeps the session id of the cookie, for a client that sets the cookie by hand.</summary>
    private async Task<string> SessionIdAsync(SignedInUser user)
    {
        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        var response = await fixture.Client().SignInAsync(user.Username, user.Password, user.TotpSecret is null ? null : fixture.Code(user.TotpSecret));
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return _sessionIds[user.Id] = response.Headers.GetValues("Set-Cookie").Single().Split(';')[0]["rn_session=".Length..];
    }

    [Fact]
    public async Task A_session_survives_a_restart_of_the_API()
    {
        var user = await fixture.SignedInUserAsync(_network, (await _network.OrganisationAsync()).Id, "caseworker");
        var sessionId = await SessionIdAsync(user);
        // A second host over the same database and settings: nothing of the session lives in the first one's memory.
        await using var restarted = fixture.Factory.WithWebHostBuilder(_ => { });
        var client = restarted.CreateClient();
        client.DefaultRequestHeaders.Add("Cookie", "rn_session=" + sessionId);
        var session = await client.GetFromJsonAsync<JsonObject>("/api/v1/session");
        Assert.Equal(user.Id, session!["user"]!["id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task A_session_ends_after_the_idle_timeout_but_use_keeps_it_alive_until_the_absolute_limit()
    {
        var user = await fixture.SignedInUserAsync(_network, (await _network.OrganisationAsync()).Id, "caseworker");
        for (var i = 0; i < 3; i++)
        {
            fixture.Time.Advance(TimeSpan.FromMinutes(20)); // under the 30-minute idle timeout each time
            Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/v1/session")).StatusCode);
        }
        fixture.Time.Advance(TimeSpan.FromMinutes(31));
        var expired = await user.Client.GetAsync("/api/v1/session");
        Assert.Equal("session_expired", (await PeopleApi.ProblemAsync(expired, HttpStatusCode.Unauthorized))["reason"]!.GetValue<string>());

        var again = await fixture.SignedInUserAsync(_network, user.OrganisationId, "caseworker");
        for (var i = 0; i < 37; i++) // 37 × 20 min > 12 h
        {
            fixture.Time.Advance(TimeSpan.FromMinutes(20));
            if ((await again.Client.GetAsync("/api/v1/session")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(i >= 35, $"the session ended after {(i + 1) * 20} minutes of use");
                return;
            }
        }
        Assert.Fail("the session outlived its absolute limit");
    }

    [Fact]
    public async Task Sign_out_sign_out_everywhere_deactivation_and_reset_end_sessions_at_once()
    {
        var organisation = await _network.OrganisationAsync();
        var orgAdmin = fixture.Client(await _network.OrganisationAdminAsync(organisation.Id));
        var user = await fixture.SignedInUserAsync(_network, organisation.Id, "caseworker");
        var signOut = await user.Client.DeleteAsync("/api/v1/session");
        await TestNetwork.Expect(signOut, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/v1/session")).StatusCode);

        var everywhere = await fixture.SignedInUserAsync(_network, organisation.Id, "supervisor");
        var second = fixture.Client();
        second.DefaultRequestHeaders.Add("Cookie", "rn_session=" + await SessionIdAsync(everywhere));
        var revoked = await everywhere.Client.DeleteAsync($"/api/v1/organisations/{organisation.Id}/users/{everywhere.Id}/sessions");
        Assert.Equal(2, (await revoked.Content.ReadFromJsonAsync<JsonObject>())!["revoked"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/v1/session")).StatusCode);

        var deactivated = await fixture.SignedInUserAsync(_network, organisation.Id, "caseworker");
        var patch = await orgAdmin.PatchAsJsonAsync($"/api/v1/organisations/{organisation.Id}/users/{deactivated.Id}", new { active = false });
        await TestNetwork.Expect(patch, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Unauthorized, (await deactivated.Client.GetAsync("/api/v1/referrals?box=inbox")).StatusCode);
        var refused = await fixture.Client().SignInAsync(deactivated.Username, deactivated.Password, fixture.Code(deactivated.TotpSecret!, 1));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var reset = await fixture.SignedInUserAsync(_network, organisation.Id, "caseworker");
        var newSecret = await orgAdmin.PostAsync($"/api/v1/organisations/{organisation.Id}/users/{reset.Id}/reset", null);
        await TestNetwork.Expect(newSecret, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Unauthorized, (await reset.Client.GetAsync("/api/v1/session")).StatusCode);
        var activation = await fixture.ActivateAsync(reset.Username, (await newSecret.Content.ReadFromJsonAsync<JsonObject>())!["activationSecret"]!.GetValue<string>(),
            "a brand new passphrase here");
        Assert.NotEqual(Base32.Encode(reset.TotpSecret!), activation["totpSecret"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_signed_in_user_is_the_actor_of_audit_events_and_timeline_entries()
    {
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var user = await fixture.SignedInUserAsync(_network, referrer.Id, "caseworker");
        var response = await user.Client.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id));
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var id = LifecycleApi.IdOf((await response.Content.ReadFromJsonAsync<JsonObject>())!);
        await using var connection = await fixture.OpenAsync();
        var actors = (await connection.QueryAsync<Guid>("SELECT principal_id FROM audit_events WHERE stream_id = @S", new { S = $"referral/{id}" })).ToList();
        Assert.NotEmpty(actors);
        Assert.All(actors, a => Assert.Equal(user.Id, a));
        var timeline = await user.Client.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/timeline");
        var submitted = timeline!["items"]!.AsArray()[0]!;
        Assert.Equal(user.Id, submitted["userId"]!.GetValue<Guid>());
        Assert.Equal("Jelena Petrović", submitted["userDisplayName"]!.GetValue<string>());
        // The receiver sees who acted by id, not by name.
        var seen = await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/timeline");
        Assert.Equal(user.Id, seen!["items"]!.AsArray()[0]!["userId"]!.GetValue<Guid>());
        Assert.Null(seen["items"]!.AsArray()[0]!["userDisplayName"]);

        var note = await user.Client.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "Called her at 10:00" });
        await TestNetwork.Expect(note, HttpStatusCode.Created);
        var notes = await user.Client.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/notes");
        Assert.Equal(user.Id, notes!["items"]!.AsArray()[0]!["authorUserId"]!.GetValue<Guid>());

        var auditor = fixture.Client(await _network.KeyAsync(referrer.Id, "auditor"));
        var events = await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/audit/referrals/{id}/events");
        Assert.All(events!["items"]!.AsArray(), e => Assert.Equal(user.Id, e!["userId"]!.GetValue<Guid>()));
        Assert.DoesNotContain("Jelena", events.ToJsonString());
    }
}

public sealed class UsersTests_Sqlite(UsersTests_Sqlite.Fixture fixture) : UsersTests(fixture), IClassFixture<UsersTests_Sqlite.Fixture>
{
    public sealed class Fixture : SqliteApiFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => UsersSettings.Fast;
    }
}

[Trait("Database", "Postgres")]
public sealed class UsersTests_Postgres(UsersTests_Postgres.Fixture fixture) : UsersTests(fixture), IClassFixture<UsersTests_Postgres.Fixture>
{
    public sealed class Fixture : PostgresApiFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => UsersSettings.Fast;
    }
}

public static class UsersSettings
{
    /// <summary>Fewer PBKDF2 iterations than production's 600,000, so that the suite's many sign-ins stay fast; the hash
    /// format records the count, and <see cref="PasswordHashingTests"/> checks the production default.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Fast = new Dictionary<string, string?> { ["Authentication:PasswordIterations"] = "20000" };
}
