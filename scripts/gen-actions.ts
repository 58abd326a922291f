// `npm run gen-actions`: regenerates every actions/*/action.yml from action-template.yml alone
// (no bundling); `npm run build` does this too.
import { generateActionYmls, writeGenerated } from './lib/generate.js';
import { repoRoot, runScript } from './lib/run-script.js';

runScript('gen-actions', async () => {
  const files = await generateActionYmls(repoRoot);
  await writeGenerated(repoRoot, files);
  for (const file of files) console.log(`gen-actions: wrote ${file.path}`);
  return 0;
});
