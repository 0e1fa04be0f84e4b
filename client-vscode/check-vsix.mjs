// Check the packaged .vsix (run by `npm run package` after `vsce package`): it holds the
// manifest, the bundled extension, the activity-bar icon and the text2ml wheel the *Install
// text2ml* button installs.
// Usage: node client-vscode/check-vsix.mjs [file.vsix]  (default: <name>-<version>.vsix)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.resolve(root, process.argv[2] ?? `${manifest.name}-${manifest.version}.vsix`);

/** The names in a zip file's central directory (a .vsix is a zip; no zip64 at this size). */
export function zipEntries(data) {
  const end = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) {
    throw new Error('not a zip file (no end of central directory)');
  }
  const count = data.readUInt16LE(end + 10);
  let at = data.readUInt32LE(end + 16);
  const names = [];
  for (let i = 0; i < count; i += 1) {
    if (data.readUInt32LE(at) !== 0x02014b50) {
      throw new Error(`bad central directory entry at ${at}`);
    }
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    names.push(data.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

const wheel = `text2ml_studio-${manifest.version}-py3-none-any.whl`;
const icons = manifest.contributes.viewsContainers.activitybar.map((container) => `extension/${container.icon}`);
const required = ['extension/package.json', `extension/${manifest.main.replace(/^\.\//, '')}`,
  `extension/client-vscode/out/wheel/${wheel}`, ...icons];
const names = zipEntries(readFileSync(vsix));
const missing = required.filter((name) => !names.includes(name));
if (missing.length > 0) {
  console.error(`check-vsix: ${path.relative(root, vsix)} lacks ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`check-vsix: ${path.relative(root, vsix)} holds ${required.map((n) => n.replace(/^extension\//, '')).join(', ')}`);
