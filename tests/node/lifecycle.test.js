'use strict';
// close(), finalizers and process lifetime: native state is freed exactly
// once, after the last call that uses it, and never used afterwards.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');
const { anna, manifest, sleep, until, repo } = require('./_helpers');
const { Runtime } = anna;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const M = manifest({ storage: ['*'], llm: ['complete'] });
const live = () => anna.stats().liveRuntimes;

async function collect() {
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(10); // finalizers run from setImmediate
  }
}

test('close() is idempotent; everything after it fails with ERR_ANNA_CLOSED', async () => {
  const base = live();
  const rt = new Runtime();
  const s = rt.createSession({ manifest: M });
  assert.equal(live(), base + 1);
  const p1 = rt.close();
  const p2 = rt.close();
  assert.ok(p1 instanceof Promise && p2 instanceof Promise);
  await Promise.all([p1, p2]);
  assert.equal(rt.closed, true);
  assert.equal(live(), base);
  const closed = { code: 'ERR_ANNA_CLOSED' };
  await assert.rejects(s.call('storage', 'get', { key: 'k' }), closed);
  await assert.rejects(rt.call({ method: 'ping' }), closed);
  await assert.rejects(rt.call('{"method":"ping"}'), closed);
  assert.throws(() => s.callSync('storage', 'get', { key: 'k' }), closed);
  assert.throws(() => s.drainEvents(), closed);
  assert.throws(() => rt.callSync({ method: 'ping' }), closed);
  assert.throws(() => rt.createSession({ manifest: M }), closed);
  assert.throws(() => rt.registerExecutas([]), closed);
  assert.throws(() => rt.mintDevToken({ window_uuid: 'w', user_id: 1 }), closed);
  assert.throws(() => rt.verifyDevToken('x'), closed);
  assert.throws(() => rt.setHostHandler(async () => ({})), closed);
  await rt.close(); // still fine
});

test('close() with calls in flight: they all finish, then the runtime is freed', async () => {
  const base = live();
  const rt = new Runtime();
  const s = rt.createSession({ manifest: M });
  await s.call('storage', 'set', { key: 'k', value: 1 });
  const calls = Array.from({ length: 2000 }, () => s.call('storage', 'get', { key: 'k' }));
  await rt.close();
  assert.equal(live(), base);
  const results = await Promise.all(calls);
  assert.equal(results.length, 2000);
  for (const r of results) assert.deepEqual(r, { value: 1 });
});

test('finalizers free runtimes that were never closed (with and without a host handler)', async () => {
  await collect();
  const base = live();
  (function make() {
    for (let i = 0; i < 20; i++) {
      const rt = new Runtime();
      const s = rt.createSession({ manifest: M });
      s.callSync('storage', 'set', { key: 'k', value: i });
      // a handler that closes over the runtime must not keep it alive
      if (i % 2) rt.setHostHandler(async () => ({ rt: String(rt.closed) }));
    }
  })();
  assert.equal(live(), base + 20);
  await collect();
  assert.ok(await until(() => live() === base), `live runtimes ${live()}, expected ${base}`);
});

test('a runtime dropped while calls are pending stays alive until they finish', async () => {
  await collect();
  const base = live();
  const pending = (function make() {
    const rt = new Runtime();
    const s = rt.createSession({ manifest: M });
    rt.setHostHandler(async () => {
      await sleep(200);
      return { ok: 'late' };
    });
    return [s.call('llm', 'complete', { messages: [] }), s.call('storage', 'get', { key: 'x' })];
  })();
  await collect();
  assert.equal(live(), base + 1);
  assert.deepEqual(await pending[0], { ok: 'late' });
  assert.deepEqual(await pending[1], { value: null });
  await collect();
  assert.ok(await until(() => live() === base), `live runtimes ${live()}, expected ${base}`);
});

function runNode(code) {
  const t0 = Date.now();
  const out = execFileSync(process.execPath, ['-e', code], {
    cwd: repo, encoding: 'utf8', timeout: 20000, env: process.env,
  });
  return { out, ms: Date.now() - t0 };
}

test('a process with an idle runtime and a host handler exits on its own', () => {
  const { out, ms } = runNode(`
    const { Runtime } = require(${JSON.stringify(path.join(repo, 'bindings', 'node'))});
    const rt = new Runtime();
    rt.setHostHandler(async () => ({}));
    rt.createSession({ manifest: ${JSON.stringify(M)} }).callSync('storage', 'get', { key: 'k' });
    console.log('done');
  `);
  assert.equal(out.trim(), 'done');
  assert.ok(ms < 10000, `exit took ${ms} ms`);
});

test('a pending call keeps the process alive until it settles', () => {
  const { out } = runNode(`
    const { Runtime } = require(${JSON.stringify(path.join(repo, 'bindings', 'node'))});
    const rt = new Runtime();
    rt.setHostHandler(() => new Promise((r) => setTimeout(() => r({ text: 'answered' }), 300).unref()));
    const s = rt.createSession({ manifest: ${JSON.stringify(M)} });
    s.call('llm', 'complete', { messages: [] }).then((r) => console.log(r.text));
  `);
  assert.equal(out.trim(), 'answered');
});
