// Counter taps from the moment the buttons are on screen. The page's modules (field.js and
// what it imports) run only once the document and all of them are loaded; a tap before
// that would reach no handler and be lost. This classic script runs first, in the head,
// and keeps such taps in order until field.js answers them (and every later one).
// field.js imports it itself on a page kept offline from before it was in the head.
(() => {
  const kept = [];
  let answer = null;
  document.addEventListener('click', (event) => {
    const button = event.target.closest?.('#counters button.tap, #counters button.minus');
    if (!button) return;
    // Taps are sent by field.js, one after another, not by htmx (which would drop one
    // made while another is in flight).
    event.preventDefault();
    event.stopImmediatePropagation();
    const question = button.getAttribute('hx-confirm');
    // eslint-disable-next-line no-alert
    if (question && !window.confirm(question)) return;
    if (answer) answer(button);
    else kept.push(button);
  }, true);
  // Called once by field.js with what a tap does; the taps kept so far go first.
  window.madoguchiTaps = (handler) => {
    answer = handler;
    for (const button of kept.splice(0)) handler(button);
  };
})();
