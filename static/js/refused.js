// The changes the server refused, listed on the tablet: what each was (kind, work session
// or incident, when it was made) and the server's reason. Loaded only when there are some
// (static/js/status.js, incident.js), so the field page does not carry it. Refused ops stay
// in IndexedDB ('sent', status 'rejected') until the person drops them from the list here:
// nothing on the tablet hears a supervisor's decision. The server keeps each one on its
// review screen (sync_issue) either way, and answers a resend of it as refused again until
// a supervisor accepts it, so dropping one here loses nothing.
import { done, getAll, transact } from './idb.js';

const EN = document.documentElement.lang === 'en';
const pick = (ja, en) => (EN ? en : ja);

// The server's reasons by code, as its catalog words them: the fallback for a result whose
// message is missing or not in the page's language. [Japanese, English]
const REASONS = {
  my_number: ['個人番号（マイナンバー）と思われる12桁の番号が含まれているため、保存できません。個人番号は入力しないでください。', 'This looks like a My Number (12 digits with a valid check digit), so it was not saved. Never enter a My Number.'],
  too_long: ['文字数が多すぎます（4000文字以内）。', 'This text is too long (at most 4000 characters).'],
  control_chars: ['制御文字が含まれているため、保存できません。', 'This text contains control characters, so it was not saved.'],
  forbidden: ['この操作を行う権限がありません。', 'Your role does not allow this.'],
  actor_unverified: ['この記録は、この端末で別の人がサインインして作成したものです。', 'This change was made by someone else signed in on the device.'],
  actor_unknown: ['この記録を作成した人が登録されていません。', 'The person who made this change is not known.'],
  invalid: ['この記録の値を受け付けられません。形式・範囲・時刻の書き方を確認してください。', 'A value in this change cannot be accepted.'],
  unprocessable: ['サーバーでこの記録を処理できませんでした。責任者が確認できます。', 'The server could not process this change; a supervisor can review it.'],
  time_out_of_range: ['日時が2000年〜2099年の範囲外です。', 'This time is outside the years 2000 to 2099.'],
  type_unknown: ['不明な変更です。', 'Unknown kind of change.'],
  op_id_reused: ['この変更のIDはすでに使われています。', "This change's id was already used."],
  conflict: ['他の人がこの項目を変更しました。再読み込みしてからやり直してください。', 'Someone else changed this field meanwhile. Reload and try again.'],
  required: ['入力してください。', 'This field is required.'],
  uid_invalid: ['記録の識別番号が正しくありません。', 'The incident id is not valid.'],
  uid_taken: ['この記録はすでに登録されています。', 'This incident was already filed.'],
  site_unknown: ['該当する履行場所がありません。', 'No such site.'],
  session_unknown: ['該当する業務がありません。', 'No such work session.'],
  in_future: ['未来の日時は指定できません。', 'The time cannot be in the future.'],
  incident_unknown: ['該当する記録がありません。', 'No such incident.'],
  incident_closed: ['完了した記録は変更できません。', 'A closed incident cannot be changed.'],
  status_backwards: ['状態を前の段階に戻すことはできません。', 'The status cannot go back.'],
  prevention_required: ['重大度が「高」「重大」の記録は、再発防止策を入力しないと完了にできません。', 'A high or critical incident cannot close without recurrence prevention.'],
  delta_invalid: ['件数は-100〜100の範囲で、0以外にしてください。', 'A count must be between -100 and 100 and not zero.'],
  session_not_open: ['件数は開設中の業務でのみ記録できます。', 'Counts can only be recorded while the work session is open.'],
  category_unknown: ['不明な集計項目です。', 'Unknown category.'],
  slot_outside: ['この時間帯は業務の時間外です。', 'This time slot is outside the work session.'],
  below_zero: ['合計を0未満にすることはできません。', 'A total cannot go below zero.'],
  session_closed: ['この業務は終了または確定済みのため、変更できません。', 'This work session is closed or locked and cannot be changed.'],
  already_open: ['この業務はすでに開始しています。', 'This work session is already open.'],
  not_open: ['終了できるのは開設中の業務だけです。', 'Only an open work session can be closed.'],
  in_charge_required: ['開設中の業務には責任者が必要です。', 'An open work session needs a person in charge.'],
  check_unknown: ['この点検項目はこの拠点の点検表にありません。', "This check is not on this site's list."],
  check_taken: ['この点検項目はすでにあります。', 'This check is on the list already.'],
  stock_not_here: ['カードの在庫は常設の窓口でのみ数えます。', 'Card stock is counted only at fixed counters.'],
  not_on_session: ['この業務を開始・終了できるのは、割り当てられた人と管理者（総括管理責任者・業務責任者・副責任者）だけです。', 'Only the people assigned to this work session, or a manager, can start or finish it.'],
  not_planned_day: ['この業務は別の日の予定です。開始できるのは実施日の当日だけです。', 'This work session is planned for another day. It can be started only on its work date.'],
  override_reason_required: ['この業務は別の日の予定です。本日開始する理由を入力してください。', 'This work session is planned for another day. Say why you start it today.'],
  not_closed: ['再開できるのは終了した業務だけです。', 'Only a finished work session can be reopened.'],
  reopen_reason_required: ['業務を再開する理由を入力してください。', 'Say why this work session is reopened.'],
  end_before_start: ['終了時刻は開始時刻より後にしてください。', 'The end must be after the start.'],
  window_invalid: ['終了時刻は開始時刻より後に、業務の時間は16時間以内にしてください。', 'The end must be after the start, at most 16 hours later.'],
  date_mismatch: ['開始時刻は実施日と同じ日にしてください。', 'The start must be on the work date.'],
  staff_unknown: ['該当する従事者がいません。', 'No such person.'],
  device_unknown: ['この端末は登録されていないか、無効にされています。', 'This device is not registered or was revoked.'],
  device_name_invalid: ['端末名は1〜100文字で入力してください。', 'Enter a device name of 1 to 100 characters.'],
  staff_inactive: ['無効になった人は割り当てられません。', 'Deactivated staff cannot be assigned.'],
  not_contractor: ['市職員は業務に配置できません。', 'City staff cannot be assigned to work sessions.'],
  already_assigned: ['この人はすでにこの業務に割り当てられています。', 'This person is already in this work session.'],
  not_a_manager: ['責任者は業務責任者または副責任者でなければなりません。', 'The person in charge must be a business manager or a deputy.'],
  in_charge_taken: ['この業務にはすでに責任者がいます。', 'This work session already has a person in charge.'],
  overlap: ['この人は時間の重なる別の業務に割り当てられています。', 'This person works another session at an overlapping time.'],
  not_assigned: ['この人はこの業務に割り当てられていません。', 'This person is not in this work session.'],
  label_invalid: ['項目名を1〜100文字で入力してください。', 'Enter a label of 1 to 100 characters.'],
  label_taken: ['この集計項目はすでにあります。', 'This category already exists.'],
  name_invalid: ['名称は1〜200文字で入力してください。', 'Enter a name of 1 to 200 characters.'],
  site_fixed: ['契約上の履行場所は使用終了にできません。', 'Fixed sites of the contract cannot be retired.'],
  site_retired: ['この会場はすでに使用終了です。', 'This venue is already retired.'],
  name_taken: ['同じ名前の履行場所・会場（入力した名前）がすでにあります。それを使うか、別の名前にしてください。', 'A site with this name already exists: use it, or choose another name.'],
  day_future: ['業務日誌は本日以前の日付についてのみ表示できます。', 'A journal can only be shown for today or an earlier day.'],
  journal_changed: ['この業務日誌は他の人が更新しました。ページを再読み込みしてからやり直してください。', 'This journal was changed meanwhile. Reload the page and try again.'],
  reason_required: ['提出済みの業務日誌を修正する理由を入力してください。', 'Say why the submitted journal is revised.'],
  comment_required: ['修正してほしい点を入力してください。', 'Say what should be changed.'],
  report_changed: ['この報告書は他の人が更新しました。ページを再読み込みしてからやり直してください。', 'This report was changed meanwhile. Reload the page and try again.'],
  report_reason_required: ['提出済みの報告書を修正する理由を入力してください。', 'Say why the submitted report is revised.'],
  report_not_submitted: ['確認・差し戻しができるのは提出済みの報告書だけです。', 'Only a submitted report can be acknowledged or returned.'],
  summary_required: ['概要を入力してください。', 'Write the summary of what happened.'],
  journal_not_submitted: ['確認・差し戻しができるのは提出済みの業務日誌だけです。', 'Only a submitted journal can be acknowledged or returned.'],
  date_past: ['その日は過ぎています。今日以降の日を選んでください。', 'That day has already passed: plan today or a later day.'],
  site_closed: ['この履行場所はその日は休業日です。特別に開く場合は、管理者が履行場所の開庁カレンダーでその日を開いてください。', "The site is closed on that day. A manager can open the day on the site's calendar."],
  outside_hours: ['開庁時間外です（その日の開庁時間は開庁カレンダーのとおり）。開庁時間内で予定を立ててください。', "The times are outside the site's opening hours that day: plan within them."],
  site_overlap: ['この履行場所には時間の重なる別の業務（同じ日、重なる時間帯）があります。その業務に担当者を追加するか、別の時間を選ぶか、両方とも必要であることを確認してください。', 'Another work session at this site overlaps these times: add staff to it, choose other times, or confirm that both are meant.'],
  no_calendar: ['出張申請会場には開庁カレンダーはありません。予定を立てた日時に開きます。', 'Outreach venues have no opening calendar: they are open when a session is planned.'],
  hours_incomplete: ['開始時刻と終了時刻を両方入力するか、両方とも空にしてください。', 'Enter both the opening and the closing time, or neither.'],
  hours_invalid: ['開庁時間の指定が正しくありません。', 'The opening hours are not valid.'],
  day_unknown: ['この日は開庁カレンダーで個別に設定されていません。', 'This day has no exception on the calendar.'],
  invite_unknown: ['この招待リンクは無効です。', 'This invite link is not valid.'],
  invite_not_pending: ['この招待リンクは、使用済み・取り消し済み・期限切れのいずれかです。', 'This invite link is no longer pending: it was used, revoked or has expired.'],
  role_above: ['自分より上位の役割の人は変更できません。', 'You cannot change someone above your own role.'],
  self: ['自分自身は無効にできません。', 'You cannot deactivate yourself.'],
  staff_active: ['この人はすでに有効です。', 'This person is already active.'],
};
export const REASON_CODES = Object.keys(REASONS);

