// OpenSSH's wire encoding (RFC 4251 §5): uint32/uint64, length-prefixed strings and mpints, read
// with bounds checks so a truncated or lying blob is an error, never an out-of-range read.
import { SathosError } from '../../../errors.js';

export class SshReader {
  private at = 0;

  constructor(
    private readonly data: Buffer,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.at;
  }

  get done(): boolean {
    return this.at === this.data.length;
  }

  bytes(length: number): Buffer {
    if (length < 0 || this.at + length > this.data.length) throw this.truncated();
    const out = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  u32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  u64(): bigint {
    return this.bytes(8).readBigUInt64BE(0);
  }

  string(): Buffer {
    return this.bytes(this.u32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  /** An mpint's magnitude without sign padding; negative values are refused. */
  mpint(): Buffer {
    const raw = this.string();
    if (raw.length > 0 && ((raw[0] ?? 0) & 0x80) !== 0) throw this.invalid('a negative integer');
    let start = 0;
    while (start < raw.length && raw[start] === 0) start++;
    return raw.subarray(start);
  }

  end(): void {
    if (!this.done) throw this.invalid('trailing bytes');
  }

  invalid(detail: string): SathosError {
    return new SathosError('SIGNATURE_INVALID', `${this.what} holds ${detail}`);
  }

  private truncated(): SathosError {
    return new SathosError('SIGNATURE_INVALID', `${this.what} is truncated`);
  }
}

/** A list of strings packed in one string, as certificate principals are. */
export function readStringList(packed: Buffer, what: string): string[] {
  const reader = new SshReader(packed, what);
  const out: string[] = [];
  while (!reader.done) out.push(reader.text());
  return out;
}
