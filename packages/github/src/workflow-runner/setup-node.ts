// actions/setup-node as the local runner emulates it: it installs nothing. The runner's machine
// already has a Node.js on the PATH the steps get; the emulation checks that this node is the
// major version the workflow asks for and fails the step otherwise, so a workflow that says
// `node-version: 24` never passes here on another Node. Package-manager caching is not emulated:
// only `package-manager-cache: false` is accepted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SathosError, describeCause } from '@sathos/core';

const run = promisify(execFile);

function failed(where: string, message: string): SathosError {
  return new SathosError('WORKFLOW_INVALID', message, { where });
}

/** The major version a `node-version:` input names: `24`, `24.x` or `v24`; anything else refused. */
export function requestedMajor(value: string | undefined, where: string): number {
  const match = /^v?(\d{1,3})(?:\.x)?$/.exec((value ?? '').trim());
  if (match === null)
    throw failed(
      where,
      `actions/setup-node: node-version "${value ?? ''}" is not a major version (24, 24.x); the local runner checks a major version only`,
    );
  return Number(match[1]);
}

/** The major version of `node --version` run with the step's PATH. */
async function installedMajor(path: string, where: string): Promise<number> {
  let stdout: string;
  try {
    ({ stdout } = await run('node', ['--version'], { env: { PATH: path }, timeout: 30_000 }));
  } catch (cause) {
    throw failed(
      where,
      `actions/setup-node: no node runs on the runner's PATH (${describeCause(cause)}); put Node.js on it`,
    );
  }
  const match = /^v(\d+)\./.exec(stdout.trim());
  if (match === null)
    throw failed(where, `actions/setup-node: node --version printed "${stdout.trim()}"`);
  return Number(match[1]);
}

export async function setupNode(
  withs: Readonly<Record<string, string>>,
  path: string,
  where: string,
): Promise<void> {
  const cache = withs['package-manager-cache'];
  if (cache !== undefined && cache !== 'false')
    throw failed(
      where,
      'actions/setup-node: package-manager caching is not emulated; set package-manager-cache: false',
    );
  const wanted = requestedMajor(withs['node-version'], where);
  const got = await installedMajor(path, where);
  if (got !== wanted)
    throw failed(
      where,
      `actions/setup-node: the runner's node is v${got}, the workflow asks for ${wanted}; put Node.js ${wanted} first on the runner's PATH`,
    );
}