const FIELDS = {
  category: ['種別', 'Category'],
  severity: ['重大度', 'Severity'],
  status: ['状態', 'Status'],
  description: ['内容（概要・経緯）', 'What happened'],
  immediate_action: ['応急対応', 'Immediate action'],
  reported_to_city_at: ['市への報告日時', 'Reported to the city at'],
  recurrence_prevention: ['再発防止策', 'Recurrence prevention'],
  occurred_at: ['発生日時', 'Occurred at'],
};
const VALUES = {
  status: { open: ['対応中', 'Open'], reported: ['市へ報告済', 'Reported to the city'], resolved: ['解決', 'Resolved'], closed: ['完了', 'Closed'] },
  severity: { low: ['低', 'Low'], medium: ['中', 'Medium'], high: ['高', 'High'], critical: ['重大', 'Critical'] },
};

export const WORDS = {
  refusedEdit: pick('受け付けられなかった変更', 'Change not accepted'),
  show: pick('受け付けられなかった記録を見る', 'Show the changes not accepted'),
  note: pick('「一覧から消す」を押すまで、この端末に残ります。', 'They stay on this tablet until you remove them from this list.'),
  drop: pick('一覧から消す', 'Remove from this list'),
  dropConfirm: pick(
    'この記録をこの端末の一覧から消しますか？この一覧から消しても、責任者の確認画面には残ります。',
    "Remove this change from this tablet's list? It stays on the supervisor's review screen, so nothing is lost.",
  ),
  reloadNote: pick(
    'この事故・トラブルの変更が受け付けられませんでした。入力中の内容を保存してから再読み込みしてください。',
    'A change to this incident was not accepted. Save what you are typing, then reload the page.',
  ),
  reload: pick('再読み込み', 'Reload'),
  reason: pick('理由', 'Reason'),
  made: pick('記録した日時', 'Made at'),
  noReason: pick('理由は届いていません。', 'No reason was given.'),
};
const KINDS = {
  'work_session.open': ['業務の開始', 'Start of a work session'],
  'work_session.close': ['業務の終了', 'Finish of a work session'],
  'incident.create': ['トラブル・事故・苦情の登録', 'Incident filed'],
  'incident.update': ['トラブル・事故・苦情の更新', 'Incident update'],
};

