// Shared data for the JS tests: a field page's snapshot as the server's data island holds
// it (server/headcounts/routes.py _field_data), with this device's mark at 5.
export const SLOTS = ['2025-05-01T01:00:00+00:00', '2025-05-01T01:30:00+00:00', '2025-05-01T02:00:00+00:00'];

export function snapshot(changes = {}) {
  return {
    session_id: 7,
    site_id: 1,
    status: 'open',
    actor_id: 3,
    can_write: true,
    slot_minutes: 30,
    slots: [...SLOTS],
    categories: [
      { code: 'issuance_reserved', label: '交付（予約）', confirm: '「交付（予約）」を1減らしますか？' },
      { code: 'pin_reset', label: 'PIN <reset> & "more"', confirm: "Subtract one from 'PIN'?" },
    ],
    cells: [[SLOTS[0], 'issuance_reserved', 2], [SLOTS[1], 'issuance_reserved', 1], [SLOTS[1], 'pin_reset', 4]],
    device_id: 'dev-a',
    high_water: 5,
    rendered_at: '2025-05-01T01:40:00+00:00',
    pull_cursor: 10,
    has_in_charge: true,
    messages: { time_slot: '時間帯', total: '合計', below_zero: '合計を0未満にすることはできません。' },
    ...changes,
  };
}

// An op as the outbox holds it.
export function op(seq, type, payload, changes = {}) {
  return {
    op_id: `op-${seq}`,
    device_id: 'dev-a',
    seq,
    type,
    actor_id: 3,
    client_time: '2025-05-01T01:41:00.000Z',
    base_version: null,
    payload: { work_session_id: 7, ...payload },
    ...changes,
  };
}

export const tap = (seq, category, delta = 1, slot = SLOTS[1], changes = {}) => op(
  seq, 'headcount.add', { slot_start: slot, category, delta }, changes,
);
