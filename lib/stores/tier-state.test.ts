import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createIdeStore, selectTierState } from './ide-store';

describe('provider-status text', () => {
  it('shows the selected tier’s server state when no stream runs, the stream’s state while one does', () => {
    const store = createIdeStore();
    store.getState().setConnection('ready');
    assert.equal(selectTierState(store.getState()), 'ready');
    store.getState().setTierStatus('instant', { state: 'downloading', progress: { bytes: 42, totalBytes: 100, percent: 42, etaSeconds: 3 } });
    assert.equal(selectTierState(store.getState()), 'downloading 42%');
    store.getState().setTierStatus('deep', { state: 'unavailable', reason: 'offline' });
    assert.equal(selectTierState(store.getState()), 'downloading 42%'); // instant is selected
    store.getState().setMode('deep');
    assert.equal(selectTierState(store.getState()), 'unavailable');
    store.getState().updateStream({ status: 'queued', capacityRetryMs: 1000 });
    assert.equal(selectTierState(store.getState()), 'waiting for capacity');
  });
});
