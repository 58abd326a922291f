// Attack: a --signer-workflow pattern with a top-level alternation. Its branches must all sit
// under the github.com/ prefix and the ref the flag implies; before, only the first did, so the
// pattern `…/a.yml|.*` accepted a workflow of any owner on any host, and `…/a.yml|…/b.yml`
// refused both (each branch lost half of its frame).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { githubClaimRequirements } from './github-claims.js';

const holds = (flag: string, uri: string): boolean => {
  const [requirement] = githubClaimRequirements({ signerWorkflow: flag });
  assert.ok(requirement);
  return requirement.holds(uri);
};
const OURS = 'https://github.com/octo-org/app/.github/workflows/a.yml@refs/heads/main';
const THEIRS = 'https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main';
const ELSEWHERE = 'https://evil.example/octo-org/app/.github/workflows/a.yml@refs/heads/main';

void describe('--signer-workflow patterns with alternation', () => {
  void it('attack: a branch of the pattern does not escape the github.com/ prefix', () => {
    const flag = 'octo-org/app/.github/workflows/a.yml|.*/app/.github/workflows/b.yml';
    assert.equal(holds(flag, THEIRS.replace('x.yml', 'b.yml')), true, 'any owner, on github.com');
    assert.equal(holds(flag, ELSEWHERE.replace('a.yml', 'b.yml')), false, 'never another host');
    assert.equal(holds('octo-org/app/.github/workflows/a.yml|evil/.*', ELSEWHERE), false);
  });

  void it('every branch gets the ref', () => {
    const flag = 'octo-org/app/.github/workflows/a.yml|octo-org/app/.github/workflows/b.yml';
    assert.equal(holds(flag, OURS), true);
    assert.equal(holds(flag, OURS.replace('a.yml', 'b.yml')), true);
    assert.equal(holds(flag, THEIRS), false);
  });

  void it('attack: a pattern that closes the frame early is refused, not run', () => {
    assert.throws(
      () => githubClaimRequirements({ signerWorkflow: 'octo-org/app/x.yml)|(.*' }),
      /not a valid RE2 pattern/,
    );
  });
});
