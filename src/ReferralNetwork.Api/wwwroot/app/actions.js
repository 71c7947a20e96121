import { ApiError, call, get, idempotencyKey, query } from './api.js';
import { field, h, onSubmitOnce, select, showErrors } from './dom.js';
import { t } from './i18n.js';
import { say } from './app.js';

const declineReasons = ['no_capacity', 'not_eligible', 'service_not_offered', 'client_unreachable', 'duplicate', 'other'];
const outcomes = ['service_provided', 'partially_provided', 'client_declined', 'lost_contact', 'client_moved', 'not_eligible'];

/**
 * The form for one action (only actions the API lists as allowed are offered). It sends If-Match with the version the
 * worker is looking at; a 412 means someone else changed the referral first, and the page reloads it.
 */
export function actionForm(action, referral, etag, done) {
  const controls = [];
  const body = {};
  const add = (label, control, name) => { controls.push(field(label, control, name)); body[name] = control; };
  switch (action) {
    case 'decline':
      add(t('declineReason'), select(declineReasons.map((r) => [r, t(`decline.${r}`)]), { placeholder: '—', required: true }), 'reasonCode');
      add(t('note'), h('textarea', { rows: 3, maxlength: 2000 }), 'note');
      break;
    case 'complete':
      add(t('outcome'), select(outcomes.map((o) => [o, t(`outcome.${o}`)]), { placeholder: '—', required: true }), 'outcome');
      add(t('note'), h('textarea', { rows: 3, maxlength: 2000 }), 'note');
      break;
    case 'redirect': {
      const target = select([], { placeholder: '—', required: true });
      get(`/organisations${query({ service: referral.services[0], active: true, limit: 100 })}`).then((page) => {
        for (const organisation of page.items) {
          if (organisation.id !== referral.referrerOrganisationId && organisation.id !== referral.receiverOrganisationId) {
            target.append(h('option', { value: organisation.id }, `${organisation.name} (${organisation.municipality})`));
          }
        }
      });
      add(t('target'), target, 'targetOrganisationId');
      add(t('note'), h('textarea', { rows: 3, maxlength: 2000 }), 'note');
      break;
    }
    case 'hold':
      add(t('holdReason'), h('textarea', { rows: 2, maxlength: 2000, required: true }), 'reason');
      break;
    case 'withdraw':
      add(t('withdrawReason'), h('textarea', { rows: 2, maxlength: 2000, required: true }), 'reason');
      break;
    default:
      break;
  }
  const form = h('form', { className: 'card stack', id: `form-${action}` },
    h('h4', {}, t(`action.${action}`)), controls,
    h('div', { className: 'buttons' },
      h('button', { type: 'submit', className: action === 'decline' || action === 'withdraw' ? 'danger' : 'primary' }, t('confirm')),
      h('button', { type: 'button', className: 'secondary', onclick: () => form.remove() }, t('cancel'))));
  const key = idempotencyKey();
  onSubmitOnce(form, async () => {
    const payload = {};
    for (const [name, control] of Object.entries(body)) if (control.value !== '') payload[name] = control.value;
    try {
      await call('POST', `/referrals/${referral.id}/${action}`, { body: payload, etag, idempotencyKey: key });
      await done(referral, null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) { await done(referral, error); return; }
      if (error.problem?.rule === 'protocol.steps_missing') {
        const titles = (error.problem.missingSteps ?? []).map((code) => referral.steps?.find((s) => s.code === code)?.title ?? code);
        form.append(h('p', { className: 'error', role: 'alert', id: 'steps-missing' }, t('stepsMissing', { s: titles.join(', ') })));
        return;
      }
      const rest = showErrors(form, error.problem);
      say([error.message, ...rest].join(' '), 'error');
    }
  });
  queueMicrotask(() => form.querySelector('select, textarea, button')?.focus());
  return form;
}
