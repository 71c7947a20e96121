using System.Text.Json;
using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>Writes persons (identity sealed under a fresh data key) and reads their summaries and keys.</summary>
public sealed class PersonStore(IDbSession session, IPersonalDataProtector protector, IAuditLog audit, Clock clock, PersonSearchIndex search)
{
    /// <summary>
    /// Creates a person with a fresh data key. A guardian organisation must be a centre for social work (issue 13:
    /// anyone else named as a child's guardian could read the child's identity). <paramref name="guardianKind"/> is the
    /// guardian's kind when the caller already read it (null: read here).
    /// </summary>
    public async Task<CreatedPerson> CreateAsync(Guid ownerOrganisationId, PersonInput input, CancellationToken ct, string? guardianKind = null)
    {
        var id = Guid.CreateVersion7();
        var key = protector.NewDataKey();
        var identity = IdentityOf(input);
        var sealedIdentity = protector.Seal(key.Key, JsonSerializer.Serialize(identity), IdentityContext(id));
        var connection = await session.ConnectionAsync(ct);
        if (input.GuardianOrganisationId is { } guardian)
        {
            guardianKind ??= await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT kind FROM organisations WHERE id = @Id", new { Id = guardian }, session.Transaction, cancellationToken: ct));
            EnsureGuardianKind(guardianKind);
        }
        var row = new PersonRow
        {
            Id = id, OwnerOrganisationId = ownerOrganisationId, ExternalRef = input.ExternalRef, Initials = Initials.Of(identity.GivenName, identity.FamilyName),
            BirthYear = input.BirthYear!.Value, Sex = input.Sex!, Nationality = input.Nationality, Languages = string.Join(',', input.Languages ?? []),
            LegalStatus = input.LegalStatus!, Vulnerabilities = string.Join(',', input.Vulnerabilities ?? []), GuardianOrganisationId = input.GuardianOrganisationId,
            WrappedKey = key.Wrapped, MasterKeyId = key.MasterKeyId,
        };
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO persons (id, owner_organisation_id, external_ref, initials, birth_year, sex, nationality, languages, legal_status,
                                     vulnerabilities, guardian_organisation_id, identity_sealed, wrapped_key, master_key_id, created_at)
                VALUES (@Id, @OwnerOrganisationId, @ExternalRef, @Initials, @BirthYear, @Sex, @Nationality, @Languages, @LegalStatus,
                        @Vulnerabilities, @GuardianOrganisationId, @Identity, @WrappedKey, @MasterKeyId, @Now)
                """, new
            {
                row.Id, row.OwnerOrganisationId, row.ExternalRef, row.Initials, row.BirthYear, row.Sex, row.Nationality, row.Languages, row.LegalStatus,
                row.Vulnerabilities, row.GuardianOrganisationId, Identity = sealedIdentity, row.WrappedKey, row.MasterKeyId, Now = clock.Now(),
            }, session.Transaction, cancellationToken: ct));
        }
        catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
        {
            throw new ConflictException($"A person with externalRef '{input.ExternalRef}' already exists in your organisation; refer to them by personId.");
        }
        await search.WriteAsync(id, identity, ct);
        audit.Record(new AuditEntry(AuditStreams.Person(id), "person.created",
            new Dictionary<string, object?> { ["personId"] = id, ["ownerOrganisationId"] = ownerOrganisationId }) { ExpectedHead = KnownHead.NewStream });
        return new CreatedPerson(row, key.Key);
    }

    /// <summary>422 unless the guardian organisation exists and is a centre for social work.</summary>
    public static void EnsureGuardianKind(string? kind)
    {
        if (kind is null) throw new RuleViolationException("person.guardian_unknown", "No organisation has that guardianOrganisationId.");
        if (kind != "centre_for_social_work")
            throw new RuleViolationException("person.guardian_not_csw",
                "guardianOrganisationId must be a centre for social work: only a CSW appoints a child's guardian.");
    }

    /// <summary>The part of the input that is sealed.</summary>
    public static PersonIdentity IdentityOf(PersonInput input) =>
        new(input.GivenName!.Trim(), input.FamilyName!.Trim(), input.DateOfBirth, input.Phone, input.Address, input.DocumentNumber);

    public async Task<PersonRow?> FindAsync(Guid id, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PersonRow>(new CommandDefinition($"SELECT {PersonRow.Columns} FROM persons p WHERE p.id = @Id",
            new { Id = id }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>
    /// The person as the organisation may see them — it owns the record or takes part in (or observes) a referral of the
    /// person — with the referral that makes it so (the one named, if any, else the latest). Anyone else: 404.
    /// </summary>
    public async Task<(PersonRow Person, Guid? ViaReferralId)> FindVisibleAsync(Guid id, Guid organisationId, CancellationToken ct, Guid? referralId = null)
    {
        var person = await FindAsync(id, ct) ?? throw new NotFoundException("The person");
        var connection = await session.ConnectionAsync(ct);
        var via = await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition($"""
            SELECT r.id FROM referrals r
            WHERE {PersonRow.OfPerson("r.person_id", "@PersonId")} {(referralId is null ? "" : "AND r.id = @ReferralId")} AND {Referrals.ReferralRow.VisibleTo}
            ORDER BY r.created_at DESC, r.id DESC
            {session.Dialect.Limit("1")}
            """, new { PersonId = person.Id, ReferralId = referralId, Org = organisationId }, session.Transaction, cancellationToken: ct));
        if (person.OwnerOrganisationId != organisationId && via is null) throw new NotFoundException("The person");
        return (person, via);
    }

    /// <summary>
    /// Whether the organisation may read free text about the person (reasons, withdrawal reasons): it owns the record or
    /// is referrer or receiver of one of their referrals. An organisation that only observes sees identity and codes.
    /// </summary>
    public async Task<bool> MayReadFreeTextAsync(PersonRow person, Guid organisationId, CancellationToken ct)
    {
        if (person.OwnerOrganisationId == organisationId) return true;
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
            SELECT COUNT(*) FROM referrals r
            WHERE {PersonRow.OfPerson("r.person_id", "@PersonId")} AND (r.referrer_organisation_id = @Org OR r.receiver_organisation_id = @Org)
            """, new { PersonId = person.Id, Org = organisationId }, session.Transaction, cancellationToken: ct)) > 0;
    }

    /// <summary>Decrypts the identity; null once erased. Callers record the read (<c>person.identity_read</c>).</summary>
    public async Task<PersonIdentity?> OpenIdentityAsync(PersonRow person, CancellationToken ct)
    {
        if (person.WrappedKey is null) return null;
        var connection = await session.ConnectionAsync(ct);
        var sealedIdentity = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition(
            "SELECT identity_sealed FROM persons WHERE id = @Id", new { person.Id }, session.Transaction, cancellationToken: ct));
        return OpenIdentity(person, sealedIdentity);
    }

    /// <summary>Decrypts an identity read with the person's row (a search reads both in one statement); null once erased.</summary>
    public PersonIdentity? OpenIdentity(PersonRow person, byte[]? sealedIdentity)
    {
        var key = DataKeyOf(person);
        if (key is null || sealedIdentity is null) return null;
        return JsonSerializer.Deserialize<PersonIdentity>(protector.Open(key, sealedIdentity, IdentityContext(person.Id)));
    }

    public static string IdentityContext(Guid personId) => $"person:{personId}:identity";

    /// <summary>The person's data key, or null once erased.</summary>
    public byte[]? DataKeyOf(PersonRow person) =>
        person.WrappedKey is null ? null : protector.Unwrap(person.WrappedKey, person.MasterKeyId!);
}

