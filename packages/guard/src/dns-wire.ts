// The few DNS messages the gateway's resolver speaks (RFC 1035): it reads one standard query with one
// question and answers it with A/AAAA records, NXDOMAIN, REFUSED or FORMERR. Anything else in a
// query (answers, authority, EDNS records) is ignored; compression pointers in the question are
// refused, so a hostile message cannot make the reader loop or read outside the buffer.
import { isIPv4, isIPv6 } from 'node:net';

export const DNS_TYPE_A = 1;
export const DNS_TYPE_AAAA = 28;
const CLASS_IN = 1;
const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;
const MAX_LABEL_BYTES = 63;
const ANSWER_TTL_SECONDS = 30;

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, refused: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export interface DnsQuestion {
  readonly id: number;
  /** Recursion desired, echoed in the answer. */
  readonly rd: boolean;
  /** Lowercased, without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
  /** The question's bytes as sent, echoed in the answer. */
  readonly raw: Buffer;
}

export type ParsedQuery =
  | { readonly ok: true; readonly question: DnsQuestion }
  | { readonly ok: false; readonly id: number | undefined; readonly reason: string };

function refuse(id: number | undefined, reason: string): ParsedQuery {
  return { ok: false, id, reason };
}

// Reads the question's name label by label; a pointer, an over-long label or name is malformed.
function readName(message: Buffer, start: number): { name: string; end: number } | string {
  const labels: string[] = [];
  let offset = start;
  let total = 0;
  for (;;) {
    const length = message[offset];
    if (length === undefined) return 'the question name runs past the end of the message';
    if (length === 0) break;
    if (length > MAX_LABEL_BYTES) return 'the question name holds a pointer or an over-long label';
    total += length + 1;
    if (total > MAX_NAME_BYTES) return 'the question name is longer than 255 bytes';
    if (offset + 1 + length > message.length) return 'a label runs past the end of the message';
    labels.push(message.toString('latin1', offset + 1, offset + 1 + length).toLowerCase());
    offset += 1 + length;
  }
  return { name: labels.join('.'), end: offset + 1 };
}

/** Reads one standard query (QR=0, opcode 0, exactly one question); anything else is refused. */
export function parseQuery(message: Buffer): ParsedQuery {
  if (message.length < HEADER_BYTES) return refuse(undefined, 'shorter than a DNS header');
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  if ((flags & 0x8000) !== 0) return refuse(id, 'a response, not a query');
  if (((flags >> 11) & 0xf) !== 0) return refuse(id, 'not a standard query (opcode)');
  if (message.readUInt16BE(4) !== 1) return refuse(id, 'not exactly one question');
  const name = readName(message, HEADER_BYTES);
  if (typeof name === 'string') return refuse(id, name);
  if (name.end + 4 > message.length) return refuse(id, 'the question has no type and class');
  const question: DnsQuestion = {
    id,
    rd: (flags & 0x0100) !== 0,
    name: name.name,
    type: message.readUInt16BE(name.end),
    qclass: message.readUInt16BE(name.end + 2),
    raw: Buffer.from(message.subarray(HEADER_BYTES, name.end + 4)),
  };
  return { ok: true, question };
}

function header(id: number, rd: boolean, rcode: Rcode, questions: number, answers: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x8000 | (rd ? 0x0100 : 0) | 0x0080 | rcode, 2);
  out.writeUInt16BE(questions, 4);
  out.writeUInt16BE(answers, 6);
  return out;
}

/** IPv6 text (with `::` and an optional dotted IPv4 tail) → 16 bytes. */
export function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address)) throw new RangeError(`not an IPv6 address: ${address}`);
  const [head = '', tail] = address.split('::');
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!isIPv4(group)) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
  const out = Buffer.alloc(16);
  all.forEach((group, index) => out.writeUInt16BE(group, index * 2));
  return out;
}

function record(type: number, address: string): Buffer {
  const data =
    type === DNS_TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's name
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(CLASS_IN, 4);
  fixed.writeUInt32BE(ANSWER_TTL_SECONDS, 6);
  fixed.writeUInt16BE(data.length, 10);
  return Buffer.concat([fixed, data]);
}

/** An answer to `question` holding the addresses of its type (A: IPv4, AAAA: IPv6). */
export function answerMessage(question: DnsQuestion, addresses: readonly string[]): Buffer {
  const matching = addresses.filter((address) =>
    question.type === DNS_TYPE_A
      ? isIPv4(address)
      : question.type === DNS_TYPE_AAAA && isIPv6(address),
  );
  const answers = question.qclass === CLASS_IN ? matching : [];
  return Buffer.concat([
    header(question.id, question.rd, RCODE.noError, 1, answers.length),
    question.raw,
    ...answers.map((address) => record(question.type, address)),
  ]);
}

/** An answer with no records and the given response code (NXDOMAIN, REFUSED, FORMERR...). */
export function errorMessage(id: number, rcode: Rcode, question: DnsQuestion | undefined): Buffer {
  const rd = question?.rd ?? false;
  return question === undefined
    ? header(id, rd, rcode, 0, 0)
    : Buffer.concat([header(id, rd, rcode, 1, 0), question.raw]);
}
