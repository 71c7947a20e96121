using System.Security.Cryptography;
using System.Text;
using ReferralNetwork.Application.Features.Users;

namespace ReferralNetwork.Api.Tests.Users;

/// <summary>The password KDF, the password policy and RFC 6238 against the RFC's own test vectors.</summary>
public sealed class CredentialTests
{
    private static readonly byte[] RfcSecret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Totp_matches_the_RFC_6238_SHA1_vectors(long unixTime, string expected) =>
        Assert.Equal(expected, Totp.Code(RfcSecret, Totp.Step(DateTimeOffset.FromUnixTimeSeconds(unixTime)), 8));

    [Fact]
    public void Totp_accepts_one_step_of_drift_and_never_a_step_already_used()
    {
        var secret = Totp.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var step = Totp.Step(now);
        Assert.Equal(step, Totp.Match(secret, Totp.Code(secret, step), now, null));
        Assert.Equal(step - 1, Totp.Match(secret, Totp.Code(secret, step - 1), now, null));
        Assert.Null(Totp.Match(secret, Totp.Code(secret, step - 2), now, null));
        Assert.Null(Totp.Match(secret, Totp.Code(secret, step), now, step));
        Assert.Null(Totp.Match(secret, "12345", now, null));
    }

    [Fact]
    public void Base32_round_trips_and_encodes_the_RFC_4648_vector()
    {
        Assert.Equal("MZXW6YTBOI", Base32.Encode(Encoding.ASCII.GetBytes("foobar")));
        var bytes = RandomNumberGenerator.GetBytes(20);
        Assert.Equal(bytes, Base32.Decode(Base32.Encode(bytes)));
    }

    [Fact]
    public void Password_hashes_are_salted_PBKDF2_with_the_production_default_of_600000_iterations()
    {
        Assert.Equal(600_000, new UserSecurityOptions().PasswordIterations);
        var a = PasswordHashing.Hash("a long passphrase", 1000);
        var b = PasswordHashing.Hash("a long passphrase", 1000);
        Assert.NotEqual(a, b);
        Assert.StartsWith("pbkdf2-sha256$1000$", a);
        Assert.True(PasswordHashing.Verify("a long passphrase", a, out var iterations));
        Assert.Equal(1000, iterations);
        Assert.False(PasswordHashing.Verify("a long passphrasE", a, out _));
        Assert.False(PasswordHashing.Verify("a long passphrase", "plain", out _));
    }

    [Theory]
    [InlineData("elevenchars", false)]
    [InlineData("Password123!", false)]
    [InlineData("lozinka12345", false)]
    [InlineData("jelena-petrovic-2026", false)] // contains the username
    [InlineData("tri psa na mostu", true)]
    [InlineData("ђурђевак у пролеће", true)]   // any script, no composition rules
    public void Password_policy_follows_NIST_800_63B(string password, bool accepted) =>
        Assert.Equal(accepted, PasswordPolicy.Refusal(password, "jelena-petrovic") is null);
}
