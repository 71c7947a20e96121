import { call, download, idempotencyKey, upload } from './api.js';
import { field, h, onSubmitOnce } from './dom.js';
import { formatTime, t } from './i18n.js';

// A referral's documents (issue 17): consent scans, medical letters, asylum papers. The referrer and the receiver see and
// add them; an observer does not (the API refuses it, so the section is not shown). PDF, JPEG and PNG only, judged by
// the server from the bytes; each download is recorded in the person's access log, so the list says so.

const size = (bytes) => (bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1048576).toFixed(1)} MB`);

function item(referral, document, say) {
  if (document.erased) return h('li', {}, h('span', { className: 'muted' }, `${t('documentErased')} · ${formatTime(document.createdAt)}`));
  const get = h('button', { type: 'button', className: 'link', 'data-attachment': document.id }, t('download'));
  get.addEventListener('click', async () => {
    try {
      await download(`/referrals/${referral.id}/attachments/${document.id}`, document.fileName);
    } catch (error) {
      say(error.message, 'error');
    }
  });
  return h('li', { className: 'document' }, h('strong', {}, document.fileName), ' ',
    h('span', { className: 'muted' }, `${document.contentType} · ${size(document.size)} · ${formatTime(document.createdAt)}`), ' ', get);
}

/** The documents card of a referral, for its referrer and receiver; null for anyone else. */
export async function documentsSection(referral, say, reload) {
  if (referral.relation !== 'referrer' && referral.relation !== 'receiver') return null;
  let documents = [];
  try { documents = (await call('GET', `/referrals/${referral.id}/attachments`)).body.items; } catch { documents = []; }
  const list = documents.length === 0
    ? h('p', { className: 'muted', id: 'documents-empty' }, t('noDocuments'))
    : h('ul', { className: 'documents', id: 'documents' }, documents.map((d) => item(referral, d, say)));
  const file = h('input', { type: 'file', accept: '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png', required: true });
  const form = h('form', { className: 'stack', id: 'attach-form' }, field(t('attachDocument'), file, 'file'),
    h('p', { className: 'muted' }, t('attachHelp')), h('button', { type: 'submit', className: 'secondary' }, t('attach')));
  const key = idempotencyKey();
  onSubmitOnce(form, async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    try {
      await upload(`/referrals/${referral.id}/attachments`, chosen, key);
      await reload(t('documentAdded'));
    } catch (error) {
      say(error.message, 'error');
    }
  });
  return h('section', { className: 'card no-print', 'aria-labelledby': 'documents-title' },
    h('h3', { id: 'documents-title' }, t('documents')), h('p', { className: 'muted' }, t('downloadLogged')), list, form);
}