/// <summary>A person just created, with the data key its identity was sealed under (unwrapped once).</summary>
public sealed record CreatedPerson(PersonRow Row, byte[] DataKey);

/// <summary>A person as stored (unsealed only by the data key it carries); the search extends it with its keyset column.</summary>
public record PersonRow
{
    public Guid Id { get; init; }
    public Guid OwnerOrganisationId { get; init; }
    public string? ExternalRef { get; init; }
    public string? Initials { get; init; }
    public int BirthYear { get; init; }
    public string Sex { get; init; } = "";
    public string? Nationality { get; init; }
    public string Languages { get; init; } = "";
    public string LegalStatus { get; init; } = "";
    public string Vulnerabilities { get; init; } = "";
    public Guid? GuardianOrganisationId { get; init; }
    public byte[]? WrappedKey { get; init; }
    public string? MasterKeyId { get; init; }
    public DateTimeOffset? ErasedAt { get; init; }
    /// <summary>The person this record was merged into as a duplicate (issue 17), until an admin undoes the merge.</summary>
    public Guid? MergedIntoId { get; init; }
    public DateTimeOffset? MergedAt { get; init; }

    public const string Columns = """
        p.id, p.owner_organisation_id AS OwnerOrganisationId, p.external_ref AS ExternalRef, p.initials, p.birth_year AS BirthYear, p.sex,
        p.nationality, p.languages, p.legal_status AS LegalStatus, p.vulnerabilities, p.guardian_organisation_id AS GuardianOrganisationId,
        p.wrapped_key AS WrappedKey, p.master_key_id AS MasterKeyId, p.erased_at AS ErasedAt, p.merged_into_id AS MergedIntoId, p.merged_at AS MergedAt
        """;

    /// <summary>
    /// A condition that <paramref name="personColumn"/> is the person <paramref name="personParameter"/> names or one merged
    /// into them: after a merge the duplicate's referrals, consents and access log are the survivor's (issue 17).
    /// </summary>
    public static string OfPerson(string personColumn, string personParameter) =>
        $"({personColumn} = {personParameter} OR {personColumn} IN (SELECT pm.id FROM persons pm WHERE pm.merged_into_id = {personParameter}))";

    public IReadOnlyList<string> VulnerabilityList => Vulnerabilities.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public PersonSummary ToSummary() => new(Id, Initials, BirthYear, Sex, Nationality, Languages.Split(',', StringSplitOptions.RemoveEmptyEntries),
        LegalStatus, VulnerabilityList, GuardianOrganisationId, ErasedAt is not null) { MergedInto = MergedIntoId };

    /// <summary>The youngest the person can be: with only a birth year known, protection errs towards childhood.</summary>
    public int MinimumAge(int currentYear) => Math.Max(0, currentYear - BirthYear - 1);
}
