// Every string the client shows, one dictionary per language. Serbian is written here in Latin script; the Cyrillic is
// derived from it letter by letter (cyrillic.js), so a key added to `sr` — here or by a page module — is Cyrillic too.
import { toCyrillic } from './cyrillic.js';

const en = {
  appName: 'ReferralNetwork',
  tagline: 'Referrals between the organisations that protect migrants in Serbia',
  signIn: 'Sign in', signOut: 'Sign out', apiKey: 'API key',
  apiKeyHelp: 'Paste the key your organisation admin gave you (it starts with rn_). It is kept only in this browser tab.',
  signInFailed: 'The key was not accepted.',
  username: 'Username', password: 'Password', totp: 'Code from your authenticator app', keySignIn: 'Partner system key (for testing integrations)',
  totpHelp: 'Caseworkers and supervisors always enter the 6-digit code; your organisation may require it of everyone.',
  personSignInFailed: 'The username, password or code is wrong.', totpRequired: 'Enter the 6-digit code from your authenticator app.',
  lockedOut: 'Too many failed sign-ins: the account is locked for a while.', sessionEnded: 'Your session has ended; please sign in again.',
  mine: 'My cases', take: 'Take this case', taken: 'You hold this case now.', assignedToYou: 'Assigned to you.',
  assignedToOther: 'Assigned to a colleague.', unassigned: 'Nobody holds this case on your side yet.',
  language: 'Language',
  inbox: 'Inbox', outbox: 'Outbox', observing: 'Observing', escalated: 'Escalated', reviews: 'Override reviews', newReferral: 'New referral',
  consentBasis: 'Basis', 'consentBasis.consent': 'Consent', 'consentBasis.emergency_override': 'Emergency override of consent',
  'override.pending': 'review pending', 'override.approved': 'approved', 'override.rejected': 'rejected',
  overrideReview: 'Review the emergency override', overrideReviewHelp: 'Another supervisor than the one who submitted it must review it by {t}.',
  reviewNote: 'Review note (required to reject)', approveOverride: 'Approve override', rejectOverride: 'Reject and withdraw',
  duties: 'Duties', 'deadline.acknowledge': 'Acknowledge', 'deadline.decide': 'Decide', 'deadline.follow_up': 'Follow up',
  'deadline.review': 'Override review', 'deadline.guardian_appointment': 'Guardian appointment', 'closed.met': 'met', 'closed.discharged': 'no longer owed',
  'deadline.step': 'Protocol step', steps: 'Protocol steps', stepsHelp: 'What the protocol asks the receiver to do, in order. Mandatory steps must be done before completing as provided.',
  mandatory: 'mandatory', legalBasis: 'Legal basis', stepDone: 'Mark done', stepNote: 'Note (optional, for the referrer)', doneAt: 'done {t}',
  stepDueBy: 'due by {t}', 'action.step_done': 'Step done',
  stepsMissing: 'Not completed: the protocol\'s mandatory steps are not all done ({s}). Record them first, or choose an outcome that says the service was not provided.',
  filters: 'Filters', status: 'Status', urgency: 'Urgency', service: 'Service', overdue: 'Overdue', any: 'Any', yes: 'Yes', no: 'No',
  apply: 'Apply', loadMore: 'Load more', noReferrals: 'No referrals here.', loading: 'Loading…',
  created: 'Created', person: 'Person', services: 'Services', protocol: 'Protocol', deadlines: 'Deadlines',
  responsible: 'Responsible organisation', referrer: 'Referrer', receiver: 'Receiver', reason: 'Reason', timeline: 'Timeline',
  notes: 'Notes', addNote: 'Add note', noteText: 'Note', save: 'Save', cancel: 'Cancel', back: 'Back to the list',
  actions: 'Actions', noActions: 'No action is open to your organisation now.',
  showIdentity: 'Show identity', identityLogged: 'Reading an identity is recorded in the access log.',
  erased: 'erased', givenName: 'Given name', familyName: 'Family name', birthYear: 'Birth year', sex: 'Sex',
  nationality: 'Nationality (ISO code, e.g. AF)', languages: 'Languages (e.g. ar, fa)', legalStatus: 'Legal status',
  vulnerabilities: 'Vulnerabilities', guardian: 'Guardian (centre for social work)', none: 'None',
  consent: 'Consent', consentGivenBy: 'Consent given by', consentMethod: 'How', emergencyOverride: 'Emergency override (child at risk)',
  justification: 'Justification', municipality: 'Municipality', receiverOrg: 'Receiving organisation', submit: 'Submit referral',
  chooseService: 'Choose a service first', noReceivers: 'No active organisation offers this service here.',
  dueIn: 'due in {t}', overdueBy: 'overdue by {t}', overdueFlag: 'Overdue', dueSoonIn: 'due soon: in {t}',
  acknowledgeBy: 'Acknowledge by', decideBy: 'Decide by', followUpBy: 'Follow up by', reviewBy: 'Override review by',
  changedReloaded: 'This referral changed — reloaded. Please check it and try again.',
  saved: 'Saved.', submitted: 'Referral submitted.', errorGeneric: 'Something went wrong.',
  declineReason: 'Reason for declining', note: 'Note for the referrer', outcome: 'Outcome', target: 'Forward to', holdReason: 'Why on hold', withdrawReason: 'Why withdrawn',
  confirm: 'Confirm', lateBy: 'late by {t}', relation: 'Your role', observer: 'Observer',
  count100: '100+', organisation: 'Organisation', you: 'your organisation',
  'minutes.one': '{n} minute', 'minutes.other': '{n} minutes', 'hours.one': '{n} hour', 'hours.other': '{n} hours',
  'days.one': '{n} day', 'days.other': '{n} days',
  reference: 'Reference', search: 'Reference or name', searchHelp: 'A reference such as RN-2026-004213, or the person\'s name.',
  sort: 'Order', 'sort.due': 'Due next', 'sort.created': 'Newest first',
  forwardedTo: 'Forwarded to', print: 'Print', printedAt: 'Printed {t} · {o}', phone: 'Phone (optional, helps find the person again)',
  servicesHelp: 'One or more; only organisations offering all of them are listed.', anyMunicipality: 'Any municipality',
  matches: 'Already known? Persons your organisation may see who look like this one', matchScore: 'match {n} %',
  usePerson: 'Use this person', usingPerson: 'This referral is for a person already on record: {p}. No new record is created.',
  newPersonInstead: 'No — a new person', noMatches: 'No similar person on record.',
  'match.family_name': 'family name', 'match.family_name_phonetic': 'family name sounds alike', 'match.given_name': 'given name',
  'match.given_name_phonetic': 'given name sounds alike', 'match.birth_year': 'birth year', 'match.birth_year_near': 'birth year ±1',
  'match.nationality': 'nationality', 'match.phone': 'phone',
  findPerson: 'Find a person', findPersonHelp: 'Name, phone or external reference. Every identity shown is recorded in the access log.',
  find: 'Find', noPersons: 'Nobody found.', referPerson: 'New referral for this person',
  'role.caseworker': 'Caseworker', 'role.supervisor': 'Supervisor', 'role.org_admin': 'Organisation admin', 'role.auditor': 'Auditor',
  'role.partner_system': 'Partner system', 'role.network_admin': 'Network admin',
  'action.assign': 'Case taken', 'action.unassign': 'Case released', 'action.guardian_confirmed': 'Guardian confirmed',
  'action.guardian_disputed': 'Guardian disputed',
  // The timeline says what happened; the buttons (action.*) say what to do.
  'event.acknowledge': 'Acknowledged', 'event.accept': 'Accepted', 'event.decline': 'Declined', 'event.redirect': 'Forwarded',
  'event.start': 'Started', 'event.hold': 'Put on hold', 'event.resume': 'Resumed', 'event.complete': 'Completed', 'event.withdraw': 'Withdrawn',
  'status.requested': 'Requested', 'status.received': 'Received', 'status.accepted': 'Accepted', 'status.in-progress': 'In progress',
  'status.on-hold': 'On hold', 'status.completed': 'Completed', 'status.failed': 'Failed', 'status.rejected': 'Declined',
  'status.cancelled': 'Withdrawn', 'status.redirected': 'Forwarded',
  'urgency.emergency': 'Emergency', 'urgency.urgent': 'Urgent', 'urgency.routine': 'Routine',
  'action.acknowledge': 'Acknowledge', 'action.accept': 'Accept', 'action.decline': 'Decline', 'action.redirect': 'Forward',
  'action.start': 'Start', 'action.hold': 'Put on hold', 'action.resume': 'Resume', 'action.complete': 'Complete', 'action.withdraw': 'Withdraw',
  'action.submit': 'Submitted', 'action.submitted': 'Submitted', 'action.deadline_missed': 'Deadline missed', 'action.override_review': 'Override reviewed',
  'action.consent_withdrawn': 'Consent withdrawn',
  'decline.no_capacity': 'No capacity', 'decline.not_eligible': 'Not eligible', 'decline.service_not_offered': 'Service not offered',
  'decline.client_unreachable': 'Client unreachable', 'decline.duplicate': 'Duplicate', 'decline.other': 'Other',
  'outcome.service_provided': 'Service provided', 'outcome.partially_provided': 'Partially provided', 'outcome.client_declined': 'Client declined',
  'outcome.lost_contact': 'Lost contact', 'outcome.client_moved': 'Client moved', 'outcome.not_eligible': 'Not eligible',
  'sex.female': 'Female', 'sex.male': 'Male', 'sex.other': 'Other', 'sex.unknown': 'Unknown',
  'legal.asylum_seeker': 'Asylum seeker', 'legal.refugee': 'Refugee', 'legal.subsidiary_protection': 'Subsidiary protection',
  'legal.temporary_protection': 'Temporary protection', 'legal.irregular': 'Irregular', 'legal.other': 'Other',
  'vuln.unaccompanied_child': 'Unaccompanied child', 'vuln.separated_child': 'Separated child', 'vuln.single_parent': 'Single parent',
  'vuln.pregnant_or_lactating': 'Pregnant or lactating', 'vuln.older_person': 'Older person', 'vuln.disability': 'Disability',
  'vuln.chronic_illness': 'Chronic illness', 'vuln.survivor_of_violence': 'Survivor of violence', 'vuln.trafficking_survivor': 'Trafficking survivor',
  'vuln.medical_emergency': 'Medical emergency',
  'giver.person': 'The person', 'giver.guardian': 'Guardian', 'giver.parent': 'Parent',
  'method.written': 'Written', 'method.verbal': 'Verbal', 'method.verbal_with_interpreter': 'Verbal, with interpreter',
  'relation.referrer': 'Referrer', 'relation.receiver': 'Receiver', 'relation.observer': 'Observer',
  // documents
  documents: 'Documents', noDocuments: 'No documents yet.', attachDocument: 'Attach a document', attach: 'Attach',
  attachHelp: 'PDF, JPEG or PNG: a consent scan, a medical letter, an asylum paper. Only your organisation and the other party of the referral see it.',
  download: 'Download', downloadLogged: 'Every download is recorded in the person\'s access log.', documentAdded: 'The document is attached.',
  documentErased: 'Document destroyed with the person\'s data',
  // dashboard
  dashboard: 'Dashboard', dashPeriod: 'Period', dashValue: 'Value', dashOrganisation: 'Organisation', dashMonth: 'Month', dashOutcome: 'Outcome',
  dashScopeNetwork: 'The whole network.', dashScopeOwn: 'Your organisation only.',
  dashSuppressed: 'Counts of fewer than {k} people, and figures measured over fewer than {k} referrals, are withheld.',
  dashNoData: 'Nothing to show for this period (or withheld).', dashExported: 'Export downloaded; it is recorded in the audit log.',
  'dashExport.indicators': 'Indicators {format}', 'dashExport.statistics': 'Outcomes {format}', dashHours: '{n} h',
  dashAcknowledge: 'Median time to acknowledge, by receiving organisation',
  dashAcknowledgeDesc: 'Median hours from submission to acknowledgement of the referrals received in {period}.',
  dashOnTime: 'Acknowledged on time, by organisation', dashOnTimeDesc: 'Share of acknowledge duties due in {period} that were met by their due time.',
  dashBreaches: 'Missed deadlines per month', dashBreachesDesc: 'Breaches of every duty kind, by the month they were due: {months}.',
  dashOutcomes: 'Outcomes', dashOutcomesDesc: 'How the referrals submitted in {period} ended, or that they are still open.', 'dash.open': 'Still open',
};

