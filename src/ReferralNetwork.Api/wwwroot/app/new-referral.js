import { call, get, idempotencyKey, query } from './api.js';
import { field, h, onSubmitOnce, select, showErrors } from './dom.js';
import { t } from './i18n.js';
import { say, serviceName, state } from './app.js';

const sexes = ['female', 'male', 'other', 'unknown'];
const legalStatuses = ['asylum_seeker', 'refugee', 'subsidiary_protection', 'temporary_protection', 'irregular', 'other'];
const vulnerabilities = ['unaccompanied_child', 'separated_child', 'single_parent', 'pregnant_or_lactating', 'older_person', 'disability',
  'chronic_illness', 'survivor_of_violence', 'trafficking_survivor', 'medical_emergency'];

/** A referral: the receiver comes from the directory, filtered by the service and municipality chosen. */
export async function newReferralForm(onCreated) {
  const service = select(state.services.map((s) => [s.code, serviceName(s.code)]), { placeholder: '—', required: true });
  const municipality = h('input', { type: 'text', autocomplete: 'off' });
  const receiver = select([], { placeholder: t('chooseService'), required: true });
  const urgency = select(['emergency', 'urgent', 'routine'].map((u) => [u, t(`urgency.${u}`)]), { value: 'routine' });
  const reason = h('textarea', { rows: 3, maxlength: 4000, required: true });
  const givenName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const familyName = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const birthYear = h('input', { type: 'number', min: 1900, max: 2100, required: true });
  const sex = select(sexes.map((s) => [s, t(`sex.${s}`)]), { value: 'unknown' });
  const nationality = h('input', { type: 'text', maxlength: 2, autocomplete: 'off' });
  const languagesInput = h('input', { type: 'text', autocomplete: 'off' });
  const legalStatus = select(legalStatuses.map((s) => [s, t(`legal.${s}`)]), { value: 'asylum_seeker' });
  const guardian = select([], { placeholder: t('none') });
  const vulnerabilityBoxes = vulnerabilities.map((v) => h('input', { type: 'checkbox', value: v, id: `v-${v}` }));
  const givenBy = select(['person', 'guardian', 'parent'].map((g) => [g, t(`giver.${g}`)]), { value: 'person' });
  const method = select(['written', 'verbal', 'verbal_with_interpreter'].map((m) => [m, t(`method.${m}`)]), { value: 'written' });
  const useOverride = h('input', { type: 'checkbox', id: 'use-override' });
  const justification = h('textarea', { rows: 2, maxlength: 2000 });

  const refreshReceivers = async () => {
    receiver.replaceChildren(h('option', { value: '' }, service.value ? '—' : t('chooseService')));
    if (!service.value) return;
    const page = await get(`/organisations${query({ service: service.value, municipality: municipality.value.trim(), active: true, limit: 100 })}`);
    const others = page.items.filter((o) => o.id !== state.me.organisation.id);
    if (others.length === 0) receiver.replaceChildren(h('option', { value: '' }, t('noReceivers')));
    for (const organisation of others) receiver.append(h('option', { value: organisation.id }, `${organisation.name} (${organisation.municipality})`));
  };
  service.addEventListener('change', refreshReceivers);
  municipality.addEventListener('change', refreshReceivers);
  get(`/organisations${query({ kind: 'centre_for_social_work', limit: 100 })}`).then((page) => {
    for (const csw of page.items) guardian.append(h('option', { value: csw.id }, csw.name));
  });

  const form = h('form', { className: 'card stack', id: 'new-referral-form', novalidate: true },
    h('h2', {}, t('newReferral')),
    h('fieldset', {}, h('legend', {}, t('service')),
      field(t('service'), service, 'services[0]'), field(t('municipality'), municipality, 'municipality'),
      field(t('receiverOrg'), receiver, 'receiverOrganisationId'), field(t('urgency'), urgency, 'urgency'), field(t('reason'), reason, 'reason')),
    h('fieldset', {}, h('legend', {}, t('person')),
      field(t('givenName'), givenName, 'person.givenName'), field(t('familyName'), familyName, 'person.familyName'),
      field(t('birthYear'), birthYear, 'person.birthYear'), field(t('sex'), sex, 'person.sex'),
      field(t('nationality'), nationality, 'person.nationality'), field(t('languages'), languagesInput, 'person.languages'),
      field(t('legalStatus'), legalStatus, 'person.legalStatus'), field(t('guardian'), guardian, 'person.guardianOrganisationId'),
      h('fieldset', { className: 'checks' }, h('legend', {}, t('vulnerabilities')),
        vulnerabilityBoxes.map((box) => h('label', { for: box.id }, box, ` ${t(`vuln.${box.value}`)}`)))),
    h('fieldset', {}, h('legend', {}, t('consent')),
      field(t('consentGivenBy'), givenBy, 'consent.givenBy'), field(t('consentMethod'), method, 'consent.method'),
      h('label', { for: 'use-override' }, useOverride, ` ${t('emergencyOverride')}`),
      field(t('justification'), justification, 'emergencyOverride.justification')),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, t('submit'))));

  const key = idempotencyKey();
  onSubmitOnce(form, async () => {
    const body = {
      receiverOrganisationId: receiver.value || null,
      services: service.value ? [service.value] : [],
      urgency: urgency.value,
      reason: reason.value,
      person: {
        givenName: givenName.value, familyName: familyName.value,
        birthYear: birthYear.value ? Number(birthYear.value) : null,
        sex: sex.value, nationality: nationality.value.trim().toUpperCase() || null,
        languages: languagesInput.value.split(',').map((l) => l.trim()).filter(Boolean),
        legalStatus: legalStatus.value,
        vulnerabilities: vulnerabilityBoxes.filter((b) => b.checked).map((b) => b.value),
        guardianOrganisationId: guardian.value || null,
      },
    };
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
