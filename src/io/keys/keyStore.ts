/**
 * Per-thread content keys (crypto-shredding): destroying a key makes the thread's sealed content
 * unreadable everywhere it was copied. Asynchronous because the store may be another process
 * (the key service) shared by every instance of thread-ledger.
 */
export interface KeyStore {
  /**
   * Makes sure these threads have keys and returns them; a destroyed key is never made again, so
   * a thread whose key was destroyed is absent from the answer.
   */
  ensure(threadIds: readonly string[]): Promise<Map<string, Buffer>>;
  /** The keys that exist among these threads, read in one snapshot. */
  getMany(threadIds: Iterable<string>): Promise<Map<string, Buffer>>;
  /**
   * Destroys the keys, all in one durable step. `destroyed`: a key existed, now or when an
   * earlier destroy took it (a retry, a second worker, report the same); `absent`: none ever did.
   */
  destroy(threadIds: readonly string[]): Promise<{ destroyed: string[]; absent: string[] }>;
  close(): Promise<void>;
}

/** The key store cannot be reached now (the key service is down or refused): retry later. */
export class KeyStoreUnavailableError extends Error {
  override readonly name = 'KeyStoreUnavailableError';
}
