/**
 * Wire protocol version. Bump on any incompatible change to an event name or payload shape.
 * The client sends it in `session:hello`; the server answers a mismatch with
 * `clientTooOld` / `serverTooOld` and disconnects.
 */
export const PROTOCOL_VERSION = 3;
