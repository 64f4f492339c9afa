// My Number guard in the browser: a form whose free-text fields (data-free-text) hold a
// 12-digit number with a valid My Number check digit is not sent (nor queued offline).
import { containsMyNumber, MESSAGE_EN, MESSAGE_JA } from './mynumber.js';

const message = () => (document.documentElement.lang === 'en' ? MESSAGE_EN : MESSAGE_JA);

function offending(form) {
  return [...form.querySelectorAll('[data-free-text]')].find((field) => containsMyNumber(field.value));
}

function refuse(field) {
  field.setCustomValidity(message());
  field.reportValidity();
  field.setAttribute('aria-invalid', 'true');
  const note = field.closest('label, .field')?.querySelector('.field-error')
    ?? field.insertAdjacentElement('afterend', Object.assign(document.createElement('span'), { className: 'field-error' }));
  note.textContent = message();
  note.dataset.testid = 'my-number-error';
  field.addEventListener('input', () => {
    field.setCustomValidity('');
    field.removeAttribute('aria-invalid');
    note.textContent = '';
  }, { once: true });
}

// Capture phase: runs before htmx's own submit handling.
document.addEventListener('submit', (event) => {
  const field = offending(event.target);
  if (field) {
    event.preventDefault();
    event.stopImmediatePropagation();
    refuse(field);
  }
}, true);

document.addEventListener('htmx:confirm', (event) => {
  const form = event.target.closest('form');
  const field = form && offending(form);
  if (field) {
    event.preventDefault();
    refuse(field);
  }
});
