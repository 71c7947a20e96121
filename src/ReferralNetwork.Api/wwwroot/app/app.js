import { ApiError, call, get, hasSession, key, query, setCsrf, setKey } from './api.js';
import { field, h, replace, select, showErrors } from './dom.js';
import { formatSpan, formatTime, inScript, isSerbian, lang, languageNames, languages, setLang, t } from './i18n.js';
import { actionForm } from './actions.js';
import { documentsSection } from './documents.js';
import { newReferralForm } from './new-referral.js';
import { renderPersonSearch } from './persons.js';
import { eventName, printButton, printFooter, timelineLabel } from './print.js';
import { activationForm, renderUsers } from './users.js';
import { completeProviderSignIn, providerButtons } from './oidc.js';
import { renderDashboard } from './dashboard.js';

const main = document.getElementById('main');
const top = document.getElementById('top');
const statusLine = document.getElementById('status');

/** The boxes as tabs; `reviews` is the referrer's outbox narrowed to overrides waiting for a supervisor's review. */
const boxes = ['mine', 'inbox', 'outbox', 'observing', 'escalated', 'reviews'];
const boxQuery = (box) => (box === 'reviews' ? { box: 'outbox', pendingReview: true } : { box });
const isSupervisor = () => state.me?.roles.includes('supervisor');
const isOrgAdmin = () => state.me?.roles.includes('org_admin');
/** An organisation admin who works no cases lands on the people list. */
const adminOnly = () => isOrgAdmin() && !state.me.roles.some((r) => r === 'caseworker' || r === 'supervisor');
/** Who reads the reports dashboard: coordinators and auditors for the network, an organisation's admin or supervisor for itself. */
const readsReports = () => state.me?.roles.some((r) => ['network_admin', 'auditor', 'org_admin', 'supervisor'].includes(r));
const visibleBoxes = () => boxes.filter((box) => (box !== 'reviews' || isSupervisor()) && (box !== 'mine' || hasSession()));

export const state = {
  me: null,
  services: [],
  organisations: new Map(),
  box: 'inbox',
  // Issue 17: the worklist is "due next" unless the worker asks for the newest first; q is a reference or a name.
  filters: { q: '', status: '', urgency: '', service: '', overdue: '', sort: 'due' },
};

export function say(message, kind = 'info') {
  statusLine.textContent = message ?? '';
  statusLine.dataset.kind = kind;
}

export const serviceName = (code) => {
  const service = state.services.find((s) => s.code === code);
  return service ? (isSerbian() ? inScript(service.nameSr) : service.nameEn) : code;
};

export async function organisationName(id) {
  if (!id) return '—';
  if (state.me && id === state.me.organisation.id) return `${state.me.organisation.name} (${t('you')})`;
  if (!state.organisations.has(id)) {
    try { state.organisations.set(id, await get(`/organisations/${id}`)); } catch { return id; }
  }
  return state.organisations.get(id).name;
}

// ---- sign in / out -------------------------------------------------------------------------------------------

function renderTop() {
  const switcher = h('div', { className: 'lang', role: 'group', 'aria-label': t('language') },
    languages.map((code) => h('button', {
      type: 'button', className: 'link', 'aria-pressed': String(lang() === code), 'data-lang': code, lang: code === 'sr' ? 'sr-Latn' : code,
      onclick: () => { setLang(code); route(); },
    }, languageNames[code])));
  const who = state.me ? h('span', { className: 'who' }, `${state.me.organisation.name} · ${state.me.roles.map((r) => t(`role.${r}`)).join(', ')}`) : null;
  const out = state.me ? h('button', { type: 'button', className: 'link', id: 'sign-out', onclick: signOut }, t('signOut')) : null;
  const people = state.me && isOrgAdmin() && hasSession() ? h('a', { href: '#/users', className: 'link', id: 'nav-users' }, t('people')) : null;
  const persons = state.me && !adminOnly() ? h('a', { href: '#/persons', className: 'link', id: 'nav-persons' }, t('findPerson')) : null;
  const dashboard = readsReports() ? h('a', { href: '#/dashboard', className: 'link', id: 'nav-dashboard' }, t('dashboard')) : null;
  replace(top, who, persons, people, dashboard, switcher, out);
  document.getElementById('brand').textContent = t('appName');
}

