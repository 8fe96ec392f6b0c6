import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a presented secret (token, password, signature) equals the expected one, in time
 * that tells nothing about either: both are hashed first, so the comparison always runs over
 * 32 bytes and does not end early on a length difference.
 */
export function secretEqual(presented: string, expected: string): boolean {
  const x = createHash('sha256').update(presented, 'utf8').digest();
  const y = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(x, y);
}
