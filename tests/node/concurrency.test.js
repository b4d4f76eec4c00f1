'use strict';
// Many Promises in flight, sync and async calls interleaved, several
// runtimes at once, and runtimes in worker_threads.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { Worker } = require('worker_threads');
const { anna, manifest, repo } = require('./_helpers');
const { Runtime } = anna;

const M = manifest({ storage: ['*'], llm: ['complete'] });

test('10,000 Promises in flight each get their own answer', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  const N = 10000;
  const sets = [];
  for (let i = 0; i < N; i++) sets.push(s.call('storage', 'set', { key: `k${i}`, value: { i } }));
  assert.equal((await Promise.all(sets)).length, N);
  s.drainEvents();
  const gets = [];
  for (let i = 0; i < N; i++) gets.push(s.call('storage', 'get', { key: `k${i}` }));
  const got = await Promise.all(gets);
  for (let i = 0; i < N; i++) assert.equal(got[i].value.i, i);
  // errors in the same batch reject only their own Promise
  const mixed = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) =>
    i % 3 === 0 ? s.call('storage', 'get', {}) : s.call('storage', 'get', { key: `k${i}` })));
  mixed.forEach((r, i) => {
    if (i % 3 === 0) {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.code, 'invalid_arg');
    } else {
      assert.equal(r.status, 'fulfilled');
      assert.equal(r.value.value.i, i);
    }
  });
});

test('sync and async calls interleaved on several sessions and runtimes', async (t) => {
  const runtimes = [new Runtime(), new Runtime(), new Runtime()];
  t.after(() => Promise.all(runtimes.map((r) => r.close())));
  const sessions = runtimes.flatMap((rt) => [rt.createSession({ manifest: M }), rt.createSession({ manifest: M })]);
  const pending = [];
  for (let round = 0; round < 200; round++) {
    sessions.forEach((s, j) => {
      s.callSync('storage', 'set', { key: `r${round}`, value: j });
      pending.push(s.call('storage', 'get', { key: `r${round}` }).then((r) => [r.value, j]));
    });
  }
  // Sessions of one runtime share its store: the last writer of a round wins there.
  const results = await Promise.all(pending);
  assert.equal(results.length, 200 * sessions.length);
  for (const [value] of results) assert.equal(typeof value, 'number');
  // different runtimes do not share storage
  const a = runtimes[0].createSession({ manifest: M });
  const b = runtimes[1].createSession({ manifest: M });
  await a.call('storage', 'set', { key: 'only-a', value: 1 });
  assert.deepEqual(await b.call('storage', 'get', { key: 'only-a' }), { value: null });
});

test('host calls and cheap calls in flight together', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  rt.setHostHandler(async (m, p) => {
    await new Promise((r) => setTimeout(r, 50));
    return { echo: p.n };
  });
  const host = Array.from({ length: 50 }, (_, n) => s.call('llm', 'complete', { messages: [], n }));
  const cheap = Array.from({ length: 5000 }, () => s.call('storage', 'get', { key: 'x' }));
  const t0 = performance.now();
  const cheapDone = await Promise.all(cheap);
  const cheapMs = performance.now() - t0;
  assert.equal(cheapDone.length, 5000);
  const hostDone = await Promise.all(host);
  assert.deepEqual(hostDone.map((r) => r.echo), Array.from({ length: 50 }, (_, n) => n));
  // the cheap calls did not wait behind the 50 ms host calls
  assert.ok(cheapMs < 5000, `cheap calls took ${cheapMs.toFixed(0)} ms`);
});

const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
const { Runtime } = require(workerData.binding);
(async () => {
  const rt = new Runtime();
  const s = rt.createSession({ user_id: workerData.id, manifest: workerData.manifest });
  rt.setHostHandler(async (m, p) => ({ worker: workerData.id, n: p.n }));
  let ok = 0;
  for (let round = 0; round < 20; round++) {
    const calls = [];
    for (let i = 0; i < 100; i++) calls.push(s.call('storage', 'set', { key: 'w' + i, value: workerData.id * 1000 + i }));
    await Promise.all(calls);
    for (let i = 0; i < 100; i++) if (s.callSync('storage', 'get', { key: 'w' + i }).value === workerData.id * 1000 + i) ok++;
    s.drainEvents();
  }
  const host = await Promise.all([1, 2, 3].map((n) => s.call('llm', 'complete', { messages: [], n })));
  await rt.close();
  parentPort.postMessage({ ok, host });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

test('worker_threads: one runtime per worker, all running at once', async () => {
  const binding = path.join(repo, 'bindings', 'node');
  const W = 4;
  const runs = Array.from({ length: W }, (_, id) => new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { id: id + 1, binding, manifest: M } });
    w.once('message', resolve);
    w.once('error', reject);
  }));
  // the main thread keeps calling meanwhile
  const rt = new Runtime();
  const s = rt.createSession({ manifest: M });
  const mine = Promise.all(Array.from({ length: 2000 }, () => s.call('storage', 'get', { key: 'z' })));
  const results = await Promise.all(runs);
  assert.equal((await mine).length, 2000);
  await rt.close();
  results.forEach((r, i) => {
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.ok, 2000);
    assert.deepEqual(r.host, [1, 2, 3].map((n) => ({ worker: i + 1, n })));
  });
});

test('a worker that exits without closing its runtime', async () => {
  const binding = path.join(repo, 'bindings', 'node');
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const { Runtime } = require(workerData.binding);
    const rt = new Runtime();
    const s = rt.createSession({ manifest: workerData.manifest });
    rt.setHostHandler(async () => ({}));
    for (let i = 0; i < 100; i++) s.call('storage', 'get', { key: 'k' });
    parentPort.postMessage('bye');
    process.exit(0);
  `;
  const w = new Worker(code, { eval: true, workerData: { binding, manifest: M } });
  const exit = new Promise((resolve) => w.once('exit', resolve));
  assert.equal(await new Promise((r) => w.once('message', r)), 'bye');
  assert.equal(await exit, 0);
  // and the main thread still works
  const rt = new Runtime();
  assert.deepEqual(rt.callSync({ id: 1, method: 'ping' }).result, { pong: true });
  await rt.close();
});