async function signOut() {
  if (hasSession()) { try { await call('DELETE', '/session'); } catch { /* ended already */ } }
  setCsrf(null);
  setKey(null);
  state.me = null;
  location.hash = '';
  route();
}

/** People sign in as themselves: username, password and the code of their authenticator app. */
function personSignIn() {
  const username = h('input', { type: 'text', autocomplete: 'username', spellcheck: 'false', required: true });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const totp = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}' });
  const form = h('form', { className: 'card narrow', id: 'sign-in-person' },
    h('h2', {}, t('signIn')),
    h('p', { className: 'muted' }, t('tagline')),
    field(t('username'), username, 'username'), field(t('password'), password, 'password'), field(t('totp'), totp, 'totp'),
    h('p', { className: 'help' }, t('totpHelp')),
    h('button', { type: 'submit', className: 'primary' }, t('signIn')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const { body } = await call('POST', '/session', { body: { username: username.value.trim(), password: password.value, totp: totp.value || undefined } });
      setKey(null);
      setCsrf(body.csrfToken);
      await loadMe();
      location.hash = adminOnly() ? '#/users' : '#/mine';
      route();
    } catch (error) {
      say(error.problem?.reason === 'locked_out' ? t('lockedOut') : error.problem?.reason === 'totp_required' ? t('totpRequired') : t('personSignInFailed'), 'error');
      password.value = '';
      password.focus();
    }
  });
  return form;
}

function renderSignIn() {
  const input = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', { className: 'card narrow', id: 'sign-in' },
    h('h3', {}, t('keySignIn')),
    field(t('apiKey'), input, 'key'),
    h('p', { className: 'help' }, t('apiKeyHelp')),
    h('button', { type: 'submit', className: 'primary' }, t('signIn')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setKey(input.value.trim());
    try {
      await loadMe();
      location.hash = '#/inbox';
      route();
    } catch {
      setKey(null);
      say(t('signInFailed'), 'error');
      input.focus();
    }
  });
  const person = personSignIn();
  const providers = h('div', { id: 'provider-slot' });
  person.append(h('p', {}, h('a', { href: '#/activate', id: 'to-activate' }, t('activate'))));
  replace(main, person, providers, h('details', { className: 'narrow' }, h('summary', {}, t('keySignIn')), form));
  person.querySelector('input').focus();
  // The organisations' own identity providers, where configured (issue 16).
  providerButtons().then((buttons) => { if (buttons) providers.replaceWith(buttons); });
}

/** The session ended under our feet (idle, signed out elsewhere, deactivated): back to sign-in, saying why. */
let pendingNotice = null;
function sessionEnded() {
  setCsrf(null); setKey(null); state.me = null;
  // Leaving the page's hash starts a navigation (hashchange → route) after this returns, and a navigation clears the
  // status line: it shows this notice instead, or the reason would flash and vanish.
  if (location.hash !== '#/activate' && location.hash !== '') { pendingNotice = t('sessionEnded'); location.hash = ''; }
  renderTop(); renderSignIn(); say(t('sessionEnded'), 'error');
}
window.addEventListener('rn:session-ended', sessionEnded);

async function loadMe() {
  state.me = await get('/me');
  state.services = (await get('/services')).items;
}

// ---- boxes ---------------------------------------------------------------------------------------------------

/**
 * The deadline that matters now for a referral in its state — or the override's review, when that comes first — and how
 * it stands.
 */
export function deadlineBadge(referral) {
  const d = referral.deadlines ?? {};
  const forStatus = { requested: d.acknowledgeBy, received: d.decideBy, accepted: d.followUpBy, 'in-progress': d.followUpBy, 'on-hold': d.followUpBy }[referral.status];
  // The review is the referrer's (its supervisor's) duty while the referral is open; the receiver does not owe it.
  const open = !['completed', 'failed', 'rejected', 'cancelled', 'redirected'].includes(referral.status);
  const review = open && referral.relation === 'referrer' && referral.emergencyOverride?.status === 'pending' ? d.reviewBy ?? referral.emergencyOverride.reviewBy : null;
  const due = [forStatus, review].filter(Boolean).sort((a, b) => new Date(a) - new Date(b))[0];
  if (referral.overdue) return h('span', { className: 'badge overdue' }, t('overdueFlag'));
  if (!due) return null;
  const left = new Date(due) - Date.now();
  if (left < 0) return h('span', { className: 'badge overdue' }, t('overdueBy', { t: formatSpan(left) }));
  if (left < 24 * 3600 * 1000) return h('span', { className: 'badge soon' }, t('dueSoonIn', { t: formatSpan(left) }));
  return h('span', { className: 'badge' }, t('dueIn', { t: formatSpan(left) }));
}

