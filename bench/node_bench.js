'use strict';
// node_bench — calls/s of the Node binding (issue 4 targets: >= 200k sync
// storage.get/s, >= 50k async calls/s with many in flight). Prints numbers,
// never passes or fails.
//
//   node bench/node_bench.js [--seconds 2] [--inflight 256]
//
// Each measurement runs for --seconds (after a warm-up) and reports the best
// of 3 rounds, in calls per second of wall time.

const os = require('os');
const path = require('path');
const fs = require('fs');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'anna-node-bench-'));
process.env.HOME = tmp;
process.env.ANNA_APP_DEV_KEY = path.join(tmp, 'dev.key');

const anna = require(path.join(__dirname, '..', 'bindings', 'node'));

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const SECONDS = arg('--seconds', 2);
const INFLIGHT = arg('--inflight', 256);

const manifest = {
  schema: 1,
  ui: {
    bundle: { entry: 'index.html' },
    views: [{ name: 'main', title: 'Main', default: true }],
    host_api: { storage: ['*'], llm: ['complete'] },
  },
};

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

function syncRate(fn) {
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const t0 = now();
    let t;
    do {
      for (let i = 0; i < 1000; i++) fn();
      n += 1000;
      t = now();
    } while (t - t0 < SECONDS);
    best = Math.max(best, n / (t - t0));
  }
  return best;
}

// Keeps `inflight` calls pending: each settled call starts the next one.
async function asyncRate(start, inflight) {
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const t0 = now();
    const deadline = t0 + SECONDS;
    let stop = false;
    async function lane() {
      while (!stop) {
        await start();
        n++;
        if ((n & 255) === 0 && now() >= deadline) stop = true;
      }
    }
    const lanes = [];
    for (let i = 0; i < inflight; i++) lanes.push(lane());
    await Promise.all(lanes);
    best = Math.max(best, n / (now() - t0));
  }
  return best;
}

function fmt(rate) {
  return `${Math.round(rate).toLocaleString('en-US')} calls/s (${(1e6 / rate).toFixed(2)} us/call)`;
}

async function main() {
  const rt = new anna.Runtime({ dev_key_path: path.join(tmp, 'dev.key') });
  const s = rt.createSession({ user_id: 1, manifest });
  s.callSync('storage', 'set', { key: 'k', value: { a: [1, 2, 3], b: 'hello' } });

  console.log(`node ${process.version}, libannaruntime ${anna.version}, ${os.cpus().length} CPUs, ${SECONDS}s per round, best of 3`);

  // warm-up
  for (let i = 0; i < 20000; i++) s.callSync('storage', 'get', { key: 'k' });
  await Promise.all(Array.from({ length: 2000 }, () => s.call('storage', 'get', { key: 'k' })));

  const rawGet = '{"jsonrpc":"2.0","id":1,"method":"session.call","params":{"session_id":"' + s.sessionId +
    '","ns":"storage","method":"get","args":{"key":"k"}}}';

  console.log(`sync  storage.get  session.callSync        ${fmt(syncRate(() => s.callSync('storage', 'get', { key: 'k' })))}`);
  console.log(`sync  storage.get  runtime.callSync(text)  ${fmt(syncRate(() => rt.callSync(rawGet)))}`);
  // storage.set queues a runtime_state_synced event per call: drain them now and then.
  let sets = 0;
  const set = () => {
    s.callSync('storage', 'set', { key: 'k2', value: 1 });
    if (++sets % 10000 === 0) s.drainEvents();
  };
  console.log(`sync  storage.set  session.callSync        ${fmt(syncRate(set))}`);
  s.drainEvents();

  for (const inflight of [1, 16, INFLIGHT]) {
    const rate = await asyncRate(() => s.call('storage', 'get', { key: 'k' }), inflight);
    console.log(`async storage.get  session.call, ${String(inflight).padStart(4)} in flight  ${fmt(rate)}`);
  }
  const rawRate = await asyncRate(() => rt.call(rawGet), INFLIGHT);
  console.log(`async storage.get  runtime.call(text), ${INFLIGHT} in flight  ${fmt(rawRate)}`);

  // Delegated calls through an async JS host handler (worker thread -> JS -> reply).
  rt.setHostHandler(async () => ({ role: 'assistant', content: { type: 'text', text: 'ok' } }));
  const args = { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] };
  const hostRate = await asyncRate(() => s.call('llm', 'complete', args), 64);
  console.log(`async llm.complete via JS host handler, 64 in flight  ${fmt(hostRate)}`);

  await rt.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
