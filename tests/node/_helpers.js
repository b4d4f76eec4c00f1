'use strict';
// Shared set-up of the Node binding tests (node --test tests/node): a private
// HOME and dev key for every test file, so no test reads or creates
// ~/.anna-app, and small manifest builders.
const fs = require('fs');
const os = require('os');
const path = require('path');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'anna-node-test-'));
process.env.HOME = tmp;
process.env.ANNA_APP_DEV_KEY = path.join(tmp, 'dev.key');
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const repo = path.resolve(__dirname, '..', '..');
const anna = require(path.join(repo, 'bindings', 'node'));

function manifest(hostApi = { storage: ['*'] }, extra = {}) {
  return {
    schema: 1,
    ...extra,
    ui: {
      bundle: { entry: 'index.html' },
      views: [{ name: 'main', title: 'Main', default: true }],
      host_api: hostApi,
    },
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Runs `body` while a 10 ms setInterval ticks; returns {result, maxGap, ticks}.
async function withTicker(body) {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const iv = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
    ticks++;
  }, 10);
  try {
    const result = await body();
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    return { result, maxGap, ticks };
  } finally {
    clearInterval(iv);
  }
}

// Polls `cond` every 10 ms for up to `ms`.
async function until(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(10);
  }
  return cond();
}

// A key file holding bytes 0..31 (the 06-tokens test vectors).
function vectorKeyPath() {
  const p = path.join(tmp, 'vector.key');
  if (!fs.existsSync(p)) fs.writeFileSync(p, Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
  return p;
}

const exampleExecuta = path.join(repo, '.build', 'release', 'anna-example-executa');

module.exports = { anna, repo, tmp, manifest, sleep, withTicker, until, vectorKeyPath, exampleExecuta };
