// People (issue 16): the organisation admin's list of its users — invite, deactivate, reset — and a person's activation,
// which sets the password and enrols the second factor with a QR code drawn by the API (no external service sees it).
import { call, get, query } from './api.js';
import { field, h, replace, showErrors } from './dom.js';
import { dictionaries, formatTime, t } from './i18n.js';

Object.assign(dictionaries.en, {
  people: 'People', peopleHelp: 'The people of your organisation. An invitation gives a one-time activation secret: hand it over in person or by phone, never by e-mail.',
  invite: 'Invite a person', displayName: 'Name', email: 'E-mail (optional)', roles: 'Roles', inviteButton: 'Invite',
  activationSecretOnce: 'Activation secret for {u} — shown only now, valid until {t}:', copied: 'Copied.', copy: 'Copy',
  deactivate: 'Deactivate', reactivate: 'Reactivate', reset: 'Reset sign-in', resetConfirm: 'Reset {u}? Their password and second factor are cleared and every session ends.',
  deactivated: '{u} is deactivated: their sessions have ended.', reactivated: '{u} may sign in again.',
  active: 'active', inactive: 'deactivated', notActivated: 'not activated yet', secondFactorOn: 'second factor', lockedUntil: 'locked until {t}',
  noUsers: 'No people yet.', userState: 'State',
  activate: 'Activate your account', activateHelp: 'Enter the username and the activation secret your organisation admin gave you, and choose a password of at least 12 characters.',
  activationSecret: 'Activation secret', newPassword: 'New password', activateButton: 'Activate',
  activated: 'Your account is active. Sign in with your username and password.',
  enrol: 'Set up your second factor', enrolHelp: 'Scan this code with your authenticator app (or type the secret below), then sign in with the 6-digit code it shows.',
  totpSecretLabel: 'Secret', qrAlt: 'QR code for your authenticator app', toSignIn: 'Go to sign-in', activationFailed: 'The username or activation secret is wrong, or the secret has expired.',
});
Object.assign(dictionaries.sr, {
  people: 'Ljudi', peopleHelp: 'Ljudi vaše organizacije. Poziv daje jednokratnu aktivacionu šifru: predajte je lično ili telefonom, nikad e-poštom.',
  invite: 'Pozovi osobu', displayName: 'Ime', email: 'E-pošta (nije obavezna)', roles: 'Uloge', inviteButton: 'Pozovi',
  activationSecretOnce: 'Aktivaciona šifra za {u} — prikazuje se samo sada, važi do {t}:', copied: 'Kopirano.', copy: 'Kopiraj',
  deactivate: 'Deaktiviraj', reactivate: 'Ponovo aktiviraj', reset: 'Poništi prijavu', resetConfirm: 'Poništiti prijavu za {u}? Lozinka i drugi faktor se brišu, a sve sesije završavaju.',
  deactivated: '{u} je deaktiviran/a: sesije su završene.', reactivated: '{u} ponovo može da se prijavi.',
  active: 'aktivan', inactive: 'deaktiviran', notActivated: 'još nije aktiviran', secondFactorOn: 'drugi faktor', lockedUntil: 'zaključan do {t}',
  noUsers: 'Još nema ljudi.', userState: 'Stanje',
  activate: 'Aktivirajte nalog', activateHelp: 'Unesite korisničko ime i aktivacionu šifru koju vam je dao administrator organizacije i izaberite lozinku od najmanje 12 znakova.',
  activationSecret: 'Aktivaciona šifra', newPassword: 'Nova lozinka', activateButton: 'Aktiviraj',
  activated: 'Nalog je aktivan. Prijavite se korisničkim imenom i lozinkom.',
  enrol: 'Podesite drugi faktor', enrolHelp: 'Skenirajte ovaj kod aplikacijom za autentifikaciju (ili unesite šifru ispod), pa se prijavite šestocifrenim kodom koji prikazuje.',
  totpSecretLabel: 'Šifra', qrAlt: 'QR kod za aplikaciju za autentifikaciju', toSignIn: 'Na prijavu', activationFailed: 'Korisničko ime ili aktivaciona šifra nisu ispravni, ili je šifra istekla.',
});