/** What the filters narrow the list by, as GET /referrals and GET /referrals/counts read them (sort only orders). */
const filterQuery = () => ({ q: state.filters.q, status: state.filters.status, urgency: state.filters.urgency, service: state.filters.service, overdue: state.filters.overdue });

/** The tabs' counts from GET /referrals/counts with the list's filters: every box in one call, the reviews tab in a second. */
async function boxCounts() {
  const counts = {};
  try {
    const all = await get(`/referrals/counts${query(filterQuery())}`);
    for (const box of visibleBoxes()) if (all[box] !== undefined && all[box] !== null) counts[box] = String(all[box]);
    if (visibleBoxes().includes('reviews')) counts.reviews = String((await get(`/referrals/counts${query({ ...filterQuery(), ...boxQuery('reviews') })}`)).outbox);
  } catch { /* the tabs show no number rather than a wrong one */ }
  return counts;
}

async function renderBox(box) {
  state.box = box;
  const tabs = h('nav', { className: 'tabs', 'aria-label': t('filters') });
  const list = h('ul', { className: 'referrals', id: 'referral-list', 'aria-live': 'polite' }, h('li', { className: 'muted' }, t('loading')));
  const more = h('button', { type: 'button', className: 'secondary', hidden: true }, t('loadMore'));
  replace(main, tabs, filtersForm(box), list, more, h('p', {}, h('a', { href: '#/new', className: 'button primary', id: 'new-referral' }, t('newReferral'))));
  const counts = await boxCounts();
  replace(tabs, visibleBoxes().map((name) => h('a', {
    href: `#/${name}`, className: name === box ? 'tab active' : 'tab', 'aria-current': name === box ? 'page' : false, id: `tab-${name}`,
  }, `${t(name)} `, counts[name] === undefined ? null : h('span', { className: 'count' }, counts[name]))));

  let cursor = null;
  const load = async (first) => {
    const page = await get(`/referrals${query({ ...boxQuery(box), ...filterQuery(), sort: state.filters.sort, cursor, limit: 25 })}`);
    if (first) list.replaceChildren();
    if (first && page.items.length === 0) list.append(h('li', { className: 'muted' }, t('noReferrals')));
    for (const referral of page.items) list.append(await referralRow(referral));
    cursor = page.nextCursor;
    more.hidden = !cursor;
  };
  more.onclick = () => load(false);
  await load(true);
}

function filtersForm(box) {
  const statuses = ['requested', 'received', 'accepted', 'in-progress', 'on-hold', 'completed', 'failed', 'rejected', 'cancelled', 'redirected'];
  const search = h('input', { type: 'search', value: state.filters.q, autocomplete: 'off', spellcheck: 'false', maxlength: 100, placeholder: 'RN-2026-…' });
  const controls = {
    q: search,
    sort: select(['due', 'created'].map((s) => [s, t(`sort.${s}`)]), { value: state.filters.sort }),
    status: select(statuses.map((s) => [s, t(`status.${s}`)]), { value: state.filters.status, placeholder: t('any') }),
    urgency: select(['emergency', 'urgent', 'routine'].map((u) => [u, t(`urgency.${u}`)]), { value: state.filters.urgency, placeholder: t('any') }),
    service: select(state.services.map((s) => [s.code, serviceName(s.code)]), { value: state.filters.service, placeholder: t('any') }),
    overdue: select([['true', t('yes')], ['false', t('no')]], { value: state.filters.overdue, placeholder: t('any') }),
  };
  const form = h('form', { className: 'filters', id: 'filters', 'aria-label': t('filters') },
    Object.entries(controls).map(([name, control]) => field(t(name === 'q' ? 'search' : name), control, name)),
    h('button', { type: 'submit', className: 'secondary' }, t('apply')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const [name, control] of Object.entries(controls)) state.filters[name] = control.value;
    renderBox(box);
  });
  return form;
}

