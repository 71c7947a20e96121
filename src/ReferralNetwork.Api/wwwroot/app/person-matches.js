// Issue 17: before a person is created, the persons already on record who look like them (POST /persons/matches, over what
// the caller's organisation may see). The worker reuses one — the referral then carries personId and no new record is
// made — or goes on with a new person. Matches show initials and birth year only; no identity is read.
import { call } from './api.js';
import { h, replace } from './dom.js';
import { t } from './i18n.js';

const wait = 400; // ms of quiet typing before the server is asked

/** A person's summary in one line: what lists show, never a name. */
export const summaryLine = (person) => [person.erased ? t('erased') : person.initials ?? '—', person.birthYear, person.nationality,
  t(`legal.${person.legalStatus}`)].filter(Boolean).join(' · ');

/**
 * Watches the name fields (and birth year, nationality, phone) and lists the likely matches in `panel`; `onChoose` gets
 * the chosen match's person summary.
 */
export function watchMatches({ givenName, familyName, birthYear, nationality, phone }, panel, onChoose) {
  let timer = null;
  let asked = 0;
  const ask = async () => {
    const mine = ++asked;
    if (!givenName.value.trim() || !familyName.value.trim()) { replace(panel); return; }
    const year = Number(birthYear.value);
    const body = {
      givenName: givenName.value.trim(), familyName: familyName.value.trim(),
      birthYear: year >= 1900 && year <= new Date().getFullYear() ? year : undefined,
      nationality: /^[A-Za-z]{2}$/.test(nationality.value.trim()) ? nationality.value.trim().toUpperCase() : undefined,
      phone: phone.value.trim() || undefined,
    };
    let items = [];
    try { items = (await call('POST', '/persons/matches', { body })).body.items; } catch { items = []; }
    if (mine !== asked) return; // a newer keystroke asked again meanwhile
    replace(panel, items.length === 0 ? h('p', { className: 'muted', id: 'no-matches' }, t('noMatches')) : [
      h('h3', {}, t('matches')),
      h('ul', { className: 'plain matches', id: 'matches' }, items.map((match) => h('li', { className: 'match', 'data-person-id': match.personId },
        h('strong', {}, summaryLine(match.person)), ' ',
        h('span', { className: 'badge' }, t('matchScore', { n: Math.round(match.score * 100) })), ' ',
        h('span', { className: 'muted' }, match.reasons.map((r) => t(`match.${r}`)).join(', ')), ' ',
        h('button', { type: 'button', className: 'secondary use-person', onclick: () => onChoose(match.person) }, t('usePerson'))))),
    ]);
  };
  for (const input of [givenName, familyName, birthYear, nationality, phone]) {
    input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(ask, wait); });
  }
}
