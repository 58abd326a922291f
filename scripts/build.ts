// `npm run build`: bundles every action and the sathos CLI (printing what weighs what in each),
// then generates every action.yml.
import { generateActionYmls, generateBundles, writeGenerated } from './lib/generate.js';
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
  await writeGenerated(repoRoot, files);
  for (const file of files) log(`wrote ${file.path}`);
  return 0;
});
