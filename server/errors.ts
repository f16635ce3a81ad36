import { ERROR_MESSAGES, type ErrorCode, type ProtocolError } from '@/lib/protocol';

/** An error meant for the client: its code and message are safe to send as they are. */
export class FlintError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_MESSAGES[code],
  ) {
    super(message);
    this.name = 'FlintError';
  }

  toProtocol(event?: string): ProtocolError {
    return event ? { code: this.code, message: this.message, event } : { code: this.code, message: this.message };
  }
}
