-- Issue 23: protocol steps. Step duties are keyed by (deadline kind 'step', step code): step_code joins the keys of
-- referral_duties and deadline_breaches (the empty string for every other kind). referral_steps holds the steps done.
-- The seeded protocols gain steps as NEW versions (published versions are never edited); the content is an example
-- for the network to replace with its own.
CREATE TABLE referral_duties_keyed (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    deadline TEXT NOT NULL,
    step_code TEXT NOT NULL DEFAULT '',
    holder_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    opened_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    closed_at TEXT NULL,
    closed_basis TEXT NULL,
    breached_at TEXT NULL,
    responsible_at_due TEXT NULL,
    PRIMARY KEY (referral_id, deadline, step_code)
);
INSERT INTO referral_duties_keyed (referral_id, deadline, step_code, holder_organisation_id, opened_at, due_at, closed_at, closed_basis, breached_at, responsible_at_due)
SELECT referral_id, deadline, '', holder_organisation_id, opened_at, due_at, closed_at, closed_basis, breached_at, responsible_at_due FROM referral_duties;
DROP TABLE referral_duties;
ALTER TABLE referral_duties_keyed RENAME TO referral_duties;
CREATE INDEX ix_referral_duties_due ON referral_duties (due_at) WHERE closed_at IS NULL AND breached_at IS NULL;
CREATE INDEX ix_referral_duties_holder ON referral_duties (holder_organisation_id, due_at);

CREATE TABLE deadline_breaches_keyed (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    deadline TEXT NOT NULL,
    step_code TEXT NOT NULL DEFAULT '',
    due_at TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    responsible_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    protocol_code TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    holder_organisation_id TEXT NULL REFERENCES organisations (id),
    acted_at TEXT NULL,
    escalation_organisation_id TEXT NULL REFERENCES organisations (id),
    PRIMARY KEY (referral_id, deadline, step_code)
);
INSERT INTO deadline_breaches_keyed (referral_id, deadline, step_code, due_at, detected_at, responsible_organisation_id, protocol_code, protocol_version,
                                     holder_organisation_id, acted_at, escalation_organisation_id)
SELECT referral_id, deadline, '', due_at, detected_at, responsible_organisation_id, protocol_code, protocol_version, holder_organisation_id, acted_at,
       escalation_organisation_id FROM deadline_breaches;
DROP TABLE deadline_breaches;
ALTER TABLE deadline_breaches_keyed RENAME TO deadline_breaches;
CREATE INDEX ix_deadline_breaches_detected ON deadline_breaches (detected_at);
CREATE INDEX ix_deadline_breaches_due_referral ON deadline_breaches (due_at, referral_id);
CREATE INDEX ix_deadline_breaches_holder ON deadline_breaches (holder_organisation_id, due_at);

CREATE TABLE referral_steps (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    step_code TEXT NOT NULL,
    done_at TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    principal_id TEXT NULL,
    note_id TEXT NULL,
    PRIMARY KEY (referral_id, step_code)
);

