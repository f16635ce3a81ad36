import { ErrorCode } from '@/lib/protocol';
import { namesBlob } from '@/lib/workspace/project-doc';
import { FlintError } from '../errors';
import type { CreationLimiter } from '../auth/creation-limits';
import type { SessionStore } from '../sessions/session-store';
import type { BlobStore } from '../projects/blob-store';
import type { Projects } from '../projects/projects';
import { pushSession } from '../projects/push';
import type { FlintSocket, HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface ProjectsContext {
  sessions: SessionStore;
  projects: Projects;
  blobs: BlobStore;
  sessionCreations: CreationLimiter;
  log: (msg: string, err?: unknown) => void;
}

/**
 * `project:*`: a new session from a zip, a git clone or a template (server/projects/), owned by
 * the sender and counted like `session:create`; progress goes to the sender as
 * `project:progress`. `blob:get`: a binary file's bytes, only when the joined session names them.
 * `project:push`: the session's changes as a branch of its git origin, with the person's token
 * (server/projects/push.ts), which lives only in that request.
 * One import at a time per socket, so one tab cannot hold many clones open.
 */
export function projectsHandlers({ sessions, projects, blobs, sessionCreations, log }: ProjectsContext): HandlerGroup {
  const importing = new WeakSet<FlintSocket>();

  async function run<T>(socket: FlintSocket, work: () => Promise<T>): Promise<T> {
    if (importing.has(socket)) throw new FlintError('busy', 'An import is already running in this tab; wait for it to finish.');
    await sessionCreations.consume(socket.data.identity, socket.handshake.address);
    importing.add(socket);
    try {
      return await work();
    } catch (err) {
      if (err instanceof FlintError) throw err;
      // The import modules throw errors carrying a protocol code (ZipError, ImportLimitError…); their messages are written for the user.
      const code = ErrorCode.safeParse((err as { code?: unknown }).code);
      if (code.success) throw new FlintError(code.data, (err as Error).message);
      log('a project import failed', err);
      throw new FlintError('importInvalid', 'The project could not be imported (the server logged why).');
    } finally {
      importing.delete(socket);
    }
  }

  const progress = (socket: FlintSocket) => (phase: string, loaded: number, total?: number) =>
    socket.emit('project:progress', total === undefined ? { phase, loaded } : { phase, loaded, total });

  return {
    name: 'projects',
    events: {
      'project:import': (socket, { name, zip }) =>
        run(socket, () => projects.fromZip(new Uint8Array(zip.buffer, zip.byteOffset, zip.byteLength), name, socket.data.identity, progress(socket))),
      'project:clone': (socket, { url, ref }) => run(socket, () => projects.fromGit(url, ref, socket.data.identity, progress(socket))),
      'project:template': (socket, { template }) => run(socket, () => projects.fromTemplate(template, socket.data.identity)),
      'project:push': async (socket, req) => {
        const session = joined(sessions, socket);
        if (importing.has(socket)) throw new FlintError('busy', 'A clone or push is already running in this tab.');
        importing.add(socket);
        try {
          return await pushSession(session.doc, req, blobs, projects.limits, `Flint session ${session.id.slice(0, 6)}`);
        } finally {
          importing.delete(socket);
        }
      },
      'blob:get': async (socket, { sha256 }) => {
        const session = joined(sessions, socket);
        if (!namesBlob(session.doc, sha256)) throw new FlintError('blobNotFound');
        const bytes = await blobs.get(sha256);
        if (!bytes) throw new FlintError('blobNotFound', 'That file’s content is missing from storage.');
        return { bytes };
      },
    },
  };
}
