import { createHash, randomBytes } from 'node:crypto';
import { LIMITS } from '@/lib/protocol';

/**
 * Capability tokens of share links: 256 bits from the CSPRNG, base64url (43 characters). The
 * server keeps only `hashToken(token)`; the token itself is answered to the owner once.
 */
export function newLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

const TOKEN_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${LIMITS.linkTokenChars}}$`);

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** SHA-256, hex. A token has 256 random bits, so an unsalted fast hash is enough: nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
