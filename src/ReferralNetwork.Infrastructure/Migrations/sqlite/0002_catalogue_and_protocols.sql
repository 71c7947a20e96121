-- The service catalogue (DESIGN §1) and the two seeded protocols (DESIGN §3), version 1 of each.
INSERT INTO services (code, name_en, name_sr, active) VALUES ('psychosocial_support', 'Psychosocial support', 'Psihosocijalna podrška', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('legal_aid', 'Legal aid', 'Pravna pomoć', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('healthcare', 'Healthcare', 'Zdravstvena zaštita', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('specialist_healthcare', 'Specialist healthcare', 'Specijalistička zdravstvena zaštita', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('accommodation', 'Accommodation', 'Smeštaj', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('guardianship', 'Guardianship', 'Starateljstvo', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('child_protection', 'Child protection', 'Zaštita dece', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('education', 'Education', 'Obrazovanje', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('language_classes', 'Language classes', 'Časovi jezika', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('vocational_training', 'Vocational training', 'Stručna obuka', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('employment', 'Employment', 'Zapošljavanje', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('interpretation', 'Interpretation', 'Prevođenje', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('family_tracing', 'Family tracing', 'Traženje članova porodice', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('cash_assistance', 'Cash assistance', 'Novčana pomoć', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES ('integration_support', 'Integration support', 'Podrška integraciji', 1);
INSERT INTO protocols (code, version, title, document, published_at, published_by) VALUES ('child-protection', 1, 'Children without parental care', '{"code":"child-protection","title":"Children without parental care","appliesTo":{"maxAge":17,"vulnerabilitiesAny":["unaccompanied_child","separated_child"]},"consent":{"requiredFrom":["guardian"],"emergencyOverride":{"allowed":true,"reviewWithin":"PT24H"}},"deadlines":{"emergency":{"acknowledge":"PT1H","decide":"PT12H","followUp":"P7D"},"urgent":{"acknowledge":"PT12H","decide":"PT48H","followUp":"P14D"},"routine":{"acknowledge":"PT48H","decide":"P7D","followUp":"P30D"}},"mandatoryObservers":["guardianOrganisation"],"receivers":{"accommodation":{"onlyReferrer":"guardianOrganisation"},"*":{"kinds":["centre_for_social_work","ngo","health_centre","children_home","youth_office"]}},"escalateTo":{"organisationKind":"network_coordinator"}}', '2026-01-01T00:00:00.000000Z', NULL);
INSERT INTO protocols (code, version, title, document, published_at, published_by) VALUES ('standard', 1, 'Standard referral', '{"code":"standard","title":"Standard referral","consent":{"requiredFrom":["person"],"emergencyOverride":{"allowed":false,"reviewWithin":"PT24H"}},"deadlines":{"emergency":{"acknowledge":"PT2H","decide":"PT24H","followUp":"P7D"},"urgent":{"acknowledge":"PT24H","decide":"PT72H","followUp":"P14D"},"routine":{"acknowledge":"PT72H","decide":"P10D","followUp":"P30D"}},"mandatoryObservers":[],"receivers":{},"escalateTo":{"organisationKind":"network_coordinator"}}', '2026-01-01T00:00:00.000000Z', NULL);
