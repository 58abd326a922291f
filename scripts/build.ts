// `npm run build`: bundles every action and the sathos CLI, then generates every action.yml.
import { generateActionYmls, generateBundles, writeGenerated } from './lib/generate.js';
import { repoRoot, runScript } from './lib/run-script.js';

runScript('build', async () => {
  const log = (line: string) => {
    console.log(`build: ${line}`);
  };
  const files = [
    ...(await generateBundles(repoRoot, log)),
    ...(await generateActionYmls(repoRoot)),
  ];
  await writeGenerated(repoRoot, files);
  for (const file of files) log(`wrote ${file.path}`);
  return 0;
});
