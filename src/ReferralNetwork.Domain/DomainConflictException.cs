namespace ReferralNetwork.Domain;

/// <summary>The state of the resource does not allow this now (the API answers 409).</summary>
public sealed class DomainConflictException(Text message) : DomainException(message);

/// <summary>The caller may see the resource but is not the one who may do this (the API answers 403).</summary>
public sealed class DomainForbiddenException(Text message) : DomainException(message);
