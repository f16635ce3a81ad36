import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamSlots } from './stream-slots';

describe('StreamSlots', () => {
  it('runs up to capacity at once and queues the rest in FIFO order with positions', async () => {
    const slots = new StreamSlots(2);
    const positions: Record<string, number[]> = { c: [], d: [] };
    const order: string[] = [];
    const take = (name: string) =>
      slots.acquire(new AbortController().signal, (p) => positions[name]?.push(p)).then((release) => {
        order.push(name);
        return release;
      });
    const a = await take('a');
    await take('b');
    const c = take('c');
    const d = take('d');
    assert.equal(slots.active, 2);
    assert.equal(slots.queued, 2);
    assert.deepEqual(positions, { c: [1], d: [2] });
    a();
    a(); // idempotent
    await c;
    assert.deepEqual(order, ['a', 'b', 'c']);
    assert.deepEqual(positions.d, [2, 1]);
    assert.equal(slots.active, 2);
    assert.equal(slots.queued, 1);
    void d;
  });

  it('lets a waiter cancel, and moves everyone behind it up', async () => {
    const slots = new StreamSlots(1);
    const release = await slots.acquire(new AbortController().signal, () => {});
    const cancel = new AbortController();
    const seen: number[] = [];
    const first = slots.acquire(cancel.signal, () => {});
    const second = slots.acquire(new AbortController().signal, (p) => seen.push(p));
    cancel.abort(new Error('cancelled'));
    await assert.rejects(first, /cancelled/);
    assert.deepEqual(seen, [2, 1]);
    release();
    const r2 = await second;
    r2();
    assert.equal(slots.active, 0);
    assert.equal(slots.queued, 0);
  });
});
