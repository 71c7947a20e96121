using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Referrals;

namespace ReferralNetwork.Api.Tests.Isolation;

/// <summary>Authorization lives in one place, and nothing escapes it: every route and every message is covered.</summary>
public sealed class AuthorizationCoverageTests(SqliteApiFixture fixture) : IClassFixture<SqliteApiFixture>
{
    [Fact]
    public void Every_api_route_requires_authentication()
    {
        var endpoints = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true).ToList();
        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} API routes found");
        var open = endpoints.Where(e => e.Metadata.GetMetadata<IAuthorizeData>() is null || e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText).Order().ToList();
        // Issue 16: signing in, activating an account and listing the identity providers to sign in through are the only routes anyone may call.
        Assert.True(open.SequenceEqual(["/api/v1/session/", "/api/v1/session/activation", "/api/v1/session/providers"]),
            "routes without an authorization policy: " + string.Join(", ", open));
    }

    [Fact]
    public void Every_command_and_query_declares_its_roles()
    {
        var messages = typeof(SubmitReferralCommand).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IMessage).IsAssignableFrom(t)).ToList();
        Assert.True(messages.Count > 30, $"only {messages.Count} messages found");
        var undeclared = messages.Where(t => AllowedRolesAttribute.For(t) is not { Count: > 0 }).Select(t => t.Name).ToList();
        Assert.True(undeclared.Count == 0, "messages without [AllowedRoles]: " + string.Join(", ", undeclared));
        var anonymous = messages.Where(t => AllowedRolesAttribute.For(t)!.Contains(ReferralNetwork.Domain.Access.Role.Anonymous)).Select(t => t.Name).Order().ToList();
        Assert.Equal(["ActivateCommand", "SignInCommand"], anonymous);
        Assert.All(messages, t => Assert.True(AllowedRolesAttribute.For(t)!.Count == 1 || !AllowedRolesAttribute.For(t)!.Contains(ReferralNetwork.Domain.Access.Role.Anonymous)));
    }
}
