// Bundles the web console (src/ui) into dist/ui: one script, one stylesheet, one page, no
// CDN, so the console works offline. Run by `npm run build`.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'ui');
const out = join(root, 'dist', 'ui');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(src, 'main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  outfile: join(out, 'console.js'),
  logLevel: 'warning',
});
cpSync(join(src, 'index.html'), join(out, 'index.html'));
cpSync(join(src, 'console.css'), join(out, 'console.css'));
