import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, SealError, seal } from '../../src/io/contentSealing.js';

describe('content sealing', () => {
  const key = randomBytes(32);
  it('opens what it sealed, and hides it', () => {
    const s = seal(key, 'thread-a', 'Fix the build ✓');
    expect(s).not.toContain('Fix');
    expect(open(key, 'thread-a', s)).toBe('Fix the build ✓');
    expect(seal(key, 'thread-a', 'x')).not.toBe(seal(key, 'thread-a', 'x')); // fresh IV each time
  });
  it('refuses another key, another thread, or a tampered value', () => {
    const s = seal(key, 'thread-a', 'secret');
    expect(() => open(randomBytes(32), 'thread-a', s)).toThrow();
    expect(() => open(key, 'thread-b', s)).toThrow();
    // One bit of the ciphertext flipped (editing base64 text may only touch its padding bits).
    const raw = Buffer.from(s.slice(3), 'base64url');
    raw[raw.length - 1]! ^= 1;
    const tampered = `v1.${raw.toString('base64url')}`;
    expect(() => open(key, 'thread-a', tampered)).toThrow();
    expect(() => open(key, 'thread-a', 'v2.abc')).toThrow(SealError);
  });
  it('never uses an IV twice, across the refills of its pool of random bytes', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 5000; i++)
      ivs.add(
        Buffer.from(seal(key, 'thread-a', 'x').slice(3), 'base64url')
          .subarray(0, 12)
          .toString('hex'),
      );
    expect(ivs.size).toBe(5000);
    expect(ivs.has('0'.repeat(24))).toBe(false);
  });
});
