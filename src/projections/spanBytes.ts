/**
 * Fixed-width byte strings (hashes) appended one after another into one growing buffer: what a
 * fold keeps for a whole span costs no object per value, which the collector would otherwise
 * carry from one young generation to the next until the span is written.
 */
export class SpanBytes {
  private bytes: Buffer;
  length = 0;

  constructor(private readonly width: number) {
    this.bytes = Buffer.allocUnsafe(width * 1024);
  }

  push(value: Uint8Array): void {
    if (value.length !== this.width)
      throw new Error(`a value of ${value.length} bytes, not ${this.width}`);
    if ((this.length + 1) * this.width > this.bytes.length) {
      const grown = Buffer.allocUnsafe(this.bytes.length * 2);
      this.bytes.copy(grown, 0, 0, this.length * this.width);
      this.bytes = grown;
    }
    this.bytes.set(value, this.length * this.width);
    this.length++;
  }

  /** The i-th value, a view (valid until the next `push` or `clear`). */
  at(i: number): Buffer {
    return this.bytes.subarray(i * this.width, (i + 1) * this.width);
  }

  clear(): void {
    this.length = 0;
  }
}
