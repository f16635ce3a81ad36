import * as Y from 'yjs';

/**
 * The shape of a session's Yjs document, shared by server and browser:
 * `files`: Y.Map<path, Y.Text>. A rename moves the text to a new key in one transaction.
 */
export function filesOf(doc: Y.Doc): Y.Map<Y.Text> {
  return doc.getMap<Y.Text>('files');
}

export function listFiles(doc: Y.Doc): string[] {
  return [...filesOf(doc).keys()].sort();
}

export function readFile(doc: Y.Doc, path: string): string | undefined {
  return filesOf(doc).get(path)?.toString();
}

export function seedFiles(doc: Y.Doc, files: Record<string, string>): void {
  doc.transact(() => {
    for (const [path, content] of Object.entries(files)) filesOf(doc).set(path, new Y.Text(content));
  });
}
