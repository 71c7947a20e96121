using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Contract;

public sealed class OpenApiDocumentTests(SqliteApiFixture fixture) : IClassFixture<SqliteApiFixture>
{
    [Fact]
    public async Task Committed_openapi_file_equals_the_served_document()
    {
        var served = JsonNode.Parse(await fixture.Client().GetStringAsync("/swagger/v1/swagger.json"));
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "openapi", "referral-network.v1.json")));
        Assert.True(JsonNode.DeepEquals(served, committed),
            "openapi/referral-network.v1.json is stale: regenerate it with `bash scripts/update-openapi.sh` and commit it.");
    }

    [Fact]
    public async Task Every_operation_has_an_operation_id_and_a_summary()
    {
        var document = JsonNode.Parse(await fixture.Client().GetStringAsync("/swagger/v1/swagger.json"))!;
        var operations = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value!))).ToList();
        Assert.NotEmpty(operations);
        Assert.All(operations, o =>
        {
            Assert.False(string.IsNullOrEmpty(o.Operation["operationId"]?.GetValue<string>()), $"{o.Method} {o.Path} has no operationId");
            Assert.False(string.IsNullOrEmpty(o.Operation["summary"]?.GetValue<string>()), $"{o.Method} {o.Path} has no summary");
        });
    }

    /// <summary>The main requests carry an example (Spectral's oas3-valid-media-example checks each against its schema).</summary>
    [Fact]
    public async Task The_main_requests_carry_examples()
    {
        var document = JsonNode.Parse(await fixture.Client().GetStringAsync("/swagger/v1/swagger.json"))!;
        var withExamples = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject())
            .Where(o => o.Value!["requestBody"]?["content"]?["application/json"]?["example"] is JsonObject)
            .Select(o => o.Value!["operationId"]!.GetValue<string>()).ToHashSet();
        foreach (var main in new[] { "SubmitReferral", "DeclineReferral", "CompleteReferral", "RedirectReferral", "CreateOrganisation", "CreateApiKey", "CreateWebhook",
                     "CreatePerson", "RecordConsent", "CreateUser", "SignIn" })
            Assert.Contains(main, withExamples);
        Assert.Equal(Api.OpenApi.RequestExamplesOperationFilter.Examples.Count, withExamples.Count); // none left behind by a renamed operation
    }
}
