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
}