const roleCodes = (me) => ['caseworker', 'supervisor', 'org_admin', ...(me.organisation.kind === 'network_coordinator' ? ['auditor'] : [])];

/** The one-time secret of an invitation or a reset, with a copy button. */
function secretBox(user) {
  const value = h('code', { className: 'secret', id: 'activation-secret' }, user.activationSecret);
  return h('div', { className: 'notice', role: 'alert', id: 'secret-box' },
    h('p', {}, t('activationSecretOnce', { u: user.username, t: formatTime(user.activationExpiresAt) })), value, ' ',
    h('button', { type: 'button', className: 'link', onclick: async () => {
      try { await navigator.clipboard.writeText(user.activationSecret); value.after(` ${t('copied')}`); } catch { /* select it by hand */ }
    } }, t('copy')));
}

/** The organisation admin's people: the list, and an invitation form; each row can be deactivated or reset. */
export async function renderUsers(main, me, say) {
  const organisationId = me.organisation.id;
  const notice = h('div', { id: 'user-notice' });
  const rows = h('tbody', { id: 'user-rows' });
  const more = h('button', { type: 'button', className: 'secondary', hidden: true }, t('loadMore'));
  const username = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, maxlength: 100 });
  const displayName = h('input', { type: 'text', autocomplete: 'off', required: true, maxlength: 200 });
  const email = h('input', { type: 'email', autocomplete: 'off', maxlength: 254 });
  const roles = roleCodes(me).map((code) => h('label', {}, h('input', { type: 'checkbox', value: code, name: 'roles', checked: code === 'caseworker' }), t(`role.${code}`)));
  const form = h('form', { className: 'card stack', id: 'invite-user', 'aria-labelledby': 'invite-title' },
    h('h3', { id: 'invite-title' }, t('invite')),
    field(t('username'), username, 'username'), field(t('displayName'), displayName, 'displayName'), field(t('email'), email, 'email'),
    h('fieldset', { className: 'checks' }, h('legend', {}, t('roles')), roles, h('span', { className: 'field-error', 'data-error-for': 'roles' })),
    h('button', { type: 'submit', className: 'primary' }, t('inviteButton')));

  const row = (user) => {
    const state = [user.active ? t('active') : t('inactive'), user.activated ? null : t('notActivated'), user.secondFactor ? t('secondFactorOn') : null,
      user.lockedUntil && new Date(user.lockedUntil) > new Date() ? t('lockedUntil', { t: formatTime(user.lockedUntil) }) : null].filter(Boolean).join(' · ');
    const self = user.id === me.principalId;
    const toggle = h('button', { type: 'button', className: user.active ? 'danger' : 'secondary', 'data-user-action': user.active ? 'deactivate' : 'reactivate', disabled: self,
      onclick: async () => {
        try {
          await call('PATCH', `/organisations/${organisationId}/users/${user.id}`, { body: { active: !user.active } });
          say(t(user.active ? 'deactivated' : 'reactivated', { u: user.username }));
          await load(true);
        } catch (error) { say(error.message, 'error'); }
      } }, user.active ? t('deactivate') : t('reactivate'));
    const reset = h('button', { type: 'button', className: 'secondary', 'data-user-action': 'reset', disabled: self, onclick: async () => {
      if (!window.confirm(t('resetConfirm', { u: user.username }))) return;
      try {
        const { body } = await call('POST', `/organisations/${organisationId}/users/${user.id}/reset`);
        replace(notice, secretBox(body));
        await load(true);
      } catch (error) { say(error.message, 'error'); }
    } }, t('reset'));
    return h('tr', { 'data-username': user.username, 'data-active': String(user.active) },
      h('td', {}, h('strong', {}, user.displayName), h('div', { className: 'muted' }, user.username)),
      h('td', {}, user.roles.map((r) => t(`role.${r}`)).join(', ')),
      h('td', { className: 'user-state' }, state),
      h('td', {}, h('div', { className: 'buttons' }, toggle, reset)));
  };

  let cursor = null;
  const load = async (first) => {
    if (first) cursor = null;
    const page = await get(`/organisations/${organisationId}/users${query({ cursor, limit: 50 })}`);
    if (first) rows.replaceChildren();
    if (first && page.items.length === 0) rows.append(h('tr', {}, h('td', { colspan: 4, className: 'muted' }, t('noUsers'))));
    for (const user of page.items) rows.append(row(user));
    cursor = page.nextCursor;
    more.hidden = !cursor;
  };
  more.onclick = () => load(false);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showErrors(form, null);
    try {
      const { body } = await call('POST', `/organisations/${organisationId}/users`, { body: {
        username: username.value.trim(), displayName: displayName.value.trim(), email: email.value.trim() || undefined,
        roles: [...form.querySelectorAll('input[name="roles"]:checked')].map((c) => c.value),
      } });
      replace(notice, secretBox(body));
      form.reset();
      await load(true);
      notice.scrollIntoView?.({ block: 'nearest' });
    } catch (error) {
      const rest = showErrors(form, error.problem);
      say([error.message, ...rest].join(' '), 'error');
    }
  });

  replace(main,
    h('h2', {}, t('people')), h('p', { className: 'help' }, t('peopleHelp')), notice,
    h('section', { className: 'card' }, h('table', { className: 'users', id: 'users' },
      h('thead', {}, h('tr', {}, h('th', {}, t('displayName')), h('th', {}, t('roles')), h('th', {}, t('userState')), h('th', {}, t('actions')))), rows), more),
    form);
  await load(true);
}

