// The gateway's resolver: one decision per question, before any upstream lookup. A blocked name is
// answered NXDOMAIN, a halting one REFUSED, a malformed question FORMERR (or nothing, when not even
// the header can be read). Served over UDP on loopback and over a length-prefixed stream (RFC 1035
// §4.2.2 framing) for the namespace's forwarder.
import type { Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { opens, type DecisionLog } from './decisions.js';
import {
  answerMessage,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  errorMessage,
  parseQuery,
  RCODE,
} from './dns-wire.js';
import { normalizeHost, type Resolver } from './hosts.js';

const DNS_PORT = 53;
/** Larger DNS messages are not queries this resolver answers. */
export const MAX_DNS_MESSAGE_BYTES = 4096;
const MAX_ANSWERS = 16;
/** Queries one stream connection may queue before it is closed. */
const MAX_PIPELINED = 32;

/** Why a DNS message was refused without a decision, for the gateway's refusal log. */
export type DnsRefusal = (reason: string) => void;

// The answer to one message, or undefined when there is no one to answer (no readable header).
export async function answerQuery(
  message: Buffer,
  log: DecisionLog,
  resolve: Resolver,
  refused: DnsRefusal,
): Promise<Buffer | undefined> {
  const parsed = parseQuery(message);
  if (!parsed.ok) {
    refused(`malformed DNS query: ${parsed.reason}`);
    return parsed.id === undefined ? undefined : errorMessage(parsed.id, RCODE.formErr, undefined);
  }
  const { question } = parsed;
  const host = normalizeHost(question.name);
  if (host === undefined) {
    refused(`DNS query for a name that is not a host name`);
    return errorMessage(question.id, RCODE.refused, question);
  }
  const verdict = log.decide(host, DNS_PORT, 'dns');
  if (!opens(verdict)) {
    const rcode = verdict.action === 'halt' ? RCODE.refused : RCODE.nxDomain;
    return errorMessage(question.id, rcode, question);
  }
  if (question.type !== DNS_TYPE_A && question.type !== DNS_TYPE_AAAA) {
    return answerMessage(question, []);
  }
  try {
    const addresses = await resolve(host);
    return answerMessage(question, addresses.slice(0, MAX_ANSWERS));
  } catch {
    return errorMessage(question.id, RCODE.nxDomain, question);
  }
}

export interface UdpDnsOptions {
  readonly log: DecisionLog;
  readonly resolve: Resolver;
  readonly refused: DnsRefusal;
  readonly maxInFlight: number;
}

/** Answers every datagram on `socket`; beyond `maxInFlight` at once, REFUSED without deciding. */
export function serveUdp(socket: UdpSocket, options: UdpDnsOptions): void {
  let inFlight = 0;
  socket.on('message', (message, remote) => {
    const reply = (answer: Buffer | undefined): void => {
      if (answer !== undefined) socket.send(answer, remote.port, remote.address, () => undefined);
    };
    if (inFlight >= options.maxInFlight || message.length > MAX_DNS_MESSAGE_BYTES) {
      options.refused('DNS query refused: too many at once or too large');
      if (message.length >= 2)
        reply(errorMessage(message.readUInt16BE(0), RCODE.refused, undefined));
      return;
    }
    inFlight++;
    void answerQuery(message, options.log, options.resolve, options.refused)
      .then(reply)
      .finally(() => {
        inFlight--;
      });
  });
}

/** Answers length-prefixed queries on one stream connection, one at a time, in order. */
export function serveStream(socket: Socket, options: Omit<UdpDnsOptions, 'maxInFlight'>): void {
  let buffered = Buffer.alloc(0);
  let busy = Promise.resolve();
  let pending = 0;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (length > MAX_DNS_MESSAGE_BYTES || pending >= MAX_PIPELINED) {
        options.refused('DNS stream message too large, or too many queries queued');
        socket.destroy();
        return;
      }
      if (buffered.length < 2 + length) return;
      const message = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      pending++;
      busy = busy.then(async () => {
        pending--;
        const answer = await answerQuery(message, options.log, options.resolve, options.refused);
        if (answer === undefined || socket.destroyed) return;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(answer.length);
        socket.write(Buffer.concat([prefix, answer]));
      });
    }
  });
}
