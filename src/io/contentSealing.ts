import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM over one piece of user content, bound to its thread by the additional data, so a
 * sealed value copied into another thread's event does not open. Format: `v1.<iv>.<tag>.<ciphertext>`
 * (base64url).
 */
export const seal = (key: Buffer, threadId: string, plaintext: string): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(threadId));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`;
};

export class SealError extends Error {
  override readonly name = 'SealError';
}

export const open = (key: Buffer, threadId: string, sealed: string): string => {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || iv === undefined || tag === undefined || ct === undefined) {
    throw new SealError(`not a sealed value of a known version: ${sealed.slice(0, 16)}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(threadId));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
};
