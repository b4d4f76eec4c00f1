'use strict';
// The host-call hook as an async JS function (runtime.setHostHandler):
// replies, errors, removal, timeouts, concurrency, and the event loop staying
// responsive while a host call waits.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const { anna, manifest, sleep, withTicker, tmp } = require('./_helpers');
const { Runtime, SessionError } = anna;

const M = manifest({ storage: ['*'], llm: ['complete'], image: ['*'] });
const ARGS = { messages: [{ role: 'user', content: { type: 'text', text: 'héllo' } }], maxTokens: 5 };

function setup(t, config) {
  const rt = new Runtime(config);
  t.after(() => rt.close());
  return { rt, s: rt.createSession({ manifest: M }) };
}

test('without a handler delegated methods are not_implemented', async (t) => {
  const { s } = setup(t);
  await assert.rejects(s.call('llm', 'complete', ARGS), { name: 'SessionError', code: 'not_implemented', message: 'llm.complete not wired in this runtime' });
});

test('the handler gets the method and parsed params; its result resolves the call', async (t) => {
  const { rt, s } = setup(t);
  const seen = [];
  rt.setHostHandler(async (method, params) => {
    seen.push([method, params]);
    await sleep(5);
    return { role: 'assistant', content: { type: 'text', text: 'hi!' }, n: NaN, big: 2n ** 64n };
  });
  const r = await s.call('llm', 'complete', ARGS);
  assert.deepEqual(seen, [['host.llm.complete', ARGS]]);
  assert.equal(r.content.text, 'hi!');
  assert.ok(Number.isNaN(r.n));
  assert.equal(r.big, 2n ** 64n);

  // a plain (non-async) function works too, and a non-object result becomes {}
  rt.setHostHandler(() => 42);
  assert.deepEqual(await s.call('llm', 'complete', ARGS), {});
  rt.setHostHandler(async () => undefined);
  assert.deepEqual(await s.call('llm', 'complete', ARGS), {});
  rt.setHostHandler(async () => [1, 2]);
  assert.deepEqual(await s.call('llm', 'complete', ARGS), {});
});

test('thrown errors become JSON-RPC error replies -> SessionError code/details', async (t) => {
  const { rt, s } = setup(t);
  const cases = [
    [() => Object.assign(new Error('slow down'), { code: 'rate_limited', data: { retry_after: 2 } }),
      { code: 'rate_limited', message: 'slow down', details: { retry_after: 2, errorCode: 'rate_limited' } }],
    [() => Object.assign(new Error('bad params'), { code: -32602 }),
      { code: 'jsonrpc_-32602', message: 'bad params', details: {} }],
    [() => Object.assign(new Error('with errorCode'), { code: -32001, data: { errorCode: 'quota_exceeded', limit: 3 } }),
      { code: 'quota_exceeded', message: 'with errorCode', details: { errorCode: 'quota_exceeded', limit: 3 } }],
    [() => Object.assign(new Error('details too'), { code: 'x_err', details: { a: 1 } }),
      { code: 'x_err', message: 'details too', details: { a: 1, errorCode: 'x_err' } }],
    [() => new Error('plain'), { code: 'host_error', message: 'plain', details: { errorCode: 'host_error' } }],
    [() => 'just a string', { code: 'host_error', message: 'just a string', details: { errorCode: 'host_error' } }],
  ];
  for (const [make, expected] of cases) {
    rt.setHostHandler(async () => { throw make(); });
    await assert.rejects(s.call('llm', 'complete', ARGS), (e) => {
      assert.ok(e instanceof SessionError);
      assert.deepEqual(e.toDict(), expected);
      return true;
    });
    // a synchronous throw is the same
    rt.setHostHandler(() => { throw make(); });
    await assert.rejects(s.call('llm', 'complete', ARGS), (e) => {
      assert.deepEqual(e.toDict(), expected);
      return true;
    });
  }
  // an unserialisable result is reported, not lost
  rt.setHostHandler(async () => { const o = {}; o.o = o; return o; });
  await assert.rejects(s.call('llm', 'complete', ARGS), { name: 'SessionError', code: 'host_error' });
});

test('removing and replacing the handler', async (t) => {
  const { rt, s } = setup(t);
  rt.setHostHandler(async () => ({ who: 'first' }));
  assert.deepEqual(await s.call('llm', 'complete', ARGS), { who: 'first' });
  rt.setHostHandler(async () => ({ who: 'second' }));
  assert.deepEqual(await s.call('image', 'generate', { prompt: 'x' }), { who: 'second' });
  rt.setHostHandler(null);
  await assert.rejects(s.call('llm', 'complete', ARGS), { code: 'not_implemented' });
  rt.setHostHandler(async (m) => ({ m }));
  assert.deepEqual(await s.call('llm', 'complete', ARGS), { m: 'host.llm.complete' });
  assert.throws(() => rt.setHostHandler('nope'), TypeError);
});

