using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Attachments;

/// <summary>
/// Issue 17 point 5, over HTTP as a partner sends documents: types judged by their bytes, the size cap met exactly and
/// while streaming, nothing written on refusal, the round trip, erasure, the access log, the consent scan and verify.
/// The cap is set low (<see cref="MaxBytes"/>, a little over three 64 KiB chunks) so that documents span several chunks.
/// </summary>
public abstract class AttachmentTests(ApiFixture fixture)
{
    public const int MaxBytes = 200_000;
    private readonly TestNetwork _network = new(fixture);

    private async Task<(TestOrganisation Referrer, TestOrganisation Receiver, Guid Referral, Guid Person)> ReferralAsync()
    {
        var referrer = await _network.OrganisationAsync("youth_office");
        var receiver = await _network.OrganisationAsync("ngo");
        var referral = await _network.SubmitAsync(referrer, receiver);
        return (referrer, receiver, referral.Id(), referral["person"]!.Id());
    }

    [Fact]
    public async Task A_pdf_over_several_chunks_round_trips_with_its_hash_name_and_headers()
    {
        var (referrer, receiver, referral, _) = await ReferralAsync();
        var content = AttachmentsApi.Pdf(150_000);
        using var request = AttachmentsApi.Raw(referral, content, disposition: "attachment; filename=\"medical letter.pdf\"");
        var response = await referrer.Caseworker.SendAsync(request);
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"/api/v1/referrals/{referral}/attachments/{created.Id()}", response.Headers.Location?.OriginalString);
        Assert.Equal("medical letter.pdf", created["fileName"]!.GetValue<string>());
        Assert.Equal("application/pdf", created["contentType"]!.GetValue<string>());
        Assert.Equal(150_000, created["size"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), created["sha256"]!.GetValue<string>());
        Assert.NotNull(created["createdAt"]);

