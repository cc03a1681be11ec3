/**
 * The two primitives the evidence rules need, given to them: Node passes `node:crypto`
 * (src/io/evidence/nodeEvidenceCrypto.ts), a browser may pass WebCrypto or an audited library.
 * The rules themselves stay free of I/O and of any one platform.
 */
export type EvidenceCrypto = {
  readonly sha256: (data: Uint8Array) => Uint8Array;
  /** Ed25519 (RFC 8032, pure): does `signature` sign `message` under the 32-byte `publicKey`? */
  readonly verifyEd25519: (
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ) => boolean;
};
