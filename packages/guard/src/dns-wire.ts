// The DNS messages the gateway's resolver speaks (RFC 1035), read and written by `dns-packet`: it
// reads one standard query with one question and answers it with A/AAAA records, NXDOMAIN, REFUSED
// or FORMERR. `dns-packet` follows compression pointers only backwards (no loops) and throws on a
// message that runs past its end; every throw here becomes a refusal, never a crash.
import { isIPv4, isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, Question } from 'dns-packet';

export const DNS_TYPE_A = 'A';
export const DNS_TYPE_AAAA = 'AAAA';
const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 253;
const ANSWER_TTL_SECONDS = 30;
// dns-packet's flag bits (RFC 1035 §4.1.1): recursion desired and recursion available.
const RECURSION_DESIRED = 1 << 8;
const RECURSION_AVAILABLE = 1 << 7;

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, refused: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export interface DnsQuestion {
  readonly id: number;
  /** Recursion desired, echoed in the answer. */
  readonly rd: boolean;
  /** Lowercased, without the trailing dot. */
  readonly name: string;
  /** The record type's name (`A`, `AAAA`, `TXT`, `UNKNOWN_65280`…). */
  readonly type: string;
  /** The question as it will be echoed in the answer. */
  readonly question: Question;
}

export type ParsedQuery =
  | { readonly ok: true; readonly question: DnsQuestion }
  | { readonly ok: false; readonly id: number | undefined; readonly reason: string };

function refuse(id: number | undefined, reason: string): ParsedQuery {
  return { ok: false, id, reason };
}

/** Reads one standard query (QR=0, opcode QUERY, exactly one IN question); anything else is refused. */
export function parseQuery(message: Buffer): ParsedQuery {
  if (message.length < HEADER_BYTES) return refuse(undefined, 'shorter than a DNS header');
  const id = message.readUInt16BE(0);
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(message);
  } catch (cause) {
    return refuse(
      id,
      `malformed message: ${cause instanceof Error ? cause.message : 'unreadable'}`,
    );
  }
  if (packet.type !== 'query') return refuse(id, 'a response, not a query');
  const header = packet.flags ?? 0;
  if (((header >> 11) & 0xf) !== 0) return refuse(id, 'not a standard query (opcode)');
  const [question, ...others] = packet.questions ?? [];
  if (question === undefined || others.length > 0) return refuse(id, 'not exactly one question');
  if (question.class !== 'IN') return refuse(id, 'the question is not of class IN');
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return refuse(id, 'the question name is too long');
  return {
    ok: true,
    question: { id, rd: (header & RECURSION_DESIRED) !== 0, name, type: question.type, question },
  };
}

function flags(rd: boolean, rcode: Rcode): number {
  return (rd ? RECURSION_DESIRED : 0) | RECURSION_AVAILABLE | rcode;
}

/** An answer to `question` holding the addresses of its type (A: IPv4, AAAA: IPv6). */
export function answerMessage(question: DnsQuestion, addresses: readonly string[]): Buffer {
  const answers: Answer[] = addresses.flatMap((address): Answer[] => {
    const base = { name: question.question.name, ttl: ANSWER_TTL_SECONDS, class: 'IN' as const };
    if (question.type === DNS_TYPE_A && isIPv4(address))
      return [{ ...base, type: 'A', data: address }];
    if (question.type === DNS_TYPE_AAAA && isIPv6(address))
      return [{ ...base, type: 'AAAA', data: address }];
    return [];
  });
  return dnsPacket.encode({
    type: 'response',
    id: question.id,
    flags: flags(question.rd, RCODE.noError),
    questions: [question.question],
    answers,
  });
}

/** An answer with no records and the given response code (NXDOMAIN, REFUSED, FORMERR...). */
export function errorMessage(id: number, rcode: Rcode, question: DnsQuestion | undefined): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: flags(question?.rd ?? false, rcode),
    questions: question === undefined ? [] : [question.question],
  });
}
