import { call, get, idempotencyKey, query } from './api.js';
import { field, h, onSubmitOnce, replace, select, showErrors } from './dom.js';
import { t } from './i18n.js';
import { say, serviceName, state } from './app.js';
import { summaryLine, watchMatches } from './person-matches.js';

const sexes = ['female', 'male', 'other', 'unknown'];
const legalStatuses = ['asylum_seeker', 'refugee', 'subsidiary_protection', 'temporary_protection', 'irregular', 'other'];
const vulnerabilities = ['unaccompanied_child', 'separated_child', 'single_parent', 'pregnant_or_lactating', 'older_person', 'disability',
  'chronic_illness', 'survivor_of_violence', 'trafficking_survivor', 'medical_emergency'];

/** A person found on the person search page, handed to the next new-referral form. */
let handedOver = null;
export function referExisting(person) { handedOver = person; }

/** The directory's municipalities, for the picker (the server matches them ignoring case and diacritics anyway). */
async function municipalities() {
  const names = new Map();
  let cursor = null;
  for (let page = 0; page < 10; page++) {
    const found = await get(`/organisations${query({ active: true, limit: 100, cursor })}`);
    for (const o of found.items) names.set(o.municipality.toLocaleLowerCase(), o.municipality);
    cursor = found.nextCursor;
    if (!cursor) break;
  }
  return [...names.values()].sort((a, b) => a.localeCompare(b));
}

/**
 * A referral: one or more services; the receiver comes from the directory, among the organisations offering all of them
 * in the municipality chosen. The person is new, or one already on record the worker chose from the matches.
 */
