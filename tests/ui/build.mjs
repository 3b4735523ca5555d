// Bundles src/page.jsx (React, the official @selfcommunity packages of package-lock.json) into OUTDIR
// as one ES module, with the HTML page that loads it:
//
//   node build.mjs OUTDIR
//
// ESM, not an IIFE: react-ui's PDF preview evaluates `new URL(..., import.meta.url)` when imported.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import * as esbuild from 'esbuild';

const [outdir] = process.argv.slice(2);
if (!outdir) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}
mkdirSync(outdir, {recursive: true});
const result = await esbuild.build({
  entryPoints: ['src/page.jsx'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  outfile: join(outdir, 'page.js'),
  jsx: 'automatic',
  minify: false, // readable stacks in the report's page errors
  sourcemap: false,
  logLevel: 'warning',
  define: {'process.env.NODE_ENV': '"production"', global: 'globalThis'},
  loader: {'.js': 'jsx', '.png': 'dataurl', '.svg': 'dataurl', '.gif': 'dataurl', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file'},
  // Node-only modules that browser code of pdf.js and its wrappers import behind a runtime check.
  external: ['canvas', 'fs', 'path', 'zlib', 'http', 'https', 'url'],
  metafile: true,
});
writeFileSync(
  join(outdir, 'index.html'),
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Course API UI test</title>' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    // The theme's icon font and other styles the packages import come out as one stylesheet.
    (existsSync(join(outdir, 'page.css')) ? '<link rel="stylesheet" href="./page.css">' : '') +
    '</head>' +
    '<body><div id="root"></div><script type="module" src="./page.js"></script></body></html>\n',
);
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(JSON.stringify({outdir, bytes, warnings: result.warnings.length}));
