// A push's before..after is not all a run must verify. Push 1 adds an unsigned commit U to a branch:
// its run fails, but the push stands. Push 2 adds a signed S on top: before..after is U..S, only S
// is in it, and a source record signed for S would vouch for a history holding U. A push to a branch
// other than the default therefore also verifies every commit of its head not on the default branch
// — looked up as exactly refs/remotes/origin/<default>, never a tag git would take for it. Each case
// builds the refs for real and runs the action.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { recordingIO, type RecordedIO } from '@sathos/github';
import { run } from '../../actions/verify-commit-signature/src/main.js';
import { ActionFixture } from '../actions/verify-commit-signature/fixture.js';

const ZERO = '0'.repeat(40);

interface Pushed {
  readonly fx: ActionFixture;
  readonly unsigned: string;
  readonly head: string;
}

/** main at commits[2]; a branch `feature` with an unsigned U (push 1), then a signed S (push 2). */
function launderedBranch(fixtures: ActionFixture[], trackDefault = true): Pushed {
  const fx = new ActionFixture();
  fixtures.push(fx);
  if (trackDefault) fx.repo.git(['update-ref', 'refs/remotes/origin/main', fx.commits[2]]);
  fx.repo.git(['checkout', '-q', '-b', 'feature']);
  const unsigned = fx.repo.commit({ signing: { none: true } });
  const head = fx.repo.commit({ signing: { ssh: fx.alice.privatePath } });
  return { fx, unsigned, head };
}

async function runPush(
  { fx, head }: Pushed,
  before: string,
  extra: Record<string, unknown>,
): Promise<RecordedIO> {
  const io = recordingIO();
  await run(fx.inputs(), {
    env: fx.env('push', fx.pushEvent(before, head, extra), head),
    fetch,
    io,
  });
  return io;
}

function assertNoRecord(io: RecordedIO, code: RegExp): void {
  assert.equal(io.failures.length, 1, 'the step failed');
  assert.match(io.failures[0] ?? '', code);
  assert.equal(io.outputs.get('genesis-record'), undefined, 'no source record was signed');
}

describe('a follow-up push that would launder an unsigned commit', () => {
  const fixtures: ActionFixture[] = [];
  after(() => {
    for (const fx of fixtures) fx.dispose();
  });

  it('push 2 (U..S) to a feature branch verifies U again and is rejected', async () => {
    const pushed = launderedBranch(fixtures);
    const io = await runPush(pushed, pushed.unsigned, { ref: 'refs/heads/feature' });
    assertNoRecord(io, /COMMIT_REJECTED/);
    assert.ok(
      io.lines.some((l) => l.level === 'error' && l.line.includes(pushed.unsigned)),
      'the unsigned commit is named',
    );
    const summary = io.summaries[0]?.lines.join('\n') ?? '';
    assert.match(
      summary,
      /not on refs\/remotes\/origin\/main/,
      'the summary says what was verified',
    );
  });

  it('a push whose payload names no ref is treated as a branch other than the default', async () => {
    const pushed = launderedBranch(fixtures);
    const io = await runPush(pushed, pushed.unsigned, { ref: undefined });
    assertNoRecord(io, /COMMIT_REJECTED/);
  });

  it('a push to a tag verifies the commits of the tagged head not on the default branch', async () => {
    const pushed = launderedBranch(fixtures);
    const io = await runPush(pushed, ZERO, { ref: 'refs/tags/v1' });
    assertNoRecord(io, /COMMIT_REJECTED/);
  });

  it('the same push on a clean branch verifies both commits and records', async () => {
    const fx = new ActionFixture();
    fixtures.push(fx);
    fx.repo.git(['update-ref', 'refs/remotes/origin/main', fx.commits[2]]);
    fx.repo.git(['checkout', '-q', '-b', 'feature']);
    const first = fx.repo.commit({ signing: { ssh: fx.alice.privatePath } });
    const head = fx.repo.commit({ signing: { ssh: fx.alice.privatePath } });
    const io = await runPush({ fx, unsigned: first, head }, first, { ref: 'refs/heads/feature' });
    assert.deepEqual(io.failures, []);
    assert.deepEqual(JSON.parse(io.outputs.get('verified-commits') ?? '[]'), [first, head]);
  });

  it('a push to the default branch says the range it verified and what it trusts', async () => {
    const fx = new ActionFixture();
    fixtures.push(fx);
    const head = fx.repo.commit({ signing: { ssh: fx.alice.privatePath } });
    const io = await runPush({ fx, unsigned: '', head }, fx.commits[2], {
      ref: 'refs/heads/main',
    });
    assert.deepEqual(io.failures, []);
    const summary = io.summaries[0]?.lines.join('\n') ?? '';
    assert.match(summary, /to the default branch main/);
    assert.match(summary, /trusted as verified by earlier runs: require this check/);
  });
});

describe('a default branch that exists only as a look-alike tag', () => {
  const fixtures: ActionFixture[] = [];
  after(() => {
    for (const fx of fixtures) fx.dispose();
  });

  for (const [name, before] of [
    ['a new branch (before is all zeros)', ZERO],
    ['a follow-up push (before is U)', undefined],
  ] as const) {
    it(`${name}: refused, not verified against the tag`, async () => {
      const pushed = launderedBranch(fixtures, false);
      // refs/tags/refs/remotes/origin/main: what git's short-name rules take for the absent ref.
      pushed.fx.repo.git(['tag', 'refs/remotes/origin/main', pushed.unsigned]);
      const resolved = pushed.fx.repo.git(['rev-parse', 'refs/remotes/origin/main']);
      assert.equal(resolved, pushed.unsigned, 'plain git reads the tag as the default branch');
      const io = await runPush(pushed, before ?? pushed.unsigned, { ref: 'refs/heads/feature' });
      assertNoRecord(io, /RANGE_UNVERIFIABLE: .*not in the repository as that exact ref/);
    });
  }
});
