// Prints the UI's size: every JS and CSS file in dist/assets, raw and gzipped, and fails
// when the gzipped total passes the budget (350 KB, the target in issue 6).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 350 * 1024;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
let files;
try {
  files = readdirSync(dir).filter((f) => /\.(js|css)$/.test(f));
} catch {
  console.error('size: no dist/assets; run npm run build first');
  process.exit(1);
}
let raw = 0;
let gz = 0;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const f of files.sort()) {
  const b = readFileSync(join(dir, f));
  const g = gzipSync(b, { level: 9 }).length;
  raw += statSync(join(dir, f)).size;
  gz += g;
  console.log(`  ${f.padEnd(40)} ${kb(b.length).padStart(10)} ${kb(g).padStart(10)} gzip`);
}
console.log(`UI JS+CSS: ${kb(raw)} raw, ${kb(gz)} gzipped (budget ${kb(BUDGET)})`);
if (gz > BUDGET) {
  console.error('size: over budget');
  process.exit(1);
}