const esc = (value) => String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
const JST = 9 * 3600 * 1000;
// "12/03 10:15" in Japan time.
// A moment as the server's pages write it (server/common/dates.py), in Japan time:
// 2026年12月3日(木) 14:05, or Thu 3 Dec 2026, 14:05.
export function when(iso, en = EN) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t + JST);
  const two = (n) => String(n).padStart(2, '0');
  const clock = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  if (en) {
    const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
    return `${day} ${d.getUTCDate()} ${month} ${d.getUTCFullYear()}, ${clock}`;
  }
  const day = '日月火水木金土'[d.getUTCDay()];
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日(${day}) ${clock}`;
}

// The server's reason in the page's language: its message when it is worded in that
// language (Japanese has characters beyond ASCII), else this list's words for the code.
export function reason(op) {
  const known = REASONS[op.code];
  const message = op.message ?? '';
  const inLanguage = EN ? message && !/[^\x00-\x7f]/.test(message) : /[^\x00-\x7f]/.test(message);
  if (message && (inLanguage || !known)) return message;
  if (known) return pick(...known);
  return op.code ? `${WORDS.noReason} (${op.code})` : WORDS.noReason;
}

export const fieldLabel = (name) => (FIELDS[name] ? pick(...FIELDS[name]) : name);
export const valueLabel = (name, value) => {
  const known = VALUES[name]?.[value];
  if (known) return pick(...known);
  if (value === null || value === undefined || value === '') return '—';
  return name.endsWith('_at') ? when(value) : String(value);
};

// What the op was, in words, and which work session or incident it concerned (as a link).
function describe(op, labels) {
  const p = op.payload ?? {};
  let kind = KINDS[op.type] ? pick(...KINDS[op.type]) : op.type;
  if (op.type === 'headcount.add') {
    const label = labels.get(`${p.work_session_id}|${p.category}`) ?? p.category;
    kind = `${label} ${p.delta > 0 ? '+' : '−'}${Math.abs(p.delta)}`;
  }
  let where = '';
  if (p.uid && op.type.startsWith('incident.')) {
    where = `<a href="/incidents/${encodeURIComponent(p.uid)}">${esc(pick('記録', 'Incident'))} ${esc(String(p.uid).slice(0, 8))}</a>`;
  } else if (Number.isInteger(p.work_session_id)) {
    where = `<a href="/field/sessions/${p.work_session_id}">${esc(pick('業務', 'Work session'))} #${p.work_session_id}</a>`;
  }
  let change = '';
  if (op.type === 'incident.update') {
    change = Object.entries(p).filter(([name]) => name !== 'uid').map(([name, value]) => (
      VALUES[name] || name.endsWith('_at') ? `${fieldLabel(name)} → ${valueLabel(name, value)}` : fieldLabel(name)
    )).join('、');
  }
  return { kind, where, change };
}

