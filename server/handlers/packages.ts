import { FlintError } from '../errors';
import type { HandlerGroup, Io } from '../edge/types';
import type { SessionPackages } from '../packages/session-packages';
import type { SessionStore } from '../sessions/session-store';
import { joined } from './membership';

export interface PackagesContext {
  io: Io;
  sessions: SessionStore;
  /** Absent when this server resolves no packages (then every request says so). */
  packages?: SessionPackages;
}

/** `packages:install`: the session's package.json resolved and fetched; progress to the whole session as `packages:status`. */
export function packagesHandlers({ sessions, packages, io }: PackagesContext): HandlerGroup {
  return {
    name: 'packages',
    events: {
      'packages:install': async (socket) => {
        const session = joined(sessions, socket);
        if (!packages) throw new FlintError('packageInvalid', 'This server does not resolve npm packages.');
        return packages.install(session, (status) => io.to(session.id).emit('packages:status', status));
      },
    },
  };
}
