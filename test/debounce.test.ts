import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisDelay } from '../language/server/debounce.js';

// When the language server analyses after a change: at once for a quick file or the first change after a
// pause; while a slow file is being typed in, once the typing stops.

test('a quick file is analysed at once, however fast the changes come', () => {
  for (const since of [0, 1, 50, Infinity]) assert.equal(analysisDelay(9, since), 0);
});

test('a slow file: the first change after a pause at once, changes in a burst wait twice the cost, at most 200 ms', () => {
  assert.equal(analysisDelay(50, Infinity), 0, 'the first change of a session');
  assert.equal(analysisDelay(50, 100), 0, 'a change after a pause as long as the wait');
  assert.equal(analysisDelay(50, 30), 100, 'typing');
  assert.equal(analysisDelay(300, 150), 200, 'at most 200 ms');
  assert.equal(analysisDelay(300, 250), 0);
});