// The refused ops this tablet keeps, oldest first.
export const refusedOps = async () => (await getAll('sent'))
  .filter((op) => op.status === 'rejected').sort((a, b) => a.seq - b.seq);

// Headcount category labels from the field pages kept on this tablet.
async function categoryLabels() {
  const labels = new Map();
  for (const snap of await getAll('sessions').catch(() => [])) {
    for (const c of snap.categories ?? []) labels.set(`${snap.session_id}|${c.code}`, c.label);
  }
  return labels;
}

function item(op, labels) {
  const { kind, where, change } = describe(op, labels);
  const field = op.field && FIELDS[op.field] ? `${fieldLabel(op.field)}: ` : '';
  return `<li class="refused-op" data-testid="refused-op" data-seq="${op.seq}">
    <p class="refused-what"><strong data-testid="refused-kind">${esc(kind)}</strong>${where ? ` · ${where}` : ''}${change ? ` · <span>${esc(change)}</span>` : ''}</p>
    <p class="refused-when">${esc(WORDS.made)}: <time datetime="${esc(op.client_time)}" data-testid="refused-time">${esc(when(op.client_time))}</time></p>
    <p class="refused-reason">${esc(WORDS.reason)}: <span data-testid="refused-reason">${esc(field + reason(op))}</span></p>
    <button type="button" class="refused-drop" data-testid="refused-drop" data-seq="${op.seq}">${esc(WORDS.drop)}</button>
  </li>`;
}