async function referralRow(referral) {
  const person = referral.person;
  const other = referral.relation === 'receiver' ? referral.referrerOrganisationId : referral.receiverOrganisationId;
  return h('li', { className: 'referral', 'data-id': referral.id },
    h('a', { href: `#/referral/${referral.id}`, className: 'row-link' },
      h('span', { className: 'reference' }, referral.reference ?? ''),
      h('span', { className: `pill status-${referral.status}` }, t(`status.${referral.status}`)),
      h('span', { className: `pill urgency-${referral.urgency}` }, t(`urgency.${referral.urgency}`)),
      h('strong', {}, `${person.erased ? t('erased') : person.initials ?? '—'} · ${person.birthYear}`),
      h('span', {}, referral.services.map(serviceName).join(', ')),
      h('span', { className: 'muted' }, await organisationName(other)),
      h('span', { className: 'muted' }, formatTime(referral.createdAt)),
      deadlineBadge(referral)));
}

// ---- detail --------------------------------------------------------------------------------------------------

export async function renderReferral(id, notice) {
  let loaded;
  try {
    loaded = await call('GET', `/referrals/${id}`);
  } catch (error) {
    replace(main, h('p', { className: 'error' }, error.message), h('a', { href: `#/${state.box}` }, t('back')));
    return;
  }
  const referral = loaded.body;
  const etag = loaded.etag;
  const d = referral.deadlines;
  const person = referral.person;
  const identity = h('div', { id: 'identity' });
  const showIdentity = h('button', { type: 'button', className: 'secondary', id: 'show-identity', onclick: async () => {
    const view = await get(`/persons/${person.id}${query({ referralId: referral.id })}`);
    replace(identity, view.identity
      ? h('p', { className: 'identity' }, `${view.identity.givenName} ${view.identity.familyName}`)
      : h('p', { className: 'muted' }, t('erased')));
    showIdentity.remove();
  } }, t('showIdentity'));

  const facts = h('dl', { className: 'facts' },
    h('dt', {}, t('relation')), h('dd', {}, t(`relation.${referral.relation}`)),
    h('dt', {}, t('person')), h('dd', {},
      `${person.erased ? t('erased') : person.initials ?? '—'} · ${person.birthYear} · ${t(`sex.${person.sex}`)} · ${person.nationality ?? ''} · ${t(`legal.${person.legalStatus}`)}`,
      person.vulnerabilities.length ? h('div', {}, person.vulnerabilities.map((v) => t(`vuln.${v}`)).join(', ')) : null,
      person.erased ? null : h('div', { className: 'no-print' }, showIdentity, h('span', { className: 'help' }, ` ${t('identityLogged')}`)), identity),
    h('dt', {}, t('services')), h('dd', {}, referral.services.map(serviceName).join(', ')),
    h('dt', {}, t('urgency')), h('dd', {}, t(`urgency.${referral.urgency}`)),
    h('dt', {}, t('protocol')), h('dd', {}, `${referral.protocolCode} v${referral.protocolVersion}`),
    h('dt', {}, t('consentBasis')), h('dd', { id: 'consent-basis' }, t(`consentBasis.${referral.consentBasis}`),
      referral.emergencyOverride ? h('span', { className: `pill override-${referral.emergencyOverride.status}`, id: 'override-status' },
        t(`override.${referral.emergencyOverride.status}`)) : null),
    h('dt', {}, t('referrer')), h('dd', {}, await organisationName(referral.referrerOrganisationId)),
    h('dt', {}, t('receiver')), h('dd', {}, await organisationName(referral.receiverOrganisationId)),
    h('dt', {}, t('responsible')), h('dd', { id: 'responsible' }, await organisationName(referral.responsibleOrganisationId)),
    h('dt', {}, t('deadlines')), h('dd', {},
      h('ul', { className: 'plain' },
        d.acknowledgeBy ? h('li', {}, `${t('acknowledgeBy')}: ${formatTime(d.acknowledgeBy)}`) : null,
        d.decideBy ? h('li', {}, `${t('decideBy')}: ${formatTime(d.decideBy)}`) : null,
        d.followUpBy ? h('li', {}, `${t('followUpBy')}: ${formatTime(d.followUpBy)}`) : null,
        d.reviewBy ? h('li', {}, `${t('reviewBy')}: ${formatTime(d.reviewBy)}`) : null),
      deadlineBadge(referral)),
    referral.duties?.length ? [h('dt', {}, t('duties')), h('dd', {}, h('ul', { className: 'plain', id: 'duties' },
      await Promise.all(referral.duties.map(async (duty) => h('li', { 'data-deadline': duty.deadline },
        `${t(`deadline.${duty.deadline}`)}${duty.step ? ` (${referral.steps?.find((s) => s.code === duty.step)?.title ?? duty.step})` : ''} · ${await organisationName(duty.holderOrganisationId)} · ${formatTime(duty.dueAt)}`,
        duty.closedAt ? ` · ${t(`closed.${duty.closedBasis}`)}` : '',
        duty.lateBySeconds ? h('span', { className: 'badge overdue' }, t('lateBy', { t: formatSpan(duty.lateBySeconds * 1000) })) : null)))))] : null,
    referral.outcome ? [h('dt', {}, t('outcome')), h('dd', { id: 'outcome' }, t(`outcome.${referral.outcome}`))] : null,
    referral.declineReason ? [h('dt', {}, t('declineReason')), h('dd', { id: 'decline-reason' }, t(`decline.${referral.declineReason}`))] : null,
    referral.onward ? [h('dt', {}, t('forwardedTo')), h('dd', {}, `${await organisationName(referral.onward.receiverOrganisationId)} · ${t(`status.${referral.onward.status}`)}`)] : null,
    referral.reason ? [h('dt', {}, t('reason')), h('dd', { className: 'prose' }, referral.reason)] : null);

  const actions = h('section', { className: 'card no-print', 'aria-labelledby': 'actions-title' }, h('h3', { id: 'actions-title' }, t('actions')));
  // Issue 16: who holds the case on this side; a person signed in takes it for themself.
  const side = referral.relation === 'referrer' || referral.relation === 'receiver' ? referral.relation : null;
  const assignee = side ? referral.assignees?.[side] : null;
  if (side) {
    actions.append(h('p', { id: 'assignee' }, assignee ? (assignee === state.me?.principalId ? t('assignedToYou') : t('assignedToOther')) : t('unassigned')));
    if (hasSession() && !assignee && !['completed', 'failed', 'rejected', 'cancelled', 'redirected'].includes(referral.status)) {
      actions.append(h('button', { type: 'button', className: 'secondary', id: 'take', onclick: async () => {
        try { await call('POST', `/referrals/${referral.id}/take`, { etag }); await renderReferral(referral.id, t('taken')); } catch (error) { say(error.message, 'error'); }
      } }, t('take')));
    }
  }
  const panel = h('div', { id: 'action-panel' });
  if (referral.allowedActions.length === 0) actions.append(h('p', { className: 'muted' }, t('noActions')));
  else actions.append(h('div', { className: 'buttons' }, referral.allowedActions.map((action) => h('button', {
    type: 'button', className: action === 'decline' || action === 'withdraw' ? 'danger' : 'primary', 'data-action': action,
    onclick: () => replace(panel, actionForm(action, referral, etag, onActionDone)),
  }, t(`action.${action}`)))), panel);

  replace(main,
    h('p', { className: 'no-print' }, h('a', { href: `#/${state.box}` }, `← ${t('back')}`), ' ', printButton()),
    h('h2', { className: 'referral-title' }, h('span', { className: 'reference', id: 'referral-reference' }, referral.reference ?? ''), ' ',
      h('span', { className: `pill status-${referral.status}`, id: 'referral-status' }, t(`status.${referral.status}`)), ' ', referral.services.map(serviceName).join(', ')),
    notice ? h('p', { className: 'notice', role: 'alert', id: 'notice' }, notice) : null,
    h('section', { className: 'card' }, facts), stepsSection(referral, etag), overrideReview(referral, etag), actions,
    await timelineSection(referral), referral.relation === 'observer' ? null : await notesSection(referral),
    await documentsSection(referral, say, (message) => renderReferral(referral.id, message)),
    printFooter(state.me?.organisation.name));
  main.focus();
}

