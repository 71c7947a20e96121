// Finding a person (issue 17): GET /persons?q= over the persons the caller's organisation may see — by name in either
// script, phone or external reference. The API logs every identity it returns, so the page asks only when the worker
// presses "Find", never while typing.
import { get, query } from './api.js';
import { field, h, replace } from './dom.js';
import { t } from './i18n.js';
import { referExisting } from './new-referral.js';
import { summaryLine } from './person-matches.js';

export async function renderPersonSearch(main) {
  const q = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: 100, required: true });
  const results = h('ul', { className: 'referrals', id: 'person-results', 'aria-live': 'polite' });
  const form = h('form', { className: 'card stack', id: 'person-search', role: 'search' },
    h('h2', {}, t('findPerson')), h('p', { className: 'help' }, t('findPersonHelp')),
    field(t('findPerson'), q, 'q'), h('button', { type: 'submit', className: 'primary' }, t('find')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!q.value.trim()) return;
    const page = await get(`/persons${query({ q: q.value.trim(), limit: 25 })}`);
    replace(results, page.items.length === 0 ? h('li', { className: 'muted' }, t('noPersons')) : page.items.map((person) => h('li', {
      className: 'referral person', 'data-person-id': person.id,
    }, h('div', { className: 'row-link' },
      h('strong', { className: 'identity' }, person.identity ? `${person.identity.givenName} ${person.identity.familyName}` : t('erased')),
      h('span', {}, summaryLine(person)),
      person.erased ? null : h('button', { type: 'button', className: 'secondary refer-person', onclick: () => { referExisting(person); location.hash = '#/new'; } },
        t('referPerson'))))));
  });
  replace(main, form, results);
  q.focus();
}
