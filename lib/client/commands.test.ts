import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, CommandBus, commandForKey, formatShortcut, matchesShortcut, type KeyLike } from './commands';

const key = (k: Partial<KeyLike>): KeyLike => ({ key: '', code: '', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...k });

describe('command registry', () => {
  it('ids are unique and no two global shortcuts collide', () => {
    assert.equal(new Set(COMMANDS.map((c) => c.id)).size, COMMANDS.length);
    const seen = new Map<string, string>();
    for (const c of COMMANDS) {
      if (c.scope !== 'global' && c.scope !== 'outside-text') continue;
      for (const k of c.keys) {
        assert.ok(!seen.has(k), `${k}: ${seen.get(k)} and ${c.id}`);
        seen.set(k, c.id);
      }
    }
  });

  it('Mod is Ctrl off a Mac and ⌘ on one', () => {
    assert.ok(matchesShortcut(key({ key: 'k', code: 'KeyK', ctrlKey: true }), 'Mod+K', false));
    assert.ok(!matchesShortcut(key({ key: 'k', code: 'KeyK', ctrlKey: true }), 'Mod+K', true));
    assert.ok(matchesShortcut(key({ key: 'k', code: 'KeyK', metaKey: true }), 'Mod+K', true));
    assert.ok(!matchesShortcut(key({ key: 'k', code: 'KeyK', ctrlKey: true, shiftKey: true }), 'Mod+K', false));
  });

  it('matches the palette, the shortcuts key, Alt+letters by physical key, and brackets', () => {
    assert.equal(commandForKey(key({ key: 'P', code: 'KeyP', ctrlKey: true, shiftKey: true }), ['global'], false), 'palette.open');
    assert.equal(commandForKey(key({ key: '?', code: 'Slash', shiftKey: true }), ['outside-text'], false), 'shortcuts.open');
    assert.equal(commandForKey(key({ key: '?', code: 'Slash', shiftKey: true }), ['global'], false), null);
    // Option+S on a Mac types ß: the physical key still matches.
    assert.equal(commandForKey(key({ key: 'ß', code: 'KeyS', altKey: true }), ['global'], true), 'share.open');
    assert.equal(commandForKey(key({ key: '“', code: 'BracketLeft', altKey: true }), ['global'], true), 'hunk.previous');
    assert.equal(commandForKey(key({ key: 'Enter', code: 'Enter', ctrlKey: true }), ['hunk'], false), 'hunk.accept');
    assert.equal(commandForKey(key({ key: 'a', code: 'KeyA' }), ['global', 'outside-text'], false), null);
  });

  it('leaves Ctrl+K to Monaco in the editor (its chords), not Ctrl+Shift+P', () => {
    const ctrlK = key({ key: 'k', code: 'KeyK', ctrlKey: true });
    assert.equal(commandForKey(ctrlK, ['global'], false, false), 'palette.open');
    assert.equal(commandForKey(ctrlK, ['global'], false, true), null);
    assert.equal(commandForKey(key({ key: 'P', code: 'KeyP', ctrlKey: true, shiftKey: true }), ['global'], false, true), 'palette.open');
  });

  it('formats shortcuts per platform', () => {
    assert.equal(formatShortcut('Mod+Shift+P', false), 'Ctrl+Shift+P');
    assert.equal(formatShortcut('Mod+Shift+P', true), '⌘⇧P');
  });

  it('the bus runs what is registered and says when nothing is', () => {
    const bus = new CommandBus();
    let ran = 0;
    assert.equal(bus.run('tests.run'), false);
    const off = bus.on('tests.run', () => ran++);
    assert.ok(bus.available('tests.run'));
    assert.equal(bus.run('tests.run'), true);
    off();
    assert.equal(bus.run('tests.run'), false);
    assert.equal(ran, 1);
  });
});
