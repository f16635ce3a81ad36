import type * as Y from 'yjs';
import { AgentRecord } from '@/lib/protocol';

/**
 * The session's background agents in its Yjs document: `agents`: Y.Map<agentId, JSON of an
 * `AgentRecord>`. Only the server writes it (each record whole, origin `flint:agent`); every
 * browser reads it, so the list is shared and survives a reload like the thread does. A value
 * that does not parse (a client wrote it) is ignored.
 */
export function agentsOf(doc: Y.Doc): Y.Map<string> {
  return doc.getMap<string>('agents');
}

export function readAgent(doc: Y.Doc, id: string): AgentRecord | undefined {
  return parse(agentsOf(doc).get(id));
}

/** Every agent, oldest first (then by attempt). */
export function readAgents(doc: Y.Doc): AgentRecord[] {
  const out: AgentRecord[] = [];
  for (const value of agentsOf(doc).values()) {
    const rec = parse(value);
    if (rec) out.push(rec);
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || a.group.localeCompare(b.group) || a.attempt - b.attempt);
}

export function writeAgent(doc: Y.Doc, record: AgentRecord, origin?: unknown): void {
  doc.transact(() => agentsOf(doc).set(record.id, JSON.stringify(record)), origin);
}

function parse(value: unknown): AgentRecord | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const r = AgentRecord.safeParse(JSON.parse(value));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
