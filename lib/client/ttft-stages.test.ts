import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TTFT_STAGES, ttftStages, ttftTotal } from './ttft-stages';

const client = { submittedAt: 100, sentAt: 100.5, firstArrivalAt: 110.5, paintedAt: 118 };
const server = { contextMs: 0.4, requestMs: 0.9, firstByteMs: 3.9, firstTokenMs: 4.4 };

test('one row per stage, in order, summing to submit → painted', () => {
  const rows = ttftStages(client, server);
  assert.deepEqual(rows.map((r) => r.stage), [...TTFT_STAGES]);
  const by = Object.fromEntries(rows.map((r) => [r.stage, r.ms]));
  assert.equal(by.send, 0.5);
  assert.equal(by.context, 0.4);
  assert.ok(Math.abs(by.request! - 0.5) < 1e-9);
  assert.ok(Math.abs(by.firstByte! - 3) < 1e-9);
  assert.ok(Math.abs(by.firstToken! - 0.5) < 1e-9);
  assert.ok(Math.abs(by.received! - (10 - 4.4)) < 1e-9, 'network both ways + the browser handler wait');
  assert.equal(by.painted, 7.5);
  const sum = rows.reduce((n, r) => n + r.ms!, 0);
  assert.ok(Math.abs(sum - ttftTotal(client)!) < 1e-9);
});

test('without the server stages: its rows are null, "received" is send → first delta', () => {
  const by = Object.fromEntries(ttftStages(client, undefined).map((r) => [r.stage, r.ms]));
  assert.equal(by.context, null);
  assert.equal(by.firstToken, null);
  assert.equal(by.received, 10);
});

test('a stage the server never reached (no first token) is null, not a negative number', () => {
  const by = Object.fromEntries(ttftStages({ ...client, firstArrivalAt: null, paintedAt: null }, { ...server, firstByteMs: null, firstTokenMs: null }).map((r) => [r.stage, r.ms]));
  assert.equal(by.firstByte, null);
  assert.equal(by.firstToken, null);
  assert.equal(by.received, null);
  assert.equal(by.painted, null);
  assert.equal(ttftTotal({ ...client, paintedAt: null }), null);
});
