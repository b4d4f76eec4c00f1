'use strict';
// No leak across 100k calls: memory stays flat (sync, async, host calls,
// runtime churn). Each check warms up first, then compares memory before
// and after the measured batch, after a full GC.
const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('v8');
const vm = require('vm');
const { anna, manifest, sleep } = require('./_helpers');
const { Runtime } = anna;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const M = manifest({ storage: ['*'], llm: ['complete'] });
const MB = 1024 * 1024;
// Native memory: RSS minus the physical size of V8's heap. Under allocation
// pressure V8 grows its young generation by up to ~32 MB whether or not
// anything leaks, which would hide (or fake) a native leak in plain RSS.
const NATIVE_LIMIT = 8 * MB;
const HEAP_LIMIT = 8 * MB; // live JS objects after a full GC
const RSS_LIMIT = 48 * MB; // plain RSS, loose: includes V8's heap growth
// Bytes in use by malloc (glibc mallinfo2, through stats()): exact, so a
// leak of even a few bytes per call shows up over 100k calls.
const MALLOC_LIMIT_PER_CALL = 8;

async function snapshot() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(5);
  }
  const rss = process.memoryUsage().rss;
  const h = v8.getHeapStatistics();
  return { rss, native: rss - h.total_physical_size, heap: h.used_heap_size, malloc: anna.stats().mallocInUse };
}

async function measure(label, warmup, run, { calls, mallocPerCall = MALLOC_LIMIT_PER_CALL }) {
  await warmup();
  const a = await snapshot();
  await run();
  const b = await snapshot();
  const mb = (x) => (x / MB).toFixed(1);
  const perCall = a.malloc === undefined ? undefined : (b.malloc - a.malloc) / calls;
  console.log(`# ${label}: native ${mb(a.native)} -> ${mb(b.native)} MB, JS heap ${mb(a.heap)} -> ${mb(b.heap)} MB, ` +
    `RSS ${mb(a.rss)} -> ${mb(b.rss)} MB` + (perCall === undefined ? '' : `, malloc in use ${perCall.toFixed(2)} B/call`));
  if (perCall !== undefined) assert.ok(perCall < mallocPerCall, `${label}: malloc in use grew by ${perCall.toFixed(1)} bytes per call`);
  assert.ok(b.native - a.native < NATIVE_LIMIT, `${label}: native memory grew by ${mb(b.native - a.native)} MB`);
  assert.ok(b.heap - a.heap < HEAP_LIMIT, `${label}: JS heap grew by ${mb(b.heap - a.heap)} MB`);
  assert.ok(b.rss - a.rss < RSS_LIMIT, `${label}: RSS grew by ${mb(b.rss - a.rss)} MB`);
}

test('100k sync calls', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  s.callSync('storage', 'set', { key: 'k', value: { a: [1, 2, 3], s: 'x'.repeat(100) } });
  const batch = (n) => {
    for (let i = 0; i < n; i++) s.callSync('storage', 'get', { key: 'k' });
  };
  await measure('100k sync storage.get', () => batch(20000), () => batch(100000), { calls: 100000 });
});

test('100k async calls (1000 in flight)', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  s.callSync('storage', 'set', { key: 'k', value: { a: [1, 2, 3] } });
  const batch = async (n) => {
    for (let done = 0; done < n; done += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) =>
        i % 10 === 0 ? s.call('storage', 'get', {}).catch((e) => e.code) : s.call('storage', 'get', { key: 'k' })));
    }
  };
  await measure('100k async storage.get (10% errors)', () => batch(150000), () => batch(100000), { calls: 100000 });
});

test('20k host calls through a JS handler (64 in flight)', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  rt.setHostHandler(async (m, p) => {
    if (p.n % 4 === 0) throw Object.assign(new Error('nope'), { code: 'x_fail' });
    return { n: p.n };
  });
  const batch = async (n) => {
    for (let done = 0; done < n; done += 64) {
      await Promise.all(Array.from({ length: 64 }, (_, n) => s.call('llm', 'complete', { messages: [], n }).catch((e) => e.code)));
    }
  };
  await measure('20k host calls', () => batch(20000), () => batch(20000), { calls: 20000, mallocPerCall: 16 });
});

test('2000 runtimes created and closed', async () => {
  const churn = async (n) => {
    for (let i = 0; i < n; i++) {
      const rt = new Runtime();
      rt.setHostHandler(async () => ({}));
      const s = rt.createSession({ manifest: M });
      await s.call('storage', 'set', { key: 'k', value: i });
      await rt.close();
    }
  };
  // A leaked runtime costs well over 1 KB (the library's own state is ~1.4 KB
  // measured from C, plus the addon's box and threadsafe functions); the
  // threadsafe functions are released asynchronously, so a loaded machine
  // shows a few hundred bytes per runtime still in flight. 512 separates them.
  await measure('2000 runtimes', () => churn(1000), () => churn(2000), { calls: 2000, mallocPerCall: 512 });
  assert.equal(anna.stats().liveRuntimes, 0);
});