/** A person's first step: the activation secret and a password; where a second factor is due, its QR code and secret. */
export function activationForm(say) {
  const username = h('input', { type: 'text', autocomplete: 'username', spellcheck: 'false', required: true });
  const secret = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const form = h('form', { className: 'card narrow', id: 'activate' },
    h('h2', {}, t('activate')), h('p', { className: 'help' }, t('activateHelp')),
    field(t('username'), username, 'username'), field(t('activationSecret'), secret, 'activationSecret'), field(t('newPassword'), password, 'password'),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', className: 'primary' }, t('activateButton')),
      h('a', { href: '#/', className: 'button secondary' }, t('toSignIn'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showErrors(form, null);
    try {
      const { body } = await call('POST', '/session/activation', { body: { username: username.value.trim(), activationSecret: secret.value.trim(), password: password.value } });
      if (!body.totpSecret) {
        replace(form, h('h2', {}, t('activate')), h('p', { className: 'notice', id: 'activated' }, t('activated')), h('a', { href: '#/', className: 'button primary' }, t('toSignIn')));
        return;
      }
      // The SVG comes from the API, drawn there from the otpauth URI; shown as an image, so it can carry no script.
      const image = h('img', { id: 'totp-qr', alt: t('qrAlt'), width: 256, height: 256,
        src: `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(body.qrCodeSvg)))}` });
      replace(form, h('h2', {}, t('enrol')), h('p', { className: 'help' }, t('enrolHelp')), h('p', { className: 'qr' }, image),
        h('p', {}, `${t('totpSecretLabel')}: `, h('code', { id: 'totp-secret', className: 'secret' }, body.totpSecret.replace(/(.{4})/g, '$1 ').trim())),
        h('p', {}, h('a', { href: body.otpauthUri, id: 'otpauth-link' }, body.otpauthUri.split('?')[0])),
        h('a', { href: '#/', className: 'button primary', id: 'to-sign-in' }, t('toSignIn')));
    } catch (error) {
      const rest = showErrors(form, error.problem);
      say(error.status === 401 ? t('activationFailed') : [error.message, ...rest].join(' '), 'error');
    }
  });
  return form;
}
