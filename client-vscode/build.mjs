// Bundle the extension into one file, client-vscode/out/extension.js (package.json "main").
// `vscode` is provided by the editor; everything else (the language client) is bundled, so the
// .vsix carries no node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['client-vscode/src/extension.ts'],
  outfile: 'client-vscode/out/extension.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  minify: process.argv.includes('--minify'),
  sourcemap: false,
  logLevel: 'warning',
});
