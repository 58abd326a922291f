// `npm run build`: bundles every action and the sathos CLI (printing what weighs what in each),
// then generates every action.yml.
import {
  generateActionYmls,
  generateBundles,
  ownedDirectories,
  removeStray,
  strayFiles,
  writeGenerated,
} from './lib/generate.js';
import { repoRoot, runScript } from './lib/run-script.js';

runScript('build', async () => {
  const log = (line: string) => {
    console.log(`build: ${line}`);
  };
  const files = [
    ...(await generateBundles(repoRoot, log, 'warning', (lines) => {
      console.log(['', ...lines].join('\n'));
    })),
    ...(await generateActionYmls(repoRoot)),
  ];
  const stray = await strayFiles(
    repoRoot,
    await ownedDirectories(repoRoot, () => undefined),
    files,
  );
  await removeStray(repoRoot, stray);
  for (const path of stray) log(`removed ${path} (no longer generated)`);
  await writeGenerated(repoRoot, files);
  for (const file of files) log(`wrote ${file.path}`);
  return 0;
});