/**
 * The supervisor's review of an emergency override (four eyes: the API refuses the supervisor who submitted it, and the
 * answer is shown beside the buttons). Shown only on a referral of the caller's organisation whose override is pending.
 */
function overrideReview(referral, etag) {
  if (referral.relation !== 'referrer' || referral.emergencyOverride?.status !== 'pending' || !isSupervisor()) return null;
  const note = h('textarea', { rows: 2, maxlength: 2000, id: 'review-note' });
  const form = h('form', { className: 'card stack', id: 'override-review', 'aria-labelledby': 'review-title' },
    h('h3', { id: 'review-title' }, t('overrideReview')),
    h('p', { className: 'help' }, t('overrideReviewHelp', { t: formatTime(referral.emergencyOverride.reviewBy) })),
    field(t('reviewNote'), note, 'note'),
    h('div', { className: 'buttons' },
      h('button', { type: 'submit', className: 'primary', value: 'approve', id: 'approve-override' }, t('approveOverride')),
      h('button', { type: 'submit', className: 'danger', value: 'reject', id: 'reject-override' }, t('rejectOverride'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const approved = event.submitter?.value !== 'reject';
    try {
      await call('POST', `/referrals/${referral.id}/override-review`, { body: { approved, note: note.value || undefined }, etag });
      await onActionDone(referral, null);
    } catch (error) {
      const rest = showErrors(form, error.problem);
      say([error.message, ...rest].join(' '), 'error');
    }
  });
  return form;
}

/**
 * The protocol's steps for this referral as a checklist: title, guidance and legal basis in the worker's language; the
 * receiver ticks an open step (with an optional note) while it works on the referral.
 */
function stepsSection(referral, etag) {
  if (!referral.steps?.length) return null;
  const working = referral.relation === 'receiver' && ['accepted', 'in-progress', 'on-hold'].includes(referral.status);
  const items = referral.steps.map((step) => {
    const item = h('li', { className: 'step', 'data-step': step.code },
      h('div', {}, h('strong', {}, `${step.doneAt ? '☑' : '☐'} ${step.title}`),
        step.mandatory ? h('span', { className: 'pill' }, ` ${t('mandatory')}`) : null,
        step.due ? h('span', { className: 'muted' }, ` · ${t('stepDueBy', { t: formatTime(step.due) })}`) : null,
        step.doneAt ? h('span', { className: 'muted step-done' }, ` · ${t('doneAt', { t: formatTime(step.doneAt) })}`) : null),
      step.guidance ? h('p', { className: 'prose' }, step.guidance) : null,
      step.legalBasis ? h('p', { className: 'help' }, `${t('legalBasis')}: ${step.legalBasis}`) : null,
      step.note ? h('p', { className: 'prose step-note' }, step.note) : null);
    if (working && !step.doneAt) {
      const note = h('textarea', { rows: 2, maxlength: 2000, className: 'step-note-input' });
      const form = h('form', { className: 'stack' }, field(t('stepNote'), note, 'note'),
        h('button', { type: 'submit', className: 'secondary step-tick' }, t('stepDone')));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await call('POST', `/referrals/${referral.id}/steps/${encodeURIComponent(step.code)}`, { body: { note: note.value || undefined }, etag });
          await onActionDone(referral, null);
        } catch (error) {
          if (error instanceof ApiError && error.status === 412) { await onActionDone(referral, error); return; }
          say(error.message, 'error');
        }
      });
      item.append(form);
    }
    return item;
  });
  return h('section', { className: 'card', 'aria-labelledby': 'steps-title' }, h('h3', { id: 'steps-title' }, t('steps')),
    h('p', { className: 'help' }, t('stepsHelp')), h('ol', { className: 'plain', id: 'steps' }, items));
}

