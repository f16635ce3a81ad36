import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeltaTicker, TurnOutput, type DeltaOut } from './turn-output';

/** A stream's output with a clock the test moves, and what reached the room and the record. */
function output(ticker: DeltaTicker) {
  const clock = { now: 1000 };
  const sent: DeltaOut[] = [];
  const recorded: string[] = [];
  const out = new TurnOutput(ticker, { record: (t) => recorded.push(t), emit: (d) => sent.push(d) }, () => clock.now);
  return { out, sent, recorded, clock };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] }));
afterEach(() => mock.timers.reset());

test('the first tokens go out at once, as one message of their concatenation', () => {
  const { out, sent, recorded } = output(new DeltaTicker(8));
  for (const t of ['a', 'b', 'c']) out.push(t);
  assert.equal(sent.length, 0, 'nothing before the current read is done');
  mock.timers.tick(0);
  assert.deepEqual(sent, [{ seq: 0, text: 'abc', tokens: 3 }]);
  assert.deepEqual(recorded, ['abc']);
});

test('N tokens within one tick after a message: one message at the tick, order kept', () => {
  const ticker = new DeltaTicker(8);
  const { out, sent, clock } = output(ticker);
  out.push('first');
  mock.timers.tick(0);
  const words = Array.from({ length: 50 }, (_, i) => `w${i} `);
  for (const w of words) {
    clock.now += 0.1;
    out.push(w);
  }
  mock.timers.tick(7);
  assert.equal(sent.length, 1, 'held until the tick');
  mock.timers.tick(1);
  assert.deepEqual(sent[1], { seq: 1, text: words.join(''), tokens: 50 });
  assert.equal(ticker.size, 0);
});

test('one timer serves every stream: each waiting stream sends one message per tick', () => {
  const ticker = new DeltaTicker(8);
  const streams = Array.from({ length: 200 }, () => output(ticker));
  for (const s of streams) s.out.push('x');
  mock.timers.tick(0);
  for (const s of streams) {
    s.out.push('y');
    s.out.push('z');
  }
  assert.equal(ticker.size, 200);
  mock.timers.tick(8);
  for (const s of streams) assert.deepEqual(s.sent.map((d) => d.text), ['x', 'yz']);
  assert.equal(ticker.size, 0);
});

test('after a quiet spell of a tick or more, text goes out at once again', () => {
  const { out, sent, clock } = output(new DeltaTicker(8));
  out.push('a');
  mock.timers.tick(0);
  clock.now += 8;
  out.push('b');
  mock.timers.tick(0);
  assert.deepEqual(sent.map((d) => d.text), ['a', 'b']);
});

test('flush() sends what waits now (before ai:end), and the tick then sends nothing more', () => {
  const ticker = new DeltaTicker(8);
  const { out, sent } = output(ticker);
  out.push('a');
  mock.timers.tick(0);
  out.push('b');
  out.push('c');
  out.flush();
  assert.deepEqual(sent.map((d) => [d.seq, d.text]), [[0, 'a'], [1, 'bc']]);
  mock.timers.tick(20);
  assert.equal(sent.length, 2);
  assert.equal(ticker.size, 0);
});

test('drop() (an interrupt): what waits is recorded, nothing more is emitted, ever', () => {
  const ticker = new DeltaTicker(8);
  const { out, sent, recorded } = output(ticker);
  out.push('a');
  mock.timers.tick(0);
  out.push('b');
  out.drop();
  out.push('c');
  out.flush();
  mock.timers.tick(20);
  assert.deepEqual(sent.map((d) => d.text), ['a']);
  assert.deepEqual(recorded, ['a', 'b']);
  assert.equal(ticker.size, 0);
});

test('tick 0: once per upstream read', () => {
  const { out, sent, clock } = output(new DeltaTicker(0));
  out.push('a');
  out.push('b');
  mock.timers.tick(0);
  out.push('c');
  mock.timers.tick(0);
  clock.now += 0;
  assert.deepEqual(sent.map((d) => d.text), ['ab', 'c']);
});

test('a bad tick is a RangeError', () => {
  assert.throws(() => new DeltaTicker(-1), RangeError);
  assert.throws(() => new DeltaTicker(Number.NaN), RangeError);
});
