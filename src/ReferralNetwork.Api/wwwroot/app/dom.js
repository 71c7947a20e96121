// Builds elements from data. Text always goes in as text, never as HTML, so nothing a partner sends can run here.
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'className') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** A labelled form control with a place for its field error (problem+json `errors`). */
export function field(label, control, name) {
  const id = control.id || nextId('f');
  control.id = id;
  if (name) control.name = name;
  const error = h('span', { className: 'field-error', id: `${id}-error`, 'data-error-for': name ?? '' });
  control.setAttribute('aria-describedby', error.id);
  return h('div', { className: 'field' }, h('label', { for: id }, label), control, error);
}

export function select(options, { value, name, required, placeholder } = {}) {
  const element = h('select', { name, required });
  if (placeholder !== undefined) element.append(h('option', { value: '' }, placeholder));
  for (const [optionValue, text] of options) {
    element.append(h('option', { value: optionValue, selected: optionValue === value }, text));
  }
  return element;
}

/** Puts each field error beside its control; returns the messages that had no control. */
/**
 * Submits a form once at a time: while the handler runs its submit buttons are disabled and the form is aria-busy, and a
 * further submit (a double click, Enter pressed twice) is ignored.
 */
export function onSubmitOnce(form, handler) {
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const buttons = [...form.querySelectorAll('button[type=submit]')];
    for (const button of buttons) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await handler(event);
    } finally {
      busy = false;
      for (const button of buttons) button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

export function showErrors(form, problem) {
  for (const span of form.querySelectorAll('.field-error')) span.textContent = '';
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  const unplaced = [];
  for (const [name, messages] of Object.entries(problem?.errors ?? {})) {
    const span = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (span) {
      span.textContent = messages.join(' ');
      form.querySelector(`[name="${CSS.escape(name)}"]`)?.setAttribute('aria-invalid', 'true');
    } else {
      unplaced.push(`${name}: ${messages.join(' ')}`);
    }
  }
  return unplaced;
}
