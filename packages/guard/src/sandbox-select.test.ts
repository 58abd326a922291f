// The sandbox ladder's choice on every combination of what a machine offers: the namespace whenever
// it works (never traded for something weaker), a named level that is missing refused with the
// reason, and proxy variables reported with everything given up — iptables included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectSandbox, type SandboxProbes } from './sandbox-select.js';

const everything: SandboxProbes = {
  namespace: undefined,
  iptables: undefined,
  cgroupParent: { version: 2, dir: '/cg' },
};
const nothing: SandboxProbes = {
  namespace: 'unshare failed: Operation not permitted',
  iptables: 'iptables did not run: spawn iptables ENOENT; nft did not run: spawn nft ENOENT',
  cgroupParent: undefined,
};

void describe('selectSandbox', () => {
  void it('takes the namespace whenever it works, for auto and netns alike', () => {
    for (const request of ['auto', 'netns'] as const) {
      const choice = selectSandbox(request, everything);
      assert.equal(choice.kind, 'netns');
      assert.equal(choice.containment, 'pid-namespace');
    }
  });

  void it('refuses iptables by name with why: missing here, or usable but not implemented', () => {
    assert.throws(() => selectSandbox('iptables', nothing), {
      code: 'USAGE',
      message:
        /iptables sandbox is not available \(iptables: iptables did not run.*nft did not run/,
    });
    assert.throws(() => selectSandbox('iptables', everything), {
      code: 'USAGE',
      message: /usable here, but SATHOS does not implement iptables redirection yet/,
    });
  });

  void it('without a namespace, auto falls to proxy variables and says what it gave up', () => {
    const withCgroup = selectSandbox('auto', {
      ...nothing,
      cgroupParent: { version: 2, dir: '/cg' },
    });
    assert.equal(withCgroup.kind, 'proxy-env');
    assert.equal(withCgroup.containment, 'cgroup');
    assert.deepEqual(withCgroup.cgroupParent, { version: 2, dir: '/cg' });
    assert.match(withCgroup.note, /tree held by a cgroup v2$/);
    const v1 = { version: 1, dir: '/sys/fs/cgroup/freezer' } as const;
    const withV1 = selectSandbox('auto', { ...nothing, cgroupParent: v1 });
    assert.equal(withV1.containment, 'cgroup-v1');
    assert.deepEqual(withV1.cgroupParent, v1);
    assert.match(withV1.note, /tree held by a cgroup v1 \(freezer\)$/);
    assert.match(withCgroup.note, /no network namespace: unshare failed: Operation not permitted/);
    assert.match(withCgroup.note, /iptables: iptables did not run/);
    assert.match(withCgroup.note, /tools that ignore them connected directly and went unseen/);
    const usable = selectSandbox('auto', { ...nothing, iptables: undefined });
    assert.equal(usable.kind, 'proxy-env', 'a usable iptables is reported, not pretended');
    assert.equal(usable.containment, 'process-group');
    assert.match(usable.note, /iptables: usable here, but SATHOS does not implement/);
    assert.match(
      usable.note,
      /process group \+ environment marker \(a process that clears its environment escapes\)$/,
    );
  });

  void it('refuses netns by name where it cannot be made; proxy-env is given when asked', () => {
    assert.throws(() => selectSandbox('netns', nothing), {
      code: 'USAGE',
      message: /network namespace is not available here \(unshare failed/,
    });
    const asked = selectSandbox('proxy-env', everything);
    assert.equal(asked.kind, 'proxy-env');
    assert.match(asked.note, /asked for by the caller/);
  });
});