const sr = {
  appName: 'ReferralNetwork',
  tagline: 'Upućivanja između organizacija koje štite migrante u Srbiji',
  signIn: 'Prijava', signOut: 'Odjava', apiKey: 'API ključ',
  apiKeyHelp: 'Unesite ključ koji vam je dao administrator organizacije (počinje sa rn_). Čuva se samo u ovoj kartici pregledača.',
  signInFailed: 'Ključ nije prihvaćen.',
  username: 'Korisničko ime', password: 'Lozinka', totp: 'Kod iz aplikacije za autentifikaciju', keySignIn: 'Ključ partnerskog sistema (za testiranje integracija)',
  totpHelp: 'Stručni radnici i supervizori uvek unose šestocifreni kod; vaša organizacija ga može tražiti od svih.',
  personSignInFailed: 'Korisničko ime, lozinka ili kod nisu ispravni.', totpRequired: 'Unesite šestocifreni kod iz aplikacije za autentifikaciju.',
  lockedOut: 'Previše neuspelih prijava: nalog je privremeno zaključan.', sessionEnded: 'Vaša sesija je istekla; prijavite se ponovo.',
  mine: 'Moji predmeti', take: 'Preuzmi predmet', taken: 'Sada vi vodite ovaj predmet.', assignedToYou: 'Dodeljeno vama.',
  assignedToOther: 'Dodeljeno kolegi.', unassigned: 'Predmet još niko ne vodi na vašoj strani.',
  language: 'Jezik',
  inbox: 'Primljena', outbox: 'Poslata', observing: 'Praćena', escalated: 'Eskalirana', reviews: 'Provere odstupanja', newReferral: 'Novo upućivanje',
  consentBasis: 'Osnov', 'consentBasis.consent': 'Saglasnost', 'consentBasis.emergency_override': 'Hitno odstupanje od saglasnosti',
  'override.pending': 'čeka proveru', 'override.approved': 'odobreno', 'override.rejected': 'odbijeno',
  overrideReview: 'Provera hitnog odstupanja', overrideReviewHelp: 'Proveru mora da obavi drugi supervizor, ne onaj koji je uputio, do {t}.',
  reviewNote: 'Napomena uz proveru (obavezna za odbijanje)', approveOverride: 'Odobri odstupanje', rejectOverride: 'Odbij i povuci',
  duties: 'Obaveze', 'deadline.acknowledge': 'Potvrda prijema', 'deadline.decide': 'Odluka', 'deadline.follow_up': 'Praćenje',
  'deadline.review': 'Provera odstupanja', 'deadline.guardian_appointment': 'Postavljenje staratelja', 'closed.met': 'ispunjeno', 'closed.discharged': 'više nije obavezno',
  'deadline.step': 'Korak protokola', steps: 'Koraci protokola', stepsHelp: 'Šta protokol traži od primaoca, redom. Obavezni koraci moraju biti obavljeni pre završetka sa pruženom uslugom.',
  mandatory: 'obavezno', legalBasis: 'Pravni osnov', stepDone: 'Označi kao obavljeno', stepNote: 'Napomena (nije obavezna, za upućivača)', doneAt: 'obavljeno {t}',
  stepDueBy: 'rok {t}', 'action.step_done': 'Korak obavljen',
  stepsMissing: 'Nije završeno: nisu obavljeni svi obavezni koraci protokola ({s}). Prvo ih evidentirajte ili izaberite ishod koji kaže da usluga nije pružena.',
  filters: 'Filteri', status: 'Status', urgency: 'Hitnost', service: 'Usluga', overdue: 'Rok prekoračen', any: 'Sve', yes: 'Da', no: 'Ne',
  apply: 'Primeni', loadMore: 'Učitaj još', noReferrals: 'Nema upućivanja.', loading: 'Učitavanje…',
  created: 'Kreirano', person: 'Osoba', services: 'Usluge', protocol: 'Protokol', deadlines: 'Rokovi',
  responsible: 'Odgovorna organizacija', referrer: 'Uputilac', receiver: 'Primalac', reason: 'Razlog', timeline: 'Tok',
  notes: 'Beleške', addNote: 'Dodaj belešku', noteText: 'Beleška', save: 'Sačuvaj', cancel: 'Otkaži', back: 'Nazad na listu',
  actions: 'Radnje', noActions: 'Vaša organizacija trenutno nema dostupnih radnji.',
  showIdentity: 'Prikaži identitet', identityLogged: 'Svako čitanje identiteta beleži se u evidenciji pristupa.',
  erased: 'obrisano', givenName: 'Ime', familyName: 'Prezime', birthYear: 'Godina rođenja', sex: 'Pol',
  nationality: 'Državljanstvo (ISO kod, npr. AF)', languages: 'Jezici (npr. ar, fa)', legalStatus: 'Pravni status',
  vulnerabilities: 'Ranjivosti', guardian: 'Staratelj (centar za socijalni rad)', none: 'Nema',
  consent: 'Saglasnost', consentGivenBy: 'Saglasnost dao/la', consentMethod: 'Način', emergencyOverride: 'Hitno odstupanje (dete u opasnosti)',
  justification: 'Obrazloženje', municipality: 'Opština', receiverOrg: 'Organizacija primalac', submit: 'Pošalji upućivanje',
  chooseService: 'Prvo izaberite uslugu', noReceivers: 'Nijedna aktivna organizacija ovde ne pruža ovu uslugu.',
  dueIn: 'rok za {t}', overdueBy: 'kasni {t}', overdueFlag: 'Rok prekoračen', dueSoonIn: 'rok ističe za {t}',
  acknowledgeBy: 'Potvrda prijema do', decideBy: 'Odluka do', followUpBy: 'Praćenje do', reviewBy: 'Provera odstupanja do',
  changedReloaded: 'Ovo upućivanje je u međuvremenu izmenjeno — ponovo je učitano. Proverite ga i pokušajte ponovo.',
  saved: 'Sačuvano.', submitted: 'Upućivanje je poslato.', errorGeneric: 'Došlo je do greške.',
  declineReason: 'Razlog odbijanja', note: 'Beleška za uputioca', outcome: 'Ishod', target: 'Prosledi organizaciji', holdReason: 'Razlog zastoja', withdrawReason: 'Razlog povlačenja',
  confirm: 'Potvrdi', lateBy: 'kašnjenje {t}', relation: 'Vaša uloga', observer: 'Posmatrač',
  count100: '100+', organisation: 'Organizacija', you: 'vaša organizacija',
  'minutes.one': '{n} minut', 'minutes.few': '{n} minuta', 'minutes.other': '{n} minuta',
  'hours.one': '{n} sat', 'hours.few': '{n} sata', 'hours.other': '{n} sati',
  'days.one': '{n} dan', 'days.few': '{n} dana', 'days.other': '{n} dana',
  reference: 'Broj upućivanja', search: 'Broj upućivanja ili ime', searchHelp: 'Broj kao RN-2026-004213 ili ime osobe.',
  sort: 'Redosled', 'sort.due': 'Po roku', 'sort.created': 'Najnovija prvo',
  forwardedTo: 'Prosleđeno', print: 'Štampaj', printedAt: 'Odštampano {t} · {o}', phone: 'Telefon (nije obavezan, pomaže da se osoba ponovo pronađe)',
  servicesHelp: 'Jedna ili više; prikazuju se samo organizacije koje pružaju sve izabrane.', anyMunicipality: 'Sve opštine',
  matches: 'Već poznata osoba? Osobe koje vaša organizacija vidi, a liče na ovu', matchScore: 'podudarnost {n} %',
  usePerson: 'Koristi ovu osobu', usingPerson: 'Ovo upućivanje je za osobu koja je već u evidenciji: {p}. Nova evidencija se ne pravi.',
  newPersonInstead: 'Ne — nova osoba', noMatches: 'Nema slične osobe u evidenciji.',
  'match.family_name': 'prezime', 'match.family_name_phonetic': 'prezime slično zvuči', 'match.given_name': 'ime',
  'match.given_name_phonetic': 'ime slično zvuči', 'match.birth_year': 'godina rođenja', 'match.birth_year_near': 'godina rođenja ±1',
  'match.nationality': 'državljanstvo', 'match.phone': 'telefon',
  findPerson: 'Pronađi osobu', findPersonHelp: 'Ime, telefon ili spoljna oznaka. Svaki prikazani identitet beleži se u evidenciji pristupa.',
  find: 'Traži', noPersons: 'Niko nije pronađen.', referPerson: 'Novo upućivanje za ovu osobu',
  'role.caseworker': 'Stručni radnik', 'role.supervisor': 'Supervizor', 'role.org_admin': 'Administrator organizacije', 'role.auditor': 'Revizor',
  'role.partner_system': 'Partnerski sistem', 'role.network_admin': 'Administrator mreže',
  'action.assign': 'Predmet preuzet', 'action.unassign': 'Predmet vraćen', 'action.guardian_confirmed': 'Staratelj potvrđen',
  'action.guardian_disputed': 'Staratelj osporen',
  'event.acknowledge': 'Prijem potvrđen', 'event.accept': 'Prihvaćeno', 'event.decline': 'Odbijeno', 'event.redirect': 'Prosleđeno',
  'event.start': 'Započeto', 'event.hold': 'Stavljeno na čekanje', 'event.resume': 'Nastavljeno', 'event.complete': 'Završeno', 'event.withdraw': 'Povučeno',
  'status.requested': 'Zatraženo', 'status.received': 'Primljeno', 'status.accepted': 'Prihvaćeno', 'status.in-progress': 'U toku',
  'status.on-hold': 'Na čekanju', 'status.completed': 'Završeno', 'status.failed': 'Neuspešno', 'status.rejected': 'Odbijeno',
  'status.cancelled': 'Povučeno', 'status.redirected': 'Prosleđeno',
  'urgency.emergency': 'Hitno', 'urgency.urgent': 'Prioritetno', 'urgency.routine': 'Redovno',
  'action.acknowledge': 'Potvrdi prijem', 'action.accept': 'Prihvati', 'action.decline': 'Odbij', 'action.redirect': 'Prosledi',
  'action.start': 'Započni', 'action.hold': 'Stavi na čekanje', 'action.resume': 'Nastavi', 'action.complete': 'Završi', 'action.withdraw': 'Povuci',
  'action.submit': 'Poslato', 'action.submitted': 'Poslato', 'action.deadline_missed': 'Rok propušten', 'action.override_review': 'Odstupanje provereno',
  'action.consent_withdrawn': 'Saglasnost povučena',
  'decline.no_capacity': 'Nema kapaciteta', 'decline.not_eligible': 'Ne ispunjava uslove', 'decline.service_not_offered': 'Usluga se ne pruža',
  'decline.client_unreachable': 'Klijent nedostupan', 'decline.duplicate': 'Duplikat', 'decline.other': 'Drugo',
  'outcome.service_provided': 'Usluga pružena', 'outcome.partially_provided': 'Delimično pružena', 'outcome.client_declined': 'Klijent odbio',
  'outcome.lost_contact': 'Izgubljen kontakt', 'outcome.client_moved': 'Klijent se preselio', 'outcome.not_eligible': 'Ne ispunjava uslove',
  'sex.female': 'Ženski', 'sex.male': 'Muški', 'sex.other': 'Drugo', 'sex.unknown': 'Nepoznato',
  'legal.asylum_seeker': 'Tražilac azila', 'legal.refugee': 'Izbeglica', 'legal.subsidiary_protection': 'Supsidijarna zaštita',
  'legal.temporary_protection': 'Privremena zaštita', 'legal.irregular': 'Neregularan boravak', 'legal.other': 'Drugo',
  'vuln.unaccompanied_child': 'Dete bez pratnje', 'vuln.separated_child': 'Razdvojeno dete', 'vuln.single_parent': 'Samohrani roditelj',
  'vuln.pregnant_or_lactating': 'Trudnica ili dojilja', 'vuln.older_person': 'Starija osoba', 'vuln.disability': 'Invaliditet',
  'vuln.chronic_illness': 'Hronična bolest', 'vuln.survivor_of_violence': 'Osoba koja je preživela nasilje', 'vuln.trafficking_survivor': 'Žrtva trgovine ljudima',
  'vuln.medical_emergency': 'Hitno medicinsko stanje',
  'giver.person': 'Sama osoba', 'giver.guardian': 'Staratelj', 'giver.parent': 'Roditelj',
  'method.written': 'Pismeno', 'method.verbal': 'Usmeno', 'method.verbal_with_interpreter': 'Usmeno, uz prevodioca',
  'relation.referrer': 'Uputilac', 'relation.receiver': 'Primalac', 'relation.observer': 'Posmatrač',
  // documents
  documents: 'Dokumenti', noDocuments: 'Još nema dokumenata.', attachDocument: 'Priloži dokument', attach: 'Priloži',
  attachHelp: 'PDF, JPEG ili PNG: sken saglasnosti, lekarsko pismo, dokument o azilu. Vide ga samo vaša organizacija i druga strana upućivanja.',
  download: 'Preuzmi', downloadLogged: 'Svako preuzimanje se beleži u evidenciji pristupa podacima o osobi.', documentAdded: 'Dokument je priložen.',
  documentErased: 'Dokument uništen sa podacima o osobi',
  // dashboard
  dashboard: 'Pregled', dashPeriod: 'Period', dashValue: 'Vrednost', dashOrganisation: 'Organizacija', dashMonth: 'Mesec', dashOutcome: 'Ishod',
  dashScopeNetwork: 'Cela mreža.', dashScopeOwn: 'Samo vaša organizacija.',
  dashSuppressed: 'Brojevi manji od {k} osoba i vrednosti izračunate iz manje od {k} upućivanja se ne prikazuju.',
  dashNoData: 'Za ovaj period nema podataka (ili se ne prikazuju).', dashExported: 'Izvoz je preuzet i zabeležen u dnevniku revizije.',
  'dashExport.indicators': 'Pokazatelji {format}', 'dashExport.statistics': 'Ishodi {format}', dashHours: '{n} č',
  dashAcknowledge: 'Medijana vremena do potvrde prijema, po organizaciji primaocu',
  dashAcknowledgeDesc: 'Medijana sati od slanja do potvrde prijema upućivanja primljenih u periodu {period}.',
  dashOnTime: 'Prijem potvrđen na vreme, po organizaciji', dashOnTimeDesc: 'Udeo obaveza potvrde prijema sa rokom u periodu {period} ispunjenih do roka.',
  dashBreaches: 'Propušteni rokovi po mesecu', dashBreachesDesc: 'Prekršaji svih vrsta obaveza, po mesecu roka: {months}.',
  dashOutcomes: 'Ishodi', dashOutcomesDesc: 'Kako su se završila upućivanja poslata u periodu {period}, ili da su još otvorena.', 'dash.open': 'Još otvoreno',
};

