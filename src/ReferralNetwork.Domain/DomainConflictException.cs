namespace ReferralNetwork.Domain;

/// <summary>The state of the resource does not allow this now (the API answers 409).</summary>
public sealed class DomainConflictException(string message) : DomainException(message);

/// <summary>The caller may see the resource but is not the one who may do this (the API answers 403).</summary>
public sealed class DomainForbiddenException(string message) : DomainException(message);