async function onActionDone(referral, error) {
  if (error instanceof ApiError && error.status === 412) {
    await renderReferral(referral.id, t('changedReloaded'));
    return;
  }
  say(t('saved'));
  await renderReferral(referral.id);
}

async function timelineSection(referral) {
  let entries = [];
  try { entries = await get(`/referrals/${referral.id}/timeline`); } catch { entries = []; }
  const items = await Promise.all((entries.items ?? entries).map(async (entry) => h('li', {},
    h('time', { datetime: entry.at }, formatTime(entry.at)), ' · ',
    eventName(entry.action), entry.to && entry.to !== entry.from && t(`status.${entry.to}`) !== eventName(entry.action) ? ` → ${t(`status.${entry.to}`)}` : '',
    timelineLabel(entry, referral), ' · ', await organisationName(entry.organisationId),
    entry.lateBySeconds ? h('span', { className: 'badge overdue' }, t('lateBy', { t: formatSpan(entry.lateBySeconds * 1000) })) : null)));
  return h('section', { className: 'card', 'aria-labelledby': 'timeline-title' }, h('h3', { id: 'timeline-title' }, t('timeline')), h('ol', { className: 'timeline', id: 'timeline' }, items));
}

async function notesSection(referral) {
  let notes = [];
  try { notes = await get(`/referrals/${referral.id}/notes`); } catch { notes = []; }
  const list = h('ul', { className: 'notes', id: 'notes' }, await Promise.all((notes.items ?? notes).map(async (note) => h('li', {},
    h('div', { className: 'muted' }, `${formatTime(note.createdAt)} · ${await organisationName(note.organisationId)}`),
    h('div', { className: 'prose' }, note.erased ? t('erased') : note.text)))));
  const text = h('textarea', { rows: 3, maxlength: 4000, required: true });
  const form = h('form', { className: 'stack' }, field(t('noteText'), text, 'text'), h('button', { type: 'submit', className: 'secondary' }, t('addNote')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await call('POST', `/referrals/${referral.id}/notes`, { body: { text: text.value } });
      await renderReferral(referral.id);
    } catch (error) {
      const rest = showErrors(form, error.problem);
      say([error.message, ...rest].join(' '), 'error');
    }
  });
  return h('section', { className: 'card no-print', 'aria-labelledby': 'notes-title' }, h('h3', { id: 'notes-title' }, t('notes')), list, form);
}

