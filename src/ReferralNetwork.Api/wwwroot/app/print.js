// Printing a referral (issue 17 point 6) for a partner who still works on paper: the detail view itself, laid out for A4
// by styles.css (@media print) in the reader's language. What prints is what is on screen, so an identity prints only
// after the reader chose "Show identity" (and that read is in the access log); buttons, forms and notes never print.
import { h } from './dom.js';
import { dictionaries, formatTime, t } from './i18n.js';

export const printButton = () => h('button', { type: 'button', className: 'secondary', id: 'print', onclick: () => window.print() }, t('print'));

/** Who printed it and when: a paper copy says how current it is. */
export const printFooter = (organisation) => h('p', { className: 'print-only help', id: 'printed-at' },
  t('printedAt', { t: formatTime(new Date().toISOString()), o: organisation ?? '' }));

/** What a timeline entry records, in the past tense where the action's button says what to do. */
export const eventName = (action) => t(Object.hasOwn(dictionaries.en, `event.${action}`) ? `event.${action}` : `action.${action}`);

/** The code a timeline entry carries, in words: its outcome, decline reason, missed deadline, review decision or step. */
export function timelineLabel(entry, referral) {
  if (!entry.code) return '';
  const step = (code) => referral.steps?.find((s) => s.code === code)?.title ?? code;
  const [first, rest] = entry.code.split(':');
  const label = {
    complete: () => t(`outcome.${entry.code}`),
    decline: () => t(`decline.${entry.code}`),
    deadline_missed: () => (rest ? `${t(`deadline.${first}`)}: ${step(rest)}` : t(`deadline.${first}`)),
    override_review: () => t(`override.${entry.code}`),
    step_done: () => step(entry.code),
    assign: () => t(`relation.${entry.code}`),
    unassign: () => t(`relation.${entry.code}`),
  }[entry.action];
  return label ? ` (${label()})` : '';
}
