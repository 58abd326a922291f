// The sandbox ladder's choice on every combination of what a machine offers, strongest first:
// netns (unprivileged) > netns (sudo) > iptables (root) > proxy-env; a named level that is missing
// refused with the reason, and proxy variables reported with everything given up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectSandbox, type SandboxProbes } from './sandbox-select.js';

const everything: SandboxProbes = {
  namespace: undefined,
  sudoNamespace: undefined,
  iptables: undefined,
  cgroupParent: { version: 2, dir: '/cg' },
};
const nothing: SandboxProbes = {
  namespace: 'unshare failed: Operation not permitted',
  sudoNamespace: 'sudo failed: sudo: a password is required',
  iptables: 'iptables did not run: spawn iptables ENOENT',
  cgroupParent: undefined,
};

void describe('selectSandbox', () => {
  void it('takes the namespace whenever it works, for auto and netns alike', () => {
    for (const request of ['auto', 'netns'] as const) {
      const choice = selectSandbox(request, everything);
      assert.equal(choice.kind, 'netns');
      assert.equal(choice.containment, 'pid-namespace');
      assert.equal(choice.route, 'user-namespace', 'never through sudo when it is not needed');
      assert.doesNotMatch(choice.note, /via sudo/);
    }
  });

  void it('without unprivileged user namespaces, takes the namespace through sudo over iptables', () => {
    const probes = { ...everything, namespace: nothing.namespace };
    for (const request of ['auto', 'netns'] as const) {
      const choice = selectSandbox(request, probes);
      assert.equal(choice.kind, 'netns');
      assert.equal(choice.route, 'sudo');
      assert.match(choice.note, /^network namespace \(via sudo\): .*no new privileges/);
    }
  });

  void it('without any namespace, auto takes iptables over proxy variables, with its containment', () => {
    const probes = { ...everything, namespace: nothing.namespace, sudoNamespace: 'no sudo' };
    for (const request of ['auto', 'iptables'] as const) {
      const choice = selectSandbox(request, probes);
      assert.equal(choice.kind, 'iptables');
      assert.equal(choice.route, undefined);
      assert.equal(choice.containment, 'cgroup');
      assert.deepEqual(choice.cgroupParent, { version: 2, dir: '/cg' });
      assert.match(choice.note, /^iptables \(owner match\): the step runs as a uid of its own/);
      assert.match(choice.note, /every process of its uid killed at the end$/);
    }
    // Named, it is taken even where a namespace would work: the caller asked for exactly it.
    assert.equal(selectSandbox('iptables', everything).kind, 'iptables');
  });

  void it('refuses iptables by name where it is missing, in one line saying why', () => {
    assert.throws(() => selectSandbox('iptables', nothing), {
      code: 'USAGE',
      message:
        /^the iptables sandbox is not available \(iptables did not run: spawn iptables ENOENT\): run the supervisor as root/,
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
    assert.match(withCgroup.note, /not through sudo: sudo failed: sudo: a password is required/);
    assert.match(withCgroup.note, /no iptables: iptables did not run/);
    assert.match(withCgroup.note, /tools that ignore them connected directly and went unseen/);
    const bare = selectSandbox('auto', nothing);
    assert.equal(bare.kind, 'proxy-env');
    assert.equal(bare.containment, 'process-group');
    assert.match(
      bare.note,
      /process group \+ environment marker \(a process that clears its environment escapes\)$/,
    );
  });

  void it('refuses netns by name where it cannot be made; proxy-env is given when asked', () => {
    assert.throws(() => selectSandbox('netns', nothing), {
      code: 'USAGE',
      message:
        /network namespace is not available here \(no network namespace: unshare failed.*not through sudo: sudo failed/,
    });
    // A usable iptables does not satisfy a request for a namespace.
    assert.throws(() => selectSandbox('netns', { ...nothing, iptables: undefined }), {
      code: 'USAGE',
    });
    const asked = selectSandbox('proxy-env', everything);
    assert.equal(asked.kind, 'proxy-env');
    assert.match(asked.note, /asked for by the caller/);
  });
});