// ---- routing -------------------------------------------------------------------------------------------------

// Each route() call is one navigation; one that a newer navigation overtook while it waited for the server renders nothing
// (a slow GET /session from the page load must not replace the activation form the hash asked for meanwhile).
let navigation = 0;

export async function route() {
  const mine = ++navigation;
  const overtaken = () => mine !== navigation;
  setLang(lang());
  if (pendingNotice) { say(pendingNotice, 'error'); pendingNotice = null; } else say('');
  if (location.hash === '#/activate' && !key() && !hasSession()) { renderTop(); replace(main, activationForm(say)); return; }
  if (!key() && !hasSession()) {
    // A session cookie from before a reload (the cookie itself is HttpOnly): ask the server who is signed in.
    try { setCsrf((await get('/session')).csrfToken); } catch { if (overtaken()) return; state.me = null; renderTop(); renderSignIn(); return; }
    if (overtaken()) return;
  }
  if (!state.me) {
    try { await loadMe(); } catch { if (overtaken()) return; setKey(null); setCsrf(null); renderTop(); renderSignIn(); return; }
    if (overtaken()) return;
  }
  renderTop();
  const [, page, id] = (location.hash || '#/inbox').split('/');
  try {
    if (page === 'users' && isOrgAdmin()) await renderUsers(main, state.me, say);
    else if (page === 'dashboard' && readsReports()) await renderDashboard(main, say, id);
    else if (adminOnly() && page !== 'referral') { location.hash = '#/users'; return; }
    else if (page === 'referral' && id) await renderReferral(id);
    else if (page === 'new') replace(main, await newReferralForm((created) => { say(t('submitted')); location.hash = `#/referral/${created.id}`; }));
    else if (page === 'persons') await renderPersonSearch(main);
    else await renderBox(visibleBoxes().includes(page) ? page : 'inbox');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) { sessionEnded(); return; }
    say(error.message || t('errorGeneric'), 'error');
  }
}

window.addEventListener('hashchange', route);
// Back from the organisation's identity provider: redeem the code first, then show what the session opens.
completeProviderSignIn().then(async (outcome) => {
  if (outcome === true) { await loadMe().catch(() => {}); location.hash = adminOnly() ? '#/users' : '#/mine'; }
  await route();
  if (typeof outcome === 'string') say(outcome, 'error');
});
