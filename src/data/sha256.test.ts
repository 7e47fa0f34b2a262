import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256Plain } from './sha256.ts';

const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('sha256Hex', () => {
  it('matches node:crypto with WebCrypto and without it, at every padding boundary', async () => {
    const data = new Uint8Array(randomBytes(200_000));
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 200_000]) {
      const bytes = data.subarray(7, 7 + length);
      const expected = nodeSha256(bytes);
      expect(await sha256Hex(bytes), `WebCrypto, ${length} bytes`).toBe(expected);
      expect(await sha256Hex(bytes, null), `plain, ${length} bytes`).toBe(expected);
    }
  });

  it('gives the FIPS 180-2 example digests', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(hex(sha256Plain(text('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256Plain(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
});
