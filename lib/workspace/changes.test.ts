import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { filesOf } from '@/lib/collab/workspace-doc';
import { ChangeTracker, type Change } from './changes';
import { binariesOf, seedProject } from './project-doc';

function tracked() {
  const doc = new Y.Doc();
  seedProject(doc, [{ path: 'a.ts', text: 'one\n' }, { path: 'b.ts', text: 'two\n' }, { path: 'img.png', binary: { sha256: 'f'.repeat(64), size: 3 } }], { name: 'p', source: 'zip' });
  const seen: Change[][] = [];
  let wake: (() => void) | null = null;
  const tracker = new ChangeTracker(doc, (c) => (seen.push(c), wake?.()), 0);
  const next = () => new Promise<Change[]>((resolve) => (wake = () => ((wake = null), resolve(seen.at(-1)!))));
  return { doc, tracker, seen, next };
}
const flat = (c: Change[]) => c.map((x) => `${x.change} ${x.path}`);

describe('ChangeTracker (the changes panel)', () => {
  it('starts with no changes, follows edits of the touched files, and reverting one clears it', async () => {
    const { doc, tracker, seen, next } = tracked();
    assert.deepEqual(seen[0], []);
    let got = next();
    filesOf(doc).get('a.ts')!.insert(0, 'zero\n');
    assert.deepEqual(flat(await got), ['modified a.ts']);
    got = next();
    filesOf(doc).get('a.ts')!.delete(0, 5);
    assert.deepEqual(flat(await got), []);
    got = next();
    doc.transact(() => {
      filesOf(doc).delete('b.ts');
      filesOf(doc).set('c.ts', new Y.Text('three\n'));
    });
    assert.deepEqual(flat(await got), ['deleted b.ts', 'added c.ts']);
    got = next();
    binariesOf(doc).delete('img.png');
    assert.deepEqual(flat(await got), ['deleted b.ts', 'added c.ts', 'deleted img.png']);
    tracker.stop();
  });
});
