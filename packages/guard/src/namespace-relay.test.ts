// Bytes through the namespace's relay and the gateway, both copying with reused buffers: a step in
// the namespace downloads random bytes through its proxy, stopping long enough each time that the
// kernel's buffers fill and the relays' writes queue, and reports what it got.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { chooseSandbox } from './sandbox.js';
import { supervise } from './supervise.js';
import { allowOnly, loopbackResolver, payloadServer } from './test-servers.js';

const PAYLOAD = randomBytes(16 * 1024 * 1024);

/** The step (node -e): CONNECT through $HTTPS_PROXY, ask for the payload, print its size and digest. */
const DOWNLOAD = String.raw`
const net = require('node:net');
const hash = require('node:crypto').createHash('sha256');
const proxy = new URL(process.env.HTTPS_PROXY);
const target = 'payload.test:' + process.argv[1];
const socket = net.connect({ host: proxy.hostname, port: Number(proxy.port) });
let head = '';
let bytes = 0;
let sinceStall = 0;
const take = (chunk) => {
  hash.update(chunk);
  bytes += chunk.length;
  sinceStall += chunk.length;
  if (sinceStall < 2 * 1024 * 1024) return;
  sinceStall = 0;
  socket.pause();
  setTimeout(() => socket.resume(), 150);
};
socket.write('CONNECT ' + target + ' HTTP/1.1\r\nHost: ' + target + '\r\n\r\n');
socket.on('data', (chunk) => {
  if (head === undefined) return take(chunk);
  head += chunk.toString('latin1');
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return;
  if (!head.startsWith('HTTP/1.1 200')) throw new Error('refused: ' + head.split('\r\n')[0]);
  const rest = Buffer.from(head.slice(end + 4), 'latin1');
  head = undefined;
  if (rest.length > 0) take(rest);
  socket.write('send');
});
socket.on('end', () => console.log(bytes + ' ' + hash.digest('hex')));
`;

describe('the namespace relay', () => {
  let source: Awaited<ReturnType<typeof payloadServer>>;
  let namespaceAvailable = false;
  before(async () => {
    source = await payloadServer(PAYLOAD);
    namespaceAvailable = (await chooseSandbox('auto')).kind === 'netns';
  });
  after(() => {
    source.close();
  });

  it('delivers every byte of a download unchanged to a step that keeps stalling', async (t) => {
    if (!namespaceAvailable) {
      t.skip('no network namespace on this machine');
      return;
    }
    let out = '';
    const stdout = new PassThrough();
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const report = await supervise({
      command: process.execPath,
      args: ['-e', DOWNLOAD, String(source.port)],
      decide: allowOnly('payload.test'),
      resolve: loopbackResolver,
      sandbox: 'netns',
      output: { stdout, stderr: new PassThrough() },
    });
    assert.equal(report.exitCode, 0);
    const expected = createHash('sha256').update(PAYLOAD).digest('hex');
    assert.equal(out.trim(), `${PAYLOAD.length} ${expected}`);
  });
});
