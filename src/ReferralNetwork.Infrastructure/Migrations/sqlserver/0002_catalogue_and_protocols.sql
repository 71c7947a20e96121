-- The service catalogue (DESIGN §1) and the two seeded protocols (DESIGN §3), version 1 of each.
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'psychosocial_support', N'Psychosocial support', N'Psihosocijalna podrška', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'legal_aid', N'Legal aid', N'Pravna pomoć', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'healthcare', N'Healthcare', N'Zdravstvena zaštita', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'specialist_healthcare', N'Specialist healthcare', N'Specijalistička zdravstvena zaštita', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'accommodation', N'Accommodation', N'Smeštaj', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'guardianship', N'Guardianship', N'Starateljstvo', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'child_protection', N'Child protection', N'Zaštita dece', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'education', N'Education', N'Obrazovanje', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'language_classes', N'Language classes', N'Časovi jezika', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'vocational_training', N'Vocational training', N'Stručna obuka', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'employment', N'Employment', N'Zapošljavanje', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'interpretation', N'Interpretation', N'Prevođenje', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'family_tracing', N'Family tracing', N'Traženje članova porodice', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'cash_assistance', N'Cash assistance', N'Novčana pomoć', 1);
INSERT INTO services (code, name_en, name_sr, active) VALUES (N'integration_support', N'Integration support', N'Podrška integraciji', 1);
INSERT INTO protocols (code, version, title, document, published_at, published_by) VALUES (N'child-protection', 1, N'Children without parental care', N'{"code":"child-protection","title":"Children without parental care","appliesTo":{"maxAge":17,"vulnerabilitiesAny":["unaccompanied_child","separated_child"]},"consent":{"requiredFrom":["guardian"],"emergencyOverride":{"allowed":true,"reviewWithin":"PT24H"}},"deadlines":{"emergency":{"acknowledge":"PT1H","decide":"PT12H","followUp":"P7D"},"urgent":{"acknowledge":"PT12H","decide":"PT48H","followUp":"P14D"},"routine":{"acknowledge":"PT48H","decide":"P7D","followUp":"P30D"}},"mandatoryObservers":["guardianOrganisation"],"receivers":{"accommodation":{"onlyReferrer":"guardianOrganisation"},"*":{"kinds":["centre_for_social_work","ngo","health_centre","children_home","youth_office"]}},"escalateTo":{"organisationKind":"network_coordinator"}}', '2026-01-01T00:00:00+00:00', NULL);
INSERT INTO protocols (code, version, title, document, published_at, published_by) VALUES (N'standard', 1, N'Standard referral', N'{"code":"standard","title":"Standard referral","consent":{"requiredFrom":["person"],"emergencyOverride":{"allowed":false,"reviewWithin":"PT24H"}},"deadlines":{"emergency":{"acknowledge":"PT2H","decide":"PT24H","followUp":"P7D"},"urgent":{"acknowledge":"PT24H","decide":"PT72H","followUp":"P14D"},"routine":{"acknowledge":"PT72H","decide":"P10D","followUp":"P30D"}},"mandatoryObservers":[],"receivers":{},"escalateTo":{"organisationKind":"network_coordinator"}}', '2026-01-01T00:00:00+00:00', NULL);
