// `npm run check-dist`: rebuilds every bundle and action.yml in memory and fails, naming each file,
// when a committed copy is missing or differs.
import { compareWithDisk, describeFindings } from './lib/check-dist.js';
import {
  generateActionYmls,
  generateBundles,
  ownedDirectories,
  strayFiles,
} from './lib/generate.js';
import { repoRoot, runScript } from './lib/run-script.js';

runScript('check-dist', async () => {
  const log = (line: string) => {
    console.log(`check-dist: ${line}`);
  };
  const files = [
    ...(await generateBundles(repoRoot, log)),
    ...(await generateActionYmls(repoRoot)),
  ];
  const stray = await strayFiles(
    repoRoot,
    await ownedDirectories(repoRoot, () => undefined),
    files,
  );
  const lines = describeFindings(await compareWithDisk(repoRoot, files, stray));
  for (const line of lines) console.error(line);
  if (lines.length === 0) log(`all ${files.length} generated files are up to date`);
  return lines.length === 0 ? 0 : 1;
});
