// Every string the client shows, one dictionary per language. Serbian is written in Latin script.
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
  dueIn: 'due in {t}', overdueBy: 'overdue by {t}', overdueFlag: 'Overdue', dueSoon: 'Due soon',
  acknowledgeBy: 'Acknowledge by', decideBy: 'Decide by', followUpBy: 'Follow up by', reviewBy: 'Override review by',
  changedReloaded: 'This referral changed — reloaded. Please check it and try again.',
  saved: 'Saved.', submitted: 'Referral submitted.', errorGeneric: 'Something went wrong.',
  declineReason: 'Reason', note: 'Note for the referrer', outcome: 'Outcome', target: 'Forward to', holdReason: 'Why on hold', withdrawReason: 'Why withdrawn',
  confirm: 'Confirm', lateBy: 'late by {t}', relation: 'Your role', observer: 'Observer',
  count100: '100+', organisation: 'Organisation', you: 'your organisation',
  minutes: '{n} min', hours: '{n} h', days: '{n} d',
  'status.requested': 'Requested', 'status.received': 'Received', 'status.accepted': 'Accepted', 'status.in-progress': 'In progress',
  'status.on-hold': 'On hold', 'status.completed': 'Completed', 'status.failed': 'Failed', 'status.rejected': 'Declined',
  'status.cancelled': 'Withdrawn', 'status.redirected': 'Redirected',
  'urgency.emergency': 'Emergency', 'urgency.urgent': 'Urgent', 'urgency.routine': 'Routine',
  'action.acknowledge': 'Acknowledge', 'action.accept': 'Accept', 'action.decline': 'Decline', 'action.redirect': 'Redirect',
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
  dueIn: 'rok za {t}', overdueBy: 'kasni {t}', overdueFlag: 'Rok prekoračen', dueSoon: 'Rok ističe',
  acknowledgeBy: 'Potvrda prijema do', decideBy: 'Odluka do', followUpBy: 'Praćenje do', reviewBy: 'Provera odstupanja do',
  changedReloaded: 'Ovo upućivanje je u međuvremenu izmenjeno — ponovo je učitano. Proverite ga i pokušajte ponovo.',
  saved: 'Sačuvano.', submitted: 'Upućivanje je poslato.', errorGeneric: 'Došlo je do greške.',
  declineReason: 'Razlog', note: 'Beleška za uputioca', outcome: 'Ishod', target: 'Proslediti', holdReason: 'Razlog zastoja', withdrawReason: 'Razlog povlačenja',
  confirm: 'Potvrdi', lateBy: 'kašnjenje {t}', relation: 'Vaša uloga', observer: 'Posmatrač',
  count100: '100+', organisation: 'Organizacija', you: 'vaša organizacija',
  minutes: '{n} min', hours: '{n} č', days: '{n} d',
  'status.requested': 'Zatraženo', 'status.received': 'Primljeno', 'status.accepted': 'Prihvaćeno', 'status.in-progress': 'U toku',
  'status.on-hold': 'Na čekanju', 'status.completed': 'Završeno', 'status.failed': 'Neuspešno', 'status.rejected': 'Odbijeno',
  'status.cancelled': 'Povučeno', 'status.redirected': 'Preusmereno',
  'urgency.emergency': 'Hitno', 'urgency.urgent': 'Prioritetno', 'urgency.routine': 'Redovno',
  'action.acknowledge': 'Potvrdi prijem', 'action.accept': 'Prihvati', 'action.decline': 'Odbij', 'action.redirect': 'Preusmeri',
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
  'vuln.chronic_illness': 'Hronična bolest', 'vuln.survivor_of_violence': 'Preživela nasilje', 'vuln.trafficking_survivor': 'Žrtva trgovine ljudima',
  'vuln.medical_emergency': 'Hitno medicinsko stanje',
  'giver.person': 'Sama osoba', 'giver.guardian': 'Staratelj', 'giver.parent': 'Roditelj',
  'method.written': 'Pismeno', 'method.verbal': 'Usmeno', 'method.verbal_with_interpreter': 'Usmeno, uz prevodioca',
  'relation.referrer': 'Uputilac', 'relation.receiver': 'Primalac', 'relation.observer': 'Posmatrač',
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

export const dictionaries = { en, sr };
export const languages = ['sr', 'en'];

let current = localStorage.getItem('rn.lang') === 'en' ? 'en' : 'sr';

export function lang() { return current; }

export function setLang(value) {
  current = dictionaries[value] ? value : 'sr';
  localStorage.setItem('rn.lang', current);
  document.documentElement.lang = current === 'sr' ? 'sr-Latn' : 'en';
}

/** A string of the current language; {name} placeholders are filled from vars. A missing key shows itself. */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Dates and times in Europe/Belgrade, whatever the machine's time zone. */
export function formatTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(current === 'sr' ? 'sr-Latn-RS' : 'en-GB', {
    timeZone: 'Europe/Belgrade', dateStyle: 'medium', timeStyle: 'short',
  }).format(new Date(iso));
}

export function formatSpan(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60000));
  if (minutes < 90) return t('minutes', { n: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return t('hours', { n: hours });
  return t('days', { n: Math.round(hours / 24) });
}
