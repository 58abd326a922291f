// The iptables level's rules as argument lists: what the step's uid may reach (the gateway's two
// ports on 127.0.0.1, nothing over IPv6), jumps installed last and removed first, chain names that
// fit iptables and say who owns them, and the counters read back from a real listing's shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chainName,
  chainOwner,
  installCommands,
  rejectedCounts,
  removeCommands,
  type RulePlan,
} from './iptables-rules.js';

const plan: RulePlan = {
  chain: 'SATHOS-abc-def-0',
  uid: 2000000123,
  proxyPort: 41000,
  dnsPort: 41001,
};

const text = (commands: { family: string; args: readonly string[] }[]): string[] =>
  commands.map((c) => `${c.family} ${c.args.join(' ')}`);

void describe('iptables rules', () => {
  void it('let the step reach only the proxy and resolver ports on 127.0.0.1, and reject the rest', () => {
    const rules = text(installCommands(plan));
    const accepts = rules.filter((rule) => rule.endsWith('-j ACCEPT'));
    assert.deepEqual(accepts, [
      'iptables -w 5 -t filter -A SATHOS-abc-def-0 -d 127.0.0.1 -p tcp --dport 41000 -j ACCEPT',
      'iptables -w 5 -t filter -A SATHOS-abc-def-0 -d 127.0.0.1 -p udp --dport 41001 -j ACCEPT',
    ]);
    // IPv6 has no accept at all; both families end in a counted SYN reject and a catch-all reject.
    for (const family of ['iptables', 'ip6tables']) {
      const chain = rules.filter((rule) => rule.startsWith(`${family} -w 5 -t filter -A`));
      assert.match(chain.at(-2) ?? '', /-p tcp --syn -j REJECT --reject-with tcp-reset$/);
      assert.match(chain.at(-1) ?? '', /-A SATHOS-abc-def-0 -j REJECT$/);
    }
    assert.ok(
      rules.includes(
        'iptables -w 5 -t nat -A SATHOS-abc-def-0 -p udp --dport 53 -j REDIRECT --to-ports 41001',
      ),
    );
    // The jumps come last, so a failure part-way never leaves a jump into a half-built chain.
    const jumps = rules.filter((rule) => rule.includes(' -I OUTPUT '));
    assert.deepEqual(rules.slice(-3), jumps);
    for (const jump of jumps) {
      assert.match(jump, /-I OUTPUT -m owner --uid-owner 2000000123 -j SATHOS-abc-def-0$/);
    }
  });

  void it('refuse a port that is not one (no rule text from a bad value)', () => {
    assert.throws(() => installCommands({ ...plan, proxyPort: 0 }), /not a port: 0/);
    assert.throws(() => installCommands({ ...plan, dnsPort: 70000 }), /not a port: 70000/);
  });

  void it('name chains within 28 characters, and read the owner back from the name', () => {
    const name = chainName(4194304, '99999999999', 1295);
    assert.ok(name.length <= 28, name);
    assert.deepEqual(chainOwner(name), { pid: 4194304, startTime: '99999999999' });
    assert.equal(chainOwner('DOCKER-USER'), undefined);
    assert.equal(chainOwner('SATHOS-probe'), undefined);
  });

  void it('remove the jumps found in a listing, then the chain', () => {
    const listing = [
      '-P OUTPUT ACCEPT',
      '-N SATHOS-abc-def-0',
      '-N SATHOS-zzz-yyy-1',
      '-A OUTPUT -m owner --uid-owner 2000000123 -j SATHOS-abc-def-0',
      '-A OUTPUT -m owner --uid-owner 2000000999 -j SATHOS-zzz-yyy-1',
    ].join('\n');
    assert.deepEqual(text(removeCommands('iptables', 'filter', 'SATHOS-abc-def-0', listing)), [
      'iptables -w 5 -t filter -D OUTPUT -m owner --uid-owner 2000000123 -j SATHOS-abc-def-0',
      'iptables -w 5 -t filter -F SATHOS-abc-def-0',
      'iptables -w 5 -t filter -X SATHOS-abc-def-0',
    ]);
    assert.deepEqual(removeCommands('iptables', 'nat', 'SATHOS-gone-0-0', listing), []);
  });

  void it('count connection attempts apart from other rejected packets', () => {
    const listing = `Chain SATHOS-abc-def-0 (1 references)
    pkts      bytes target     prot opt in     out     source               destination
       5      300 ACCEPT     6    --  *      lo      0.0.0.0/0            127.0.0.1            tcp dpt:41000
       3      180 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02 reject-with tcp-reset
       2      120 REJECT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
`;
    assert.deepEqual(rejectedCounts(listing), { attempts: 3, packets: 2 });
    assert.deepEqual(rejectedCounts(''), { attempts: 0, packets: 0 });
  });
});