/** `sr` is Serbian in Latin script (its code since the first version); `sr-Cyrl` is read from it (see the top). */
export const dictionaries = { en, sr };
export const languages = ['en', 'sr', 'sr-Cyrl'];
/** Each language named in itself, whatever the reader's language. */
export const languageNames = { en: 'English', sr: 'Srpski (latinica)', 'sr-Cyrl': 'Српски (ћирилица)' };
const tags = { en: { http: 'en', intl: 'en-GB', html: 'en' }, sr: { http: 'sr-Latn', intl: 'sr-Latn-RS', html: 'sr-Latn' },
  'sr-Cyrl': { http: 'sr-Cyrl', intl: 'sr-Cyrl-RS', html: 'sr-Cyrl' } };
const cyrillicCache = new Map();

const known = (value) => Object.hasOwn(tags, value);
let current = known(localStorage.getItem('rn.lang')) ? localStorage.getItem('rn.lang') : 'sr';

export function lang() { return current; }
/** Serbian in either script: the API's Serbian texts (service names) apply. */
export const isSerbian = () => current !== 'en';
/** The BCP 47 tag the API reads in Accept-Language. */
export const httpLanguage = () => tags[current].http;
/** The locale numbers and dates are formatted in (Intl). */
export const intlLocale = () => tags[current].intl;