test('callSync of a delegated method cannot wait for JS: host_unavailable', async (t) => {
  const { rt, s } = setup(t);
  let called = false;
  rt.setHostHandler(async () => { called = true; return {}; });
  assert.throws(() => s.callSync('llm', 'complete', ARGS), (e) => {
    assert.ok(e instanceof SessionError);
    assert.equal(e.code, 'host_unavailable');
    assert.match(e.message, /callSync/);
    return true;
  });
  assert.equal(called, false);
  assert.deepEqual(await s.call('storage', 'get', { key: 'k' }), { value: null });
});

test('the event loop keeps ticking while a host call takes 1 s', async (t) => {
  const { rt, s } = setup(t);
  rt.setHostHandler(async () => {
    await sleep(1000);
    return { done: true };
  });
  const t0 = performance.now();
  const { result, maxGap, ticks } = await withTicker(() => s.call('llm', 'complete', ARGS));
  const elapsed = performance.now() - t0;
  assert.deepEqual(result, { done: true });
  assert.ok(elapsed >= 990, `elapsed ${elapsed}`);
  // A blocked loop would show the whole host call as one gap.
  assert.ok(maxGap < 500, `max gap between 10 ms ticks was ${maxGap.toFixed(1)} ms`);
  assert.ok(ticks >= 50, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
});

test('many host calls wait at once (not limited by a thread pool)', async (t) => {
  const { rt, s } = setup(t);
  let inside = 0;
  let peak = 0;
  rt.setHostHandler(async (m, p) => {
    inside++;
    peak = Math.max(peak, inside);
    await sleep(300);
    inside--;
    return { i: p.i };
  });
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: 64 }, (_, i) => s.call('llm', 'complete', { ...ARGS, i })));
  const elapsed = performance.now() - t0;
  assert.deepEqual(results.map((r) => r.i), Array.from({ length: 64 }, (_, i) => i));
  assert.equal(peak, 64);
  // Serialised they would take 19 s.
  assert.ok(elapsed < 8000, `64 concurrent 300 ms host calls took ${elapsed.toFixed(0)} ms`);
});

test('a handler that needs the libuv threadpool (fs, crypto) does not deadlock', async (t) => {
  const { rt, s } = setup(t);
  const file = path.join(tmp, 'fixture.json');
  fs.writeFileSync(file, JSON.stringify({ text: 'from disk' }));
  rt.setHostHandler(async () => {
    const data = JSON.parse(await fs.promises.readFile(file, 'utf8'));
    await new Promise((resolve, reject) => crypto.pbkdf2('pw', 'salt', 1000, 16, 'sha256', (e) => (e ? reject(e) : resolve())));
    return data;
  });
  const results = await Promise.all(Array.from({ length: 32 }, () => s.call('llm', 'complete', ARGS)));
  assert.equal(results.length, 32);
  for (const r of results) assert.deepEqual(r, { text: 'from disk' });
});

test('host_call_timeout_ms: a handler that never answers -> host_timeout', async (t) => {
  const { rt, s } = setup(t, { host_call_timeout_ms: 200 });
  rt.setHostHandler(() => new Promise(() => {}));
  const t0 = performance.now();
  await assert.rejects(s.call('llm', 'complete', ARGS), (e) => {
    assert.ok(e instanceof SessionError);
    assert.equal(e.code, 'host_timeout');
    return true;
  });
  assert.ok(performance.now() - t0 < 2000);
});

test('close() while a host call waits: the call fails host_unavailable, the late reply is dropped', async () => {
  const rt = new Runtime();
  const s = rt.createSession({ manifest: M });
  let release;
  const gate = new Promise((r) => { release = r; });
  let entered;
  const inHandler = new Promise((r) => { entered = r; });
  rt.setHostHandler(async () => {
    entered();
    await gate;
    return { late: true };
  });
  const call = s.call('llm', 'complete', ARGS);
  await inHandler;
  const closing = rt.close();
  await assert.rejects(call, { name: 'SessionError', code: 'host_unavailable' });
  await closing;
  assert.equal(rt.closed, true);
  release(); // the handler settles after close: its reply goes nowhere
  await sleep(20);
  await assert.rejects(s.call('llm', 'complete', ARGS), { code: 'ERR_ANNA_CLOSED' });
});

test('a late answer of a removed handler never reaches a newer call', async (t) => {
  const { rt, s } = setup(t);
  let releaseOld;
  const oldGate = new Promise((r) => { releaseOld = r; });
  let oldEntered;
  const inOld = new Promise((r) => { oldEntered = r; });
  rt.setHostHandler(async () => {
    oldEntered();
    await oldGate;
    return { from: 'old' };
  });
  const first = s.call('llm', 'complete', ARGS);
  await inOld;
  rt.setHostHandler(null); // the waiting call fails now
  await assert.rejects(first, { code: 'host_unavailable' });

  // The library numbers calls per installation: the next call may get the
  // same id as the old one. The old handler's late answer must not resolve it.
  let releaseNew;
  const newGate = new Promise((r) => { releaseNew = r; });
  let newEntered;
  const inNew = new Promise((r) => { newEntered = r; });
  rt.setHostHandler(async () => {
    newEntered();
    await newGate;
    return { from: 'new' };
  });
  const second = s.call('llm', 'complete', ARGS);
  await inNew;
  releaseOld();
  await sleep(50);
  releaseNew();
  assert.deepEqual(await second, { from: 'new' });
});