export async function newReferralForm(onCreated) {
  const serviceBoxes = state.services.map((s) => h('input', { type: 'checkbox', value: s.code, id: `s-${s.code}`, name: 'services' }));
  const municipality = h('input', { type: 'text', autocomplete: 'off', list: 'municipalities' });
  const municipalityList = h('datalist', { id: 'municipalities' });
  const receiver = select([], { placeholder: t('chooseService'), required: true });
  const urgency = select(['emergency', 'urgent', 'routine'].map((u) => [u, t(`urgency.${u}`)]), { value: 'routine' });
  const reason = h('textarea', { rows: 3, maxlength: 4000, required: true });
  const givenName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const familyName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const birthYear = h('input', { type: 'number', min: 1900, max: 2100, required: true });
  const sex = select(sexes.map((s) => [s, t(`sex.${s}`)]), { value: 'unknown' });
  const nationality = h('input', { type: 'text', maxlength: 2, autocomplete: 'off' });
  const phone = h('input', { type: 'tel', autocomplete: 'off', maxlength: 50 });
  const languagesInput = h('input', { type: 'text', autocomplete: 'off' });
  const legalStatus = select(legalStatuses.map((s) => [s, t(`legal.${s}`)]), { value: 'asylum_seeker' });
  const guardian = select([], { placeholder: t('none') });
  const vulnerabilityBoxes = vulnerabilities.map((v) => h('input', { type: 'checkbox', value: v, id: `v-${v}` }));
  const givenBy = select(['person', 'guardian', 'parent'].map((g) => [g, t(`giver.${g}`)]), { value: 'person' });
  const method = select(['written', 'verbal', 'verbal_with_interpreter'].map((m) => [m, t(`method.${m}`)]), { value: 'written' });
  const useOverride = h('input', { type: 'checkbox', id: 'use-override' });
  const justification = h('textarea', { rows: 2, maxlength: 2000 });

  const chosenServices = () => serviceBoxes.filter((b) => b.checked).map((b) => b.value);
  const refreshReceivers = async () => {
    const services = chosenServices();
    receiver.replaceChildren(h('option', { value: '' }, services.length ? '—' : t('chooseService')));
    if (!services.length) return;
    const page = await get(`/organisations${query({ service: services[0], municipality: municipality.value.trim(), active: true, limit: 100 })}`);
    const fitting = page.items.filter((o) => o.id !== state.me.organisation.id && services.every((s) => o.services.includes(s)));
    if (fitting.length === 0) receiver.replaceChildren(h('option', { value: '' }, t('noReceivers')));
    for (const organisation of fitting) receiver.append(h('option', { value: organisation.id }, `${organisation.name} (${organisation.municipality})`));
  };
  for (const box of serviceBoxes) box.addEventListener('change', refreshReceivers);
  municipality.addEventListener('change', refreshReceivers);
  municipalities().then((names) => municipalityList.replaceChildren(...names.map((name) => h('option', { value: name }))));
  get(`/organisations${query({ kind: 'centre_for_social_work', limit: 100 })}`).then((page) => {
    for (const csw of page.items) guardian.append(h('option', { value: csw.id }, csw.name));
  });

  // The override's justification is asked for only when the override is chosen; consent only when it is not.
  const consentFields = h('div', {}, field(t('consentGivenBy'), givenBy, 'consent.givenBy'), field(t('consentMethod'), method, 'consent.method'));
  const justificationField = field(t('justification'), justification, 'emergencyOverride.justification');
  const showBasis = () => { justificationField.hidden = !useOverride.checked; consentFields.hidden = useOverride.checked; };
  useOverride.addEventListener('change', showBasis);
  showBasis();

  // A person already on record (chosen from the matches or the person search) replaces the person fields.
  let existing = null;
  const personFields = h('div', { id: 'person-fields' },
    field(t('givenName'), givenName, 'person.givenName'), field(t('familyName'), familyName, 'person.familyName'),
    field(t('birthYear'), birthYear, 'person.birthYear'), field(t('sex'), sex, 'person.sex'),
    field(t('nationality'), nationality, 'person.nationality'), field(t('phone'), phone, 'person.phone'),
    field(t('languages'), languagesInput, 'person.languages'),
    field(t('legalStatus'), legalStatus, 'person.legalStatus'), field(t('guardian'), guardian, 'person.guardianOrganisationId'),
    h('fieldset', { className: 'checks' }, h('legend', {}, t('vulnerabilities')),
      vulnerabilityBoxes.map((box) => h('label', { for: box.id }, box, ` ${t(`vuln.${box.value}`)}`))));
  const matches = h('div', { id: 'match-panel', 'aria-live': 'polite' });
  const chosen = h('div', { id: 'chosen-person', hidden: true });
  const choose = (person) => {
    existing = person;
    personFields.hidden = person !== null;
    matches.hidden = person !== null;
    chosen.hidden = person === null;
    if (person) {
      replace(chosen, h('p', { className: 'notice', 'data-person-id': person.id }, t('usingPerson', { p: summaryLine(person) })),
        h('button', { type: 'button', className: 'secondary', id: 'new-person-instead', onclick: () => choose(null) }, t('newPersonInstead')));
    }
  };
  watchMatches({ givenName, familyName, birthYear, nationality, phone }, matches, choose);
  if (handedOver) { choose(handedOver); handedOver = null; }

  const form = h('form', { className: 'card stack', id: 'new-referral-form', novalidate: true },
    h('h2', {}, t('newReferral')),
    h('fieldset', {}, h('legend', {}, t('services')),
      h('fieldset', { className: 'checks', id: 'services' }, h('legend', {}, t('services')),
        serviceBoxes.map((box) => h('label', { for: box.id }, box, ` ${serviceName(box.value)}`)),
        h('p', { className: 'help' }, t('servicesHelp')), h('span', { className: 'field-error', 'data-error-for': 'services' })),
      field(t('municipality'), municipality, 'municipality'), municipalityList,
      field(t('receiverOrg'), receiver, 'receiverOrganisationId'), field(t('urgency'), urgency, 'urgency'), field(t('reason'), reason, 'reason')),
    h('fieldset', {}, h('legend', {}, t('person')), chosen, personFields, matches),
    h('fieldset', {}, h('legend', {}, t('consent')),
      h('label', { for: 'use-override' }, useOverride, ` ${t('emergencyOverride')}`), consentFields, justificationField),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, t('submit'))));

  const key = idempotencyKey();
  onSubmitOnce(form, async () => {
    const body = { receiverOrganisationId: receiver.value || null, services: chosenServices(), urgency: urgency.value, reason: reason.value };
    if (existing) body.personId = existing.id;
    else {
      body.person = {
        givenName: givenName.value, familyName: familyName.value,
        birthYear: birthYear.value ? Number(birthYear.value) : null,
        sex: sex.value, nationality: nationality.value.trim().toUpperCase() || null, phone: phone.value.trim() || null,
        languages: languagesInput.value.split(',').map((l) => l.trim()).filter(Boolean),
        legalStatus: legalStatus.value,
        vulnerabilities: vulnerabilityBoxes.filter((b) => b.checked).map((b) => b.value),
        guardianOrganisationId: guardian.value || null,
      };
    }
    if (useOverride.checked) body.emergencyOverride = { justification: justification.value };
    else body.consent = { givenBy: givenBy.value, method: method.value };
    try {
      const created = await call('POST', '/referrals', { body, idempotencyKey: key });
      onCreated(created.body);
    } catch (error) {
      const rest = showErrors(form, error.problem);
      say([error.message, ...rest].join(' '), 'error');
      form.querySelector('[aria-invalid="true"]')?.focus();
    }
  });
  return form;
}
