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

/** The file's text; undefined when there is no such file (or what is stored under the path is not a Y.Text). */
export function readFile(doc: Y.Doc, path: string): string | undefined {
  const text: unknown = filesOf(doc).get(path);
  return text instanceof Y.Text ? text.toString() : undefined;
}

export function seedFiles(doc: Y.Doc, files: Record<string, string>): void {
  doc.transact(() => {
    for (const [path, content] of Object.entries(files)) filesOf(doc).set(path, new Y.Text(content));
  });
}

/**
 * `s` with every lone surrogate replaced by U+FFFD, as encoding it to UTF-8 would. Text that
 * enters a document from JSON (a file created with content, a model's answer) must be well
 * formed before it goes into a Y.Text: Yjs encodes a lone surrogate as U+FFFD, so the sender's
 * copy would differ from everyone else's, and when an item is split right after a high
 * surrogate Yjs replaces that character and the next one with U+FFFD in that copy only.
 */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
