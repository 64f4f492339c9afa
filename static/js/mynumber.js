// The My Number guard in the browser: refuse free text holding a My Number (個人番号)
// before anything is queued. Same rule as server/common/mynumber.py; both run
// tests/vectors/mynumber.json. No dependencies, no build step, no eval (strict CSP).
//
// Rule, after NFKC: a separated run is digit groups joined by 1 to 3 separators (spaces,
// hyphens, dashes, minus, dots, slashes, long-vowel marks; mixed kinds allowed). Refused when
// (a) a group of exactly 12 digits, or (b) a streak of exactly three consecutive 4-digit
// groups in a run, holds 12 digits that pass the check digit; a streak of 6, 9, … is that
// many 4-4-4 numbers side by side. So 2026-12-03 0578 3086 2716 and 0578 3086 2716 5 are
// refused; 4-4-4-4 card numbers, 3-3-3-3 (整理券 106 107 108 109), 4-8 and 13 digits are not.

export const MESSAGE_JA =
  '個人番号（マイナンバー）と思われる12桁の番号が含まれているため、保存できません。' +
  '個人番号は入力しないでください。';
export const MESSAGE_EN =
  'This looks like a My Number (12 digits with a valid check digit), so it was not saved. ' +
  'Never enter a My Number.';

// Separators as they look after NFKC (keep in step with SEPARATORS in the Python module):
// space, hyphen, dot, slash, ‐ ‑ ‒ – — ―, ⁃ − ⸺ ⸻, ─ ━, ー ｰ, ideographic space.
const SEPARATORS =
  ' \\-./\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\u2500\u2501\u30fc\uff70\u3000';
// Digit groups joined by 1 to 3 separators: each match is a maximal separated run.
const RUN = new RegExp('[0-9]+(?:[' + SEPARATORS + ']{1,3}[0-9]+)*', 'g');
const GROUP = /[0-9]+/g;
const ELEVEN_DIGITS = /^[0-9]{11}$/;

/**
 * The My Number check digit of the first 11 digits.
 * With P_n the n-th digit from the right and Q_n = n + 1 (n ≤ 6) or n − 5 (n ≥ 7),
 * r = Σ P_n·Q_n mod 11; the check digit is 0 when r ≤ 1, else 11 − r.
 * @param {string} first11 exactly 11 ASCII digits
 * @returns {number} 0 to 9
 */
export function checkDigit(first11) {
  if (typeof first11 !== 'string' || !ELEVEN_DIGITS.test(first11)) {
    throw new RangeError('checkDigit needs exactly 11 ASCII digits');
  }
  let sum = 0;
  for (let n = 1; n <= 11; n += 1) {
    const digit = first11.charCodeAt(11 - n) - 48;
    sum += digit * (n <= 6 ? n + 1 : n - 5);
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

function valid(digits) {
  return checkDigit(digits.slice(0, 11)) === digits.charCodeAt(11) - 48;
}

/**
 * Whether the text holds something that looks like a My Number.
 * @param {string} text any free text, as typed
 * @returns {boolean} true when it must be refused
 */
export function containsMyNumber(text) {
  const normalized = String(text ?? '').normalize('NFKC');
  for (const run of normalized.matchAll(RUN)) {
    const groups = run[0].match(GROUP);
    if (groups.some((group) => group.length === 12 && valid(group))) {
      return true;
    }
    let streak = []; // consecutive 4-digit groups
    for (const group of [...groups, null]) {
      if (group !== null && group.length === 4) {
        streak.push(group);
        continue;
      }
      // 4-4-4, or several side by side; 4-4-4-4 (a card number) is not one.
      if (streak.length % 3 === 0) {
        for (let first = 0; first < streak.length; first += 3) {
          if (valid(streak.slice(first, first + 3).join(''))) {
            return true;
          }
        }
      }
      streak = [];
    }
  }
  return false;
}
