import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV = 12;
const TAG = 16;
const PREFIX = 'v1.';

/**
 * AES-256-GCM over one piece of user content, bound to its thread by the additional data, so a
 * sealed value copied into another thread's event does not open.
 * Format: `v1.` + base64url(iv ‖ tag ‖ ciphertext).
 */
export const seal = (key: Buffer, threadId: string, plaintext: string): string => {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(threadId));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
};

export class SealError extends Error {
  override readonly name = 'SealError';
}

export const open = (key: Buffer, threadId: string, sealed: string): string => {
  if (!sealed.startsWith(PREFIX))
    throw new SealError(`not a sealed value of a known version: ${sealed.slice(0, 16)}`);
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  if (raw.length < IV + TAG) throw new SealError('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV));
  decipher.setAAD(Buffer.from(threadId));
  decipher.setAuthTag(raw.subarray(IV, IV + TAG));
  return decipher.update(raw.subarray(IV + TAG), undefined, 'utf8') + decipher.final('utf8');
};
