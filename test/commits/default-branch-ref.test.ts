// A push that creates a branch names no base: the action verifies the commits of the head that are
// not on the default branch. Which commit "the default branch" is comes from a name git resolves,
// and a short name like `origin/main` is what git's lookup rules make of it: a tag `origin/main`
// (refs/tags comes before refs/remotes) or a local branch `origin/main` (actions/checkout creates
// one when the pushed branch is called that) wins over the remote-tracking branch. Anyone who may
// push can create either, point it at the head's parent, and the unsigned commits in between were
// never verified. Each case builds the refs for real and runs the action.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordingIO, type RecordedIO } from '@sathos/github';
import { run } from '../../actions/verify-commit-signature/src/main.js';
import { ActionFixture } from '../actions/verify-commit-signature/fixture.js';

const ZERO = '0'.repeat(40);

/** Makes git's short name `origin/main` mean `commit` while refs/remotes/origin/main stays true. */
const LOOKALIKES: Readonly<Record<string, (fx: ActionFixture, commit: string) => void>> = {
  'a tag named origin/main (pushed, then fetched with the tags)': (fx, commit) => {
    fx.repo.git(['tag', 'origin/main', commit]);
  },
  'a local branch named origin/main (checkout of a pushed branch of that name)': (fx, commit) => {
    fx.repo.git(['branch', 'origin/main', commit]);
  },
};

describe('a new branch verified against a look-alike of the default branch', () => {
  const fixtures: ActionFixture[] = [];
  after(() => {
    for (const fx of fixtures) fx.dispose();
  });

  for (const [name, plant] of Object.entries(LOOKALIKES)) {
    describe(`with ${name}`, () => {
      let fx: ActionFixture;
      let unsigned: string;
      let head: string;
      let io: RecordedIO;
      before(async () => {
        fx = new ActionFixture();
        fixtures.push(fx);
        fx.repo.git(['update-ref', 'refs/remotes/origin/main', fx.commits[2]]);
        fx.repo.git(['checkout', '-q', '-b', 'feature']);
        unsigned = fx.repo.commit({ signing: { none: true } });
        head = fx.repo.commit({ signing: { ssh: fx.alice.privatePath } });
        plant(fx, unsigned);
        const resolved = fx.repo.git(['rev-parse', 'origin/main']);
        assert.equal(resolved, unsigned, 'plain git now reads origin/main as the unsigned commit');
        io = recordingIO();
        await run(fx.inputs(), {
          env: fx.env('push', fx.pushEvent(ZERO, head), head),
          fetch,
          io,
        });
      });

      it('still verifies the unsigned commit, and rejects the push', () => {
        assert.equal(io.failures.length, 1, 'the step failed');
        assert.match(io.failures[0] ?? '', /COMMIT_REJECTED/);
        assert.ok(
          io.lines.some((l) => l.level === 'error' && l.line.includes(unsigned)),
          'the unsigned commit is named',
        );
        assert.equal(io.outputs.get('genesis-record'), undefined, 'no source record was signed');
      });
    });
  }
});