export function setLang(value) {
  current = known(value) ? value : 'sr';
  localStorage.setItem('rn.lang', current);
  document.documentElement.lang = tags[current].html;
}

/** One key in one language; Cyrillic is the Latin text transliterated (once, then remembered). */
function text(language, key) {
  if (language !== 'sr-Cyrl') return dictionaries[language][key];
  if (!cyrillicCache.has(key)) cyrillicCache.set(key, dictionaries.sr[key] === undefined ? undefined : toCyrillic(dictionaries.sr[key]));
  return cyrillicCache.get(key);
}

/** Every key of a language as an object (the completeness test reads it). */
export function dictionary(language) {
  const keys = Object.keys(language === 'sr-Cyrl' ? dictionaries.sr : dictionaries[language]);
  return Object.fromEntries(keys.map((key) => [key, text(language, key)]));
}

/** A string of the current language; {name} placeholders are filled from vars. A missing key shows itself. */
export function t(key, vars = {}) {
  const found = text(current, key) ?? dictionaries.en[key] ?? key;
  return found.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** A Serbian Latin text from the API (a service's name) in the reader's script. */
export const inScript = (latin) => (current === 'sr-Cyrl' && latin ? toCyrillic(latin) : latin);

/** Dates and times in Europe/Belgrade, whatever the machine's time zone; the month by name, so each script shows its own. */
export function formatTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(tags[current].intl, {
    timeZone: 'Europe/Belgrade', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(iso));
}

/** "1 minut, 2 minuta, 5 minuta": the unit's plural form by the language's rules (one, few, other). */
function count(unit, n) {
  const form = new Intl.PluralRules(tags[current].intl).select(n);
  return t(text(current, `${unit}.${form}`) !== undefined ? `${unit}.${form}` : `${unit}.other`, { n });
}

export function formatSpan(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60000));
  if (minutes < 90) return count('minutes', minutes);
  const hours = Math.round(minutes / 60);
  if (hours < 48) return count('hours', hours);
  return count('days', Math.round(hours / 24));
}