// Forgets one refused op on this tablet (never an op of another status: those may still
// count on the field page until a pull includes them).
export const dropRefused = (seq) => transact(['sent'], 'readwrite', async (s) => {
  const op = await done(s.sent.get(seq));
  if (op?.status === 'rejected') await done(s.sent.delete(seq));
});

// The list's 「一覧から消す」: asks first (saying the review screen keeps it), drops the op,
// and tells the page (tablet.js refreshes its count; the incident page redraws its marks).
async function drop(panel, button) {
  // eslint-disable-next-line no-alert
  if (!window.confirm(WORDS.dropConfirm)) return;
  await dropRefused(Number(button.dataset.seq));
  panel.dispatchEvent(new Event('refused-dropped'));
  await showRefused(panel);
}

// Draws the list under the panel's count (kept open if the person opened it); removes it
// when nothing is refused. Calls take turns (two at once would both add a list).
let drawing = Promise.resolve();
export function showRefused(panel) {
  drawing = drawing.then(() => draw(panel)).catch(() => null);
  return drawing;
}

async function draw(panel) {
  const ops = await refusedOps();
  let box = panel.querySelector('.refused');
  const key = ops.map((op) => op.seq).join(',');
  if (!ops.length) {
    box?.remove();
    return;
  }
  if (box?.dataset.seqs === key) return;
  const labels = await categoryLabels();
  if (!box) {
    box = document.createElement('details');
    box.className = 'refused';
    box.dataset.testid = 'refused-list';
    panel.querySelector('.sync-error').after(box);
    box.addEventListener('click', (event) => {
      const button = event.target.closest('.refused-drop');
      if (button) drop(panel, button).catch(() => null);
    });
  }
  box.dataset.seqs = key;
  box.innerHTML = `<summary>${esc(WORDS.show)} (${ops.length})</summary>
  <p class="refused-note">${esc(WORDS.note)}</p>
  <ul class="refused-ops">${ops.map((op) => item(op, labels)).join('')}</ul>`;
}

// An incident page's refused edits, each beside its field (a `dd` after the field's): the
// value it would have set, when, and the server's reason. `labelOf(name, value)` words a
// choice as the page's form does.
export function markEdits(ops, labelOf) {
  document.querySelectorAll('.refused-edit').forEach((mark) => mark.remove());
  for (const op of [...ops].sort((a, b) => a.seq - b.seq)) {
    for (const [name, value] of Object.entries(op.payload)) {
      const cell = document.querySelector(`[data-testid="field-${name}"]`);
      if (!cell) continue;
      const mark = document.createElement('dd');
      mark.className = 'refused-edit';
      mark.dataset.testid = `refused-${name}`;
      const shown = VALUES[name] || name === 'category' ? labelOf(name, value) : valueLabel(name, value);
      mark.textContent = `${WORDS.refusedEdit}: ${shown} (${when(op.client_time)}) — ${reason(op)}`;
      cell.after(mark);
    }
  }
}

// On the incident page, a refusal that came back while the person has unsaved input: the
// server's page is not loaded over it (incident.js); this notice before the form says why
// and offers the reload for after they save.
export function offerReload(form) {
  if (document.querySelector('[data-testid="refused-reload"]')) return;
  const box = document.createElement('div');
  box.className = 'notice panel refused-reload';
  box.dataset.testid = 'refused-reload';
  box.setAttribute('role', 'alert');
  const text = document.createElement('p');
  text.textContent = WORDS.reloadNote;
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.testid = 'reload-page';
  button.textContent = WORDS.reload;
  button.addEventListener('click', () => window.location.reload());
  box.append(text, button);
  form.before(box);
}
