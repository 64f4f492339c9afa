// Free-text guard in the browser: a form whose free-text fields (data-free-text) hold a
// 12-digit number with a valid My Number check digit is not sent (nor queued offline); nor
// is one whose required free text is only blanks (the browser's `required` lets those
// through; the server refuses them, in the words of the form's data-msg-required).
import { containsMyNumber, MESSAGE_EN, MESSAGE_JA } from './mynumber.js';

const message = () => (document.documentElement.lang === 'en' ? MESSAGE_EN : MESSAGE_JA);

// The first field the server would refuse, with its words and the note's test id.
function offending(form) {
  const fields = [...form.querySelectorAll('[data-free-text]')];
  const number = fields.find((field) => containsMyNumber(field.value));
  if (number) return [number, message(), 'my-number-error'];
  const blank = form.dataset.msgRequired && fields.find((field) => field.required && !field.value.trim());
  return blank ? [blank, form.dataset.msgRequired, 'required-error'] : null;
}

function refuse([field, words, testid]) {
  field.setCustomValidity(words);
  field.reportValidity();
  field.setAttribute('aria-invalid', 'true');
  const note = field.closest('label, .field')?.querySelector('.field-error')
    ?? field.insertAdjacentElement('afterend', Object.assign(document.createElement('span'), { className: 'field-error' }));
  note.textContent = words;
  note.dataset.testid = testid;
  field.addEventListener('input', () => {
    field.setCustomValidity('');
    field.removeAttribute('aria-invalid');
    note.textContent = '';
  }, { once: true });
}

// Capture phase: runs before htmx's own submit handling.
document.addEventListener('submit', (event) => {
  const found = offending(event.target);
  if (found) {
    event.preventDefault();
    event.stopImmediatePropagation();
    refuse(found);
  }
}, true);

document.addEventListener('htmx:confirm', (event) => {
  const form = event.target.closest('form');
  const found = form && offending(form);
  if (found) {
    event.preventDefault();
    refuse(found);
  }
});