        var list = (await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{referral}/attachments"))!["items"]!.AsArray();
        Assert.Equal(created.Id(), Assert.Single(list)!.Id());
        Assert.Equal("medical letter.pdf", list[0]!["fileName"]!.GetValue<string>());

        var download = await receiver.Caseworker.GetAsync($"/api/v1/referrals/{referral}/attachments/{created.Id()}");
        await TestNetwork.Expect(download, HttpStatusCode.OK);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("medical letter.pdf", download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("nosniff", Assert.Single(download.Headers.GetValues("X-Content-Type-Options")));

        await using var connection = await fixture.OpenAsync();
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = @Id", new { Id = created.Id() }));

        // The event on the referral's stream leaves the referral's version alone: the receiver still acts on version 1.
        using var accept = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referral}/accept") { Content = JsonContent.Create(new { }) };
        accept.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await TestNetwork.Expect(await receiver.Caseworker.SendAsync(accept), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Multipart_and_rfc_8187_file_names_are_read_and_an_unlabelled_png_is_recorded_as_png()
    {
        var (referrer, _, referral, _) = await ReferralAsync();
        using var multipart = AttachmentsApi.Multipart(referral, AttachmentsApi.Jpeg(70_000), "Đorđe pasoš.jpg", "image/jpeg");
        var fromForm = await referrer.Caseworker.SendAsync(multipart);
        await TestNetwork.Expect(fromForm, HttpStatusCode.Created);
        var form = (await fromForm.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("image/jpeg", form["contentType"]!.GetValue<string>());
        Assert.Equal("Đorđe pasoš.jpg", form["fileName"]!.GetValue<string>());

        using var raw = AttachmentsApi.Raw(referral, AttachmentsApi.Png(500), "application/octet-stream",
            "attachment; filename=\"fallback.png\"; filename*=UTF-8''%D0%A1%D0%B0%D0%B3%D0%BB%D0%B0%D1%81%D0%BD%D0%BE%D1%81%D1%82.png");
        var fromBody = await referrer.Caseworker.SendAsync(raw);
        await TestNetwork.Expect(fromBody, HttpStatusCode.Created);
        var body = (await fromBody.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("image/png", body["contentType"]!.GetValue<string>());
        Assert.Equal("Сагласност.png", body["fileName"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { "png declared as pdf", "png", "application/pdf" },
        { "text named .pdf", "text", "application/pdf" },
        { "text unlabelled", "text", "application/octet-stream" },
        { "empty", "empty", "application/pdf" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Content_that_is_not_what_it_is_declared_or_not_a_document_is_415_and_nothing_is_written(string name, string kind, string declared)
    {
        var (referrer, _, referral, _) = await ReferralAsync();
        var content = kind switch
        {
            "png" => AttachmentsApi.Png(1_000),
            "text" => "This is not a PDF at all, just text in a file called scan.pdf"u8.ToArray(),
            _ => [],
        };
        var before = await fixture.RowCountsAsync();
        using var request = AttachmentsApi.Raw(referral, content, declared);
        var problem = await PeopleApi.ProblemAsync(await referrer.Caseworker.SendAsync(request), HttpStatusCode.UnsupportedMediaType);
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()), name);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task The_size_cap_takes_exactly_the_limit_and_refuses_one_byte_more_with_413_also_without_a_content_length()
    {
        var (referrer, _, referral, _) = await ReferralAsync();
        var atLimit = await referrer.Caseworker.UploadAsync(referral, AttachmentsApi.Pdf(MaxBytes));
        Assert.Equal(MaxBytes, atLimit["size"]!.GetValue<long>());

        var before = await fixture.RowCountsAsync();
        using (var over = AttachmentsApi.Raw(referral, AttachmentsApi.Pdf(MaxBytes + 1)))
            await PeopleApi.ProblemAsync(await referrer.Caseworker.SendAsync(over), HttpStatusCode.RequestEntityTooLarge);
        // No Content-Length at all (a stream of unknown length, sent chunked): counted while it streams.
        using (var streamed = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referral}/attachments")
               { Content = new StreamContent(new AttachmentsApi.UnknownLengthStream(AttachmentsApi.Pdf(MaxBytes + 1))) })
        {
            streamed.Content.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            streamed.Content.Headers.TryAddWithoutValidation("Content-Disposition", "attachment; filename=\"big.pdf\"");
            Assert.Null(streamed.Content.Headers.ContentLength);
            await PeopleApi.ProblemAsync(await referrer.Caseworker.SendAsync(streamed), HttpStatusCode.RequestEntityTooLarge);
        }
        using (var multipart = AttachmentsApi.Multipart(referral, AttachmentsApi.Pdf(MaxBytes + 1), "big.pdf", "application/pdf"))
            await PeopleApi.ProblemAsync(await referrer.Caseworker.SendAsync(multipart), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task An_upload_without_a_file_name_is_400_and_writes_nothing()
    {
        var (referrer, _, referral, _) = await ReferralAsync();
        var before = await fixture.RowCountsAsync();
        using var request = AttachmentsApi.Raw(referral, AttachmentsApi.Pdf(100), disposition: null);
        var problem = await PeopleApi.ProblemAsync(await referrer.Caseworker.SendAsync(request), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["fileName"]);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_replays_the_first_upload()
    {
        var (referrer, _, referral, _) = await ReferralAsync();
        var content = AttachmentsApi.Pdf(80_000);
        var answers = new List<JsonObject>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = AttachmentsApi.Raw(referral, content);
            request.Headers.Add("Idempotency-Key", $"upload-{referral}");
            var response = await referrer.Caseworker.SendAsync(request);
            await TestNetwork.Expect(response, HttpStatusCode.Created);
            answers.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!);
        }
        Assert.Equal(answers[0].Id(), answers[1].Id());
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachments WHERE referral_id = @Id", new { Id = referral }));
    }

    [Fact]
    public async Task Every_download_is_in_the_access_log_and_an_erasure_shreds_the_documents()
    {
        var (referrer, receiver, referral, person) = await ReferralAsync();
        var attachment = await referrer.Caseworker.UploadAsync(referral, AttachmentsApi.Pdf(100_000));
        await TestNetwork.Expect(await receiver.Caseworker.GetAsync($"/api/v1/referrals/{referral}/attachments/{attachment.Id()}"), HttpStatusCode.OK);

        var auditor = fixture.Client(await _network.KeyAsync(referrer.Id, "auditor"));
        var log = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/audit/personal-data-access?personId={person}"))!["items"]!.AsArray();
        var read = Assert.Single(log, e => e!["accessed"]!.GetValue<string>() == "attachment")!;
        Assert.Equal(attachment.Id(), read["attachmentId"]!.GetValue<Guid>());
        Assert.Equal(receiver.Id, read["organisationId"]!.GetValue<Guid>());
        Assert.Equal(referral, read["viaReferralId"]!.GetValue<Guid>());

        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync($"/api/v1/persons/{person}/erasure", new { reason = "Request of the data subject (art. 17)" }),
            HttpStatusCode.OK);
        var gone = await PeopleApi.ProblemAsync(await receiver.Caseworker.GetAsync($"/api/v1/referrals/{referral}/attachments/{attachment.Id()}"), HttpStatusCode.Gone);
        Assert.Equal("attachment.erased", gone["rule"]!.GetValue<string>());
        var listed = Assert.Single((await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{referral}/attachments"))!["items"]!.AsArray())!;
        Assert.True(listed["erased"]!.GetValue<bool>());
        Assert.Null(listed["fileName"]);
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = @Id", new { Id = attachment.Id() }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachments WHERE id = @Id AND file_name_sealed IS NULL", new { Id = attachment.Id() }));
        // A failed download is not a read: the log has the one download from before the erasure.
        log = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/audit/personal-data-access?personId={person}"))!["items"]!.AsArray();
        Assert.Single(log, e => e!["accessed"]!.GetValue<string>() == "attachment");
        // And nothing more can be attached.
        using var after = AttachmentsApi.Raw(referral, AttachmentsApi.Pdf(100));
        Assert.Equal("person.erased", await PeopleApi.RuleAsync(await referrer.Caseworker.SendAsync(after)));
    }

    [Fact]
    public async Task A_consent_points_to_its_scan_among_the_persons_documents_the_caller_may_read()
    {
        var (referrer, receiver, referral, person) = await ReferralAsync();
        var scan = await referrer.Caseworker.UploadAsync(referral, AttachmentsApi.Jpeg(2_000), "image/jpeg", "consent.jpg");
        var consent = await referrer.Caseworker.RecordConsentAsync(person, new { givenBy = "person", method = "written", scanAttachmentId = scan.Id() });
        Assert.Equal(scan.Id(), consent["scanAttachmentId"]!.GetValue<Guid>());
        var listed = (await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{person}/consents"))!["items"]!.AsArray();
        Assert.Contains(listed, c => c!["id"]!.GetValue<Guid>() == consent.Id() && c["scanAttachmentId"]!.GetValue<Guid>() == scan.Id());

        // Another person's document, or an id that is none, is refused and writes nothing.
        var (other, _, otherReferral, _) = await ReferralAsync();
        var foreign = await other.Caseworker.UploadAsync(otherReferral, AttachmentsApi.Pdf(500));
        var before = await fixture.RowCountsAsync();
        foreach (var id in new[] { foreign.Id(), Guid.NewGuid() })
            Assert.Equal("consent.scan_unknown", await PeopleApi.RuleAsync(await receiver.Caseworker.PostAsJsonAsync($"/api/v1/persons/{person}/consents",
                new { givenBy = "person", method = "written", scanAttachmentId = id })));
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Verify_catches_an_attachments_row_that_disagrees_with_its_event()
    {
        var (referrer, _, referral, _) = await ReferralAsync();
        var attachment = await referrer.Caseworker.UploadAsync(referral, AttachmentsApi.Png(3_000), "image/png", "scan.png");
        var auditor = fixture.Client(await _network.KeyAsync(referrer.Id, "auditor"));
        Assert.DoesNotContain(await ProblemsAsync(auditor), p => p.Contains($"attachments id {attachment.Id()}", StringComparison.Ordinal));

        await using (var connection = await fixture.OpenAsync())
            await connection.ExecuteAsync("UPDATE attachments SET content_type = 'application/pdf', size_bytes = 1 WHERE id = @Id", new { Id = attachment.Id() });
        var problem = Assert.Single(await ProblemsAsync(auditor), p => p.Contains($"attachments id {attachment.Id()}", StringComparison.Ordinal));
        Assert.Contains("content_type is application/pdf in the table, image/png by the events", problem);
        Assert.Contains("size_bytes is 1 in the table, 3000 by the events", problem);

        await using (var connection = await fixture.OpenAsync())
            await connection.ExecuteAsync("UPDATE attachments SET content_type = 'image/png', size_bytes = 3000 WHERE id = @Id", new { Id = attachment.Id() });
        Assert.DoesNotContain(await ProblemsAsync(auditor), p => p.Contains($"attachments id {attachment.Id()}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Chunks_swapped_at_rest_break_the_download_instead_of_handing_out_other_bytes()
    {
        var (referrer, receiver, referral, _) = await ReferralAsync();
        var attachment = await referrer.Caseworker.UploadAsync(referral, AttachmentsApi.Pdf(150_000));
        await using (var connection = await fixture.OpenAsync())
        {
            var chunks = (await connection.QueryAsync<byte[]>("SELECT sealed FROM attachment_chunks WHERE attachment_id = @Id ORDER BY chunk_index",
                new { Id = attachment.Id() })).ToList();
            Assert.Equal(3, chunks.Count);
            // Two full chunks of the same length, swapped: each still opens under its own index only.
            await connection.ExecuteAsync("UPDATE attachment_chunks SET sealed = @Sealed WHERE attachment_id = @Id AND chunk_index = 1",
                new { Id = attachment.Id(), Sealed = chunks[0] });
            await connection.ExecuteAsync("UPDATE attachment_chunks SET sealed = @Sealed WHERE attachment_id = @Id AND chunk_index = 0",
                new { Id = attachment.Id(), Sealed = chunks[1] });
        }
        Exception? failure = null;
        HttpStatusCode? status = null;
        try
        {
            using var response = await receiver.Caseworker.GetAsync($"/api/v1/referrals/{referral}/attachments/{attachment.Id()}");
            status = response.StatusCode;
            await response.Content.ReadAsByteArrayAsync();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Security.Cryptography.CryptographicException)
        {
            failure = e;
        }
        Assert.True(failure is not null || status != HttpStatusCode.OK, "a download of swapped chunks was answered 200 in full");
    }

    private static async Task<List<string>> ProblemsAsync(HttpClient auditor)
    {
        var verify = (await auditor.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify"))!;
        return verify["problems"]!.AsArray().Where(p => p!["reason"]!.GetValue<string>() == "projection_mismatch")
            .Select(p => p!["detail"]!.GetValue<string>()).ToList();
    }
}

public sealed class AttachmentSqliteFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Attachments:MaxBytes"] = $"{AttachmentTests.MaxBytes}" };
}

public sealed class AttachmentPostgresFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Attachments:MaxBytes"] = $"{AttachmentTests.MaxBytes}" };
}

public sealed class AttachmentTests_Sqlite(AttachmentSqliteFixture fixture) : AttachmentTests(fixture), IClassFixture<AttachmentSqliteFixture>;

[Trait("Database", "Postgres")]
public sealed class AttachmentTests_Postgres(AttachmentPostgresFixture fixture) : AttachmentTests(fixture), IClassFixture<AttachmentPostgresFixture>;
