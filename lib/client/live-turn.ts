import { EditStreamParser, resolvePath, type EditEvent } from '@/lib/edits';
import type { IdeStoreApi, LiveBlock } from '@/lib/stores/ide-store';

/** A turn being streamed, parsed here to paint the live diff; whoever in the session started it. */
export interface LiveTurn {
  id: string;
  parser: EditStreamParser;
  /** Text received and not parsed yet: parsed once per animation frame. */
  pending: string;
  nextSeq: number;
  prose: string;
  block: LiveTurnBlock | null;
  closed: number;
  /** This browser sent the prompt: it measures TTFT and rate. */
  own: boolean;
  submittedAt: number;
  /** `ai:prompt` handed to the socket (this browser's own turn). */
  sentAt: number;
  firstArrival: number | null;
  /** The end of the frame that first painted its text. */
  paintedAt: number | null;
  lastArrival: number;
  tokens: number;
  painted: boolean;
}

/** The block streaming now, with its text so far (the store gets only its `LiveBlock` part). */
export type LiveTurnBlock = LiveBlock & { search: string; replace: string };

/** `files`: the workspace's paths now, so a written path resolves as on the server (`./a.ts`, a unique basename). */
export function newLiveTurn(id: string, path: string, files: () => Iterable<string>): LiveTurn {
  return {
    id,
    parser: new EditStreamParser({ defaultPath: path, resolvePath: (written) => resolvePath(written, files()) }),
    pending: '',
    nextSeq: 0,
    prose: '',
    block: null,
    closed: 0,
    own: false,
    submittedAt: performance.now(),
    sentAt: performance.now(),
    firstArrival: null,
    paintedAt: null,
    lastArrival: 0,
    tokens: 0,
    painted: false,
  };
}

/** Parses the text buffered since the last frame into `live`. */
export function parsePending(store: IdeStoreApi, live: LiveTurn) {
  if (!live.pending) return;
  consume(store, live, live.parser.push(live.pending));
  live.pending = '';
}

/** The stream ended: parses what is buffered and closes the parser. */
export function parseEnd(store: IdeStoreApi, live: LiveTurn) {
  parsePending(store, live);
  consume(store, live, live.parser.end());
}

function consume(store: IdeStoreApi, live: LiveTurn, events: EditEvent[]) {
  for (const ev of events) {
    switch (ev.type) {
      case 'text':
        live.prose += ev.text;
        break;
      case 'blockOpen':
        live.block = { index: ev.index, path: ev.path, phase: 'search', placed: null, chars: 0, search: '', replace: '' };
        break;
      case 'searchDelta':
        if (live.block) {
          live.block.search += ev.text;
          live.block.chars += ev.text.length;
        }
        break;
      case 'searchEnd':
        if (live.block) live.block.phase = 'replace';
        break;
      case 'replaceDelta':
        if (live.block) {
          live.block.replace += ev.text;
          live.block.chars += ev.text.length;
        }
        break;
      case 'blockClose':
        live.block = null;
        live.closed++;
        break;
      case 'blockAbort':
        store.getState().updateLive({ dropped: { path: ev.path, chars: ev.partial.search.length + (ev.partial.replace?.length ?? 0) } });
        live.block = null;
        break;
    }
  }
}

/** Tokens per second between the first and the last delta; null before two arrivals. */
export function rate(live: LiveTurn): number | null {
  if (live.firstArrival === null || live.lastArrival <= live.firstArrival) return null;
  return live.tokens / ((live.lastArrival - live.firstArrival) / 1000);
}
