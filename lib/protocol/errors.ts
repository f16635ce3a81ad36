import { z } from '@/lib/zod';

/**
 * Every error code the server may send; `ERROR_MESSAGES` below must name each (its type says so).
 * Example: `{ code: 'badRequest', message: 'prompt: expected string' }`
 */
export const ErrorCode = z.enum([
  'badRequest',
  'payloadTooLarge',
  'unknownEvent',
  'helloRequired',
  'clientTooOld',
  'serverTooOld',
  'sessionNotFound',
  'notJoined',
  'forbidden',
  'linkRequired',
  'linkInvalid',
  'fileNotFound',
  'fileExists',
  'busy',
  'rateLimited',
  'limitExceeded',
  'streamNotFound',
  'hunkNotFound',
  'agentNotFound',
  'conflict',
  'upstream',
  'tierUnavailable',
  'storageUnavailable',
  'shuttingDown',
  'importInvalid',
  'addressRefused',
  'gitFailed',
  'blobNotFound',
  'pushRejected',
  'packageNotFound',
  'versionNotFound',
  'integrityMismatch',
  'tarballTooLarge',
  'registryUnreachable',
  'packageInvalid',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ProtocolErrorSchema = z.object({
  code: ErrorCode,
  message: z.string(),
  /** The event that caused the error, when there is one. */
  event: z.string().optional(),
});
export type ProtocolError = z.infer<typeof ProtocolErrorSchema>;

/** What a person reads for each code: a `Record<ErrorCode, …>`, so a code without a message does not compile. */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  badRequest: 'The request was not understood.',
  payloadTooLarge: 'The request is too large.',
  unknownEvent: 'Unknown request.',
  helloRequired: 'The connection is not ready yet.',
  clientTooOld: 'Flint was updated. Reload the page to continue.',
  serverTooOld: 'This page is newer than the server. Try again after the server is updated.',
  sessionNotFound: 'This session does not exist or has expired.',
  notJoined: 'Join a session first.',
  forbidden: 'Your role in this session does not allow that.',
  linkRequired: 'This session is private. Ask its owner for a share link.',
  linkInvalid: 'This link is not valid: it was revoked, replaced or mistyped. Ask the session’s owner for a new link.',
  fileNotFound: 'That file does not exist.',
  fileExists: 'A file with that name already exists.',
  busy: 'The model is still answering the last prompt.',
  rateLimited: 'Too many prompts in a short time. Wait a moment and try again.',
  limitExceeded: 'A limit of this server was reached.',
  streamNotFound: 'That stream has already finished.',
  shuttingDown: 'This Flint process is restarting: send the prompt again in a moment (you will be reconnected).',
  hunkNotFound: 'There is no such hunk in this session.',
  agentNotFound: 'There is no such agent in this session.',
  conflict: 'The change no longer fits the text it was proposed for.',
  upstream: 'The model could not answer.',
  tierUnavailable: 'No model is available for this tier.',
  storageUnavailable: 'Your change is applied but could not be saved yet.',
  importInvalid: 'The project could not be imported.',
  addressRefused: 'That address may not be fetched by this server.',
  gitFailed: 'The git server did not give the repository.',
  blobNotFound: 'That file content is not in this session.',
  pushRejected: 'The git server did not accept the push.',
  packageNotFound: 'That package is not in the npm registry.',
  versionNotFound: 'No version of that package matches the range asked for.',
  integrityMismatch: 'A package tarball did not match its integrity checksum; it was not used.',
  tarballTooLarge: 'A package is larger than this server allows.',
  registryUnreachable: 'The npm registry could not be reached.',
  packageInvalid: 'A package or the session’s package.json could not be used.',
  internal: 'Something went wrong on the server.',
};

/** Acknowledgement of every client request: `{ok:true, data}` or `{ok:false, error}`. */
export type Response<T> = { ok: true; data: T } | { ok: false; error: ProtocolError };

export function protocolError(code: ErrorCode, message = ERROR_MESSAGES[code], event?: string): ProtocolError {
  return event ? { code, message, event } : { code, message };
}
