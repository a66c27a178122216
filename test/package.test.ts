import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './lib/cli.js';

// The VSIX as `npm run package` makes it (from the bundles already built), read back with unzip.
test('the VSIX targets linux-x64 and holds the two bundles and the language files, nothing from node_modules', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'stride-vsix-')), 'stride.vsix');
  execFileSync(join(ROOT, 'node_modules/.bin/vsce'), ['package', '--target', 'linux-x64', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out], { cwd: ROOT, stdio: 'ignore' });
  const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/package.json', 'extension/syntaxes/stride.tmLanguage.json', 'extension/language-configuration.json', 'extension/snippets/stride.json', 'extension/icons/stride.svg']) {
    assert.ok(listing.includes(f), `${f} is packaged`);
  }
  assert.deepEqual(listing.filter((f) => f.includes('node_modules') || f.endsWith('.map') || f.endsWith('.ts')), []);
  const manifest = execFileSync('unzip', ['-p', out, 'extension.vsixmanifest'], { encoding: 'utf8' });
  assert.match(manifest, /TargetPlatform="linux-x64"/);
  assert.ok(statSync(out).size < 2 * 1024 * 1024, 'under 2 MiB');
});