INSERT INTO protocols (code, version, title, document, published_at, published_by)
SELECT 'child-protection', MAX(version) + 1, 'Children without parental care', '{"code":"child-protection","title":"Children without parental care","appliesTo":{"maxAge":17,"vulnerabilitiesAny":["unaccompanied_child","separated_child"]},"consent":{"requiredFrom":["guardian"],"emergencyOverride":{"allowed":true,"reviewWithin":"PT24H"}},"deadlines":{"emergency":{"acknowledge":"PT1H","decide":"PT12H","followUp":"P7D"},"urgent":{"acknowledge":"PT12H","decide":"PT48H","followUp":"P14D"},"routine":{"acknowledge":"PT48H","decide":"P7D","followUp":"P30D"}},"mandatoryObservers":["guardianOrganisation"],"receivers":{"accommodation":{"onlyReferrer":"guardianOrganisation"},"*":{"kinds":["centre_for_social_work","ngo","health_centre","children_home","youth_office"]}},"escalateTo":{"organisationKind":"network_coordinator"},"steps":[{"code":"temporary-guardian","title":{"sr-Latn":"Hitno postavljanje privremenog staratelja","en":"Urgent appointment of a temporary guardian","sr-Cyrl":"Хитно постављање привременог старатеља"},"guidance":{"sr-Latn":"Nadležni centar za socijalni rad (prema mestu gde je dete zatečeno) bez odlaganja donosi rešenje o postavljanju privremenog staratelja. Do postavljanja staratelja ne vode se razgovori o zahtevu za azil i ne donose se odluke o smeštaju.","en":"The competent centre for social work (where the child was found) appoints a temporary guardian without delay. Until a guardian is appointed, no asylum interview is held and no placement is decided."},"legalBasis":"Porodični zakon (privremeni staratelj); Zakon o azilu i privremenoj zaštiti (maloletnik bez pratnje)","services":["guardianship","child_protection"],"mandatory":true},{"code":"first-interview","title":{"sr-Latn":"Prvi razgovor staratelja sa detetom","en":"First interview by the guardian","sr-Cyrl":"Први разговор старатеља са дететом"},"guidance":{"sr-Latn":"Staratelj obavlja prvi razgovor sa detetom zajedno sa terenskim radnikom i prevodiocem za jezik koji dete razume: utvrđuje potrebe, porodične veze i želje deteta i beleži ih u dosije.","en":"The guardian holds a first interview with the child together with an outreach worker and an interpreter for a language the child understands: needs, family links and the child''s wishes are established and recorded."},"legalBasis":"Porodični zakon (dužnosti staratelja); Konvencija UN o pravima deteta, čl. 12","services":["guardianship","child_protection"],"mandatory":true},{"code":"health-check","title":{"sr-Latn":"Zdravstveni pregled","en":"Health check","sr-Cyrl":"Здравствени преглед"},"guidance":{"sr-Latn":"Staratelj ili terenski radnik vodi dete na opšti zdravstveni pregled u dom zdravlja; hitna stanja i vakcinacioni status se beleže, a prevodilac je prisutan.","en":"The guardian or outreach worker takes the child to a general health check at the health centre; urgent conditions and vaccination status are recorded, with an interpreter present."},"legalBasis":"Zakon o zdravstvenoj zaštiti; Zakon o azilu i privremenoj zaštiti (pravo na zdravstvenu zaštitu)","services":["guardianship","child_protection","healthcare"],"mandatory":true},{"code":"placement-decision","title":{"sr-Latn":"Odluka o smeštaju","en":"Placement decision","sr-Cyrl":"Одлука о смештају"},"guidance":{"sr-Latn":"O smeštaju deteta (ustanova socijalne zaštite, hraniteljska porodica, specijalizovani smeštaj) odlučuje isključivo nadležni centar za socijalni rad, uz mišljenje staratelja i dete.","en":"Only the competent centre for social work decides the child''s placement (social care institution, foster family, specialised accommodation), having heard the guardian and the child."},"legalBasis":"Zakon o socijalnoj zaštiti (usluge smeštaja); Porodični zakon","services":["accommodation","child_protection"],"mandatory":true}]}', '2026-12-01T00:00:00.000000Z', NULL FROM protocols WHERE code = 'child-protection';
INSERT INTO protocols (code, version, title, document, published_at, published_by) VALUES ('temporary-protection-health', 1, 'Health care for persons under temporary protection', '{"code":"temporary-protection-health","title":"Health care for persons under temporary protection","consent":{"requiredFrom":["person"]},"deadlines":{"emergency":{"acknowledge":"PT1H","decide":"PT4H","followUp":"P3D"},"urgent":{"acknowledge":"PT12H","decide":"PT48H","followUp":"P14D"},"routine":{"acknowledge":"PT48H","decide":"P7D","followUp":"P30D"}},"receivers":{"*":{"kinds":["health_centre"]}},"escalateTo":{"organisationKind":"network_coordinator"},"steps":[{"code":"register","title":{"sr-Latn":"Prijem i evidentiranje","en":"Admission and registration"},"guidance":{"sr-Latn":"Zatražite ličnu kartu za lice kome je odobrena privremena zaštita (ili potvrdu Komesarijata). Lice se evidentira kao osiguranik po osnovu privremene zaštite; troškove snosi država preko nadležnog organa — ne naplaćujte uslugu licu. Ako dokument nedostaje, pozovite Komesarijat za izbeglice i migracije ili centar za socijalni rad koji je uputio lice.","en":"Ask for the identity card for persons granted temporary protection (or the Commissariat''s certificate). Register the person as insured on the basis of temporary protection; the state bears the cost through the competent authority — do not charge the person. If the document is missing, call the Commissariat for Refugees and Migration or the referring centre for social work."},"legalBasis":"Zakon o azilu i privremenoj zaštiti (prava lica kojima je odobrena privremena zaštita); Zakon o zdravstvenom osiguranju","mandatory":true},{"code":"initial-examination","title":{"sr-Latn":"Prvi pregled kod izabranog lekara","en":"First examination by a chosen doctor"},"guidance":{"sr-Latn":"Dodelite izabranog lekara i obavite prvi pregled sa prevodiocem: anamneza, hronične bolesti, terapija koju lice već koristi, vakcinacioni status. Zdravstvena zaštita nije ograničena na hitna stanja.","en":"Assign a chosen doctor and hold a first examination with an interpreter: history, chronic conditions, medication already taken, vaccination status. Care is not limited to emergencies."},"legalBasis":"Zakon o zdravstvenoj zaštiti; Zakon o pravima pacijenata","mandatory":true},{"code":"continue-therapy","title":{"sr-Latn":"Nastavak terapije","en":"Continuing therapy"},"guidance":{"sr-Latn":"Propišite lekove za hronične bolesti na recept (bez doplate po osnovu privremene zaštite) i zakažite kontrolu.","en":"Prescribe medication for chronic conditions (without co-payment under temporary protection) and book a follow-up visit."},"mandatory":false},{"code":"specialist-referral","title":{"sr-Latn":"Uput specijalisti","en":"Specialist referral"},"guidance":{"sr-Latn":"Starijim i hronično bolesnim licima izdajte uput specijalisti (internista, kardiolog, endokrinolog…) i javite centru za socijalni rad ako je potrebna pratnja ili prevoz.","en":"For elderly and chronically ill persons, issue a referral to a specialist (internist, cardiologist, endocrinologist…) and tell the centre for social work if an escort or transport is needed."},"services":["specialist_healthcare"],"mandatory":true}]}', '2026-12-01T00:00:00.000000Z', NULL);
