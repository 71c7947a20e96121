namespace ReferralNetwork.Api.Endpoints;

public static class ApiEndpoints
{
    /// <summary>Every endpoint of the API, listed explicitly (no reflection scanning).</summary>
    public static void MapReferralNetworkApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthEndpoints();
        app.MapDirectoryEndpoints();
        app.MapOrganisationEndpoints();
        app.MapSessionEndpoints();
        app.MapReferralEndpoints();
        app.MapAttachmentEndpoints();
        app.MapPersonEndpoints();
        app.MapWebhookEndpoints();
        app.MapProtocolEndpoints();
        app.MapOverrideEndpoints();
        app.MapStatisticsEndpoints();
        app.MapReportEndpoints();
        app.MapAuditEndpoints();
        app.MapAuditLogEndpoints();
    }
}
