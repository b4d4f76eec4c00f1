'use strict';
// Every public function of bindings/node: Runtime, Session, tokens, the raw
// bridge-protocol call, and the error classes.
const test = require('node:test');
const assert = require('node:assert/strict');
const { anna, manifest, vectorKeyPath } = require('./_helpers');
const { Runtime, Session, AnnaError, SessionError, RpcError, DevTokenError, LocalSessionError } = anna;

const M = manifest({ storage: ['*'], window: ['*'] });

test('versions', () => {
  assert.match(anna.version, /^\d+\.\d+\.\d+/);
  assert.equal(anna.dispatcherVersion, '0.30.0');
  assert.equal(LocalSessionError, SessionError);
  assert.ok(anna.BLOCKING_NAMESPACES.has('tools') && anna.BLOCKING_NAMESPACES.has('llm'));
  assert.ok(!anna.BLOCKING_NAMESPACES.has('storage'));
});

test('new Runtime: defaults, config keys, config errors', async () => {
  const rt = new Runtime();
  assert.equal(rt.closed, false);
  await rt.close();
  const rt2 = new Runtime({ token_ttl_seconds: 60, host_call_timeout_ms: 1000, storage_mode: 'legacy', web_mode: 'local' });
  assert.equal(rt2.createSession({ manifest: M }).expiresIn, 60);
  await rt2.close();

  assert.throws(() => new Runtime({ bogus: 1 }), (e) => {
    assert.ok(e instanceof AnnaError);
    assert.equal(typeof e.code, 'string');
    assert.match(e.message, /bogus/);
    assert.deepEqual(e.details, {});
    return true;
  });
  assert.throws(() => new Runtime({ storage_mode: 'nope' }), AnnaError);
  assert.throws(() => new Runtime(null), TypeError);
  assert.throws(() => new Runtime('{}'), TypeError);
  assert.throws(() => new Runtime([]), TypeError);
});

test('createSession: fields, options, errors', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ user_id: 7, manifest: M, app_slug: 'demo', entry_payload: { a: 1 }, runtime_state: { b: 2 } });
  assert.ok(s instanceof Session);
  assert.match(s.sessionId, /^sess-\d+$/);
  assert.match(s.windowUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(typeof s.token, 'string');
  assert.equal(s.expiresIn, 30);
  assert.equal(s.view, 'main');
  assert.equal(s.viewMeta.name, 'main');
  assert.equal(s.viewMeta.title, 'Main');
  assert.equal(s.runtime, rt);
  assert.deepEqual(Object.keys(s.toJSON()), ['sessionId', 'windowUuid', 'token', 'expiresIn', 'view', 'viewMeta']);
  const payload = rt.verifyDevToken(s.token);
  assert.equal(payload.uid, 7);
  assert.equal(payload.wid, s.windowUuid);
  assert.equal(payload.aid, 1);

  // camelCase spellings are accepted
  const s2 = rt.createSession({ userId: 9, manifest: M, entryPayload: { x: 1 } });
  assert.equal(rt.verifyDevToken(s2.token).uid, 9);
  assert.notEqual(s2.sessionId, s.sessionId);

  assert.throws(() => rt.createSession({}), (e) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, -32602);
    assert.equal(e.message, "missing required param: 'manifest'");
    return true;
  });
  assert.throws(() => rt.createSession({ manifest: { schema: 1, bogus: 1 } }), (e) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, -32603);
    assert.match(e.message, /^internal: /);
    assert.equal(typeof e.details, 'object');
    return true;
  });
  assert.throws(() => rt.createSession(), TypeError);
});

test('session.call / callSync: results and host errors', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  assert.deepEqual(await s.call('storage', 'set', { key: 'k', value: { a: [1, 2], s: 'héllo' } }), { ok: true });
  assert.deepEqual(await s.call('storage', 'get', { key: 'k' }), { value: { a: [1, 2], s: 'héllo' } });
  assert.deepEqual(s.callSync('storage', 'get', { key: 'k' }), { value: { a: [1, 2], s: 'héllo' } });
  assert.deepEqual(s.callSync('storage', 'get', { key: 'missing' }), { value: null });
  assert.deepEqual(await s.call('storage', 'delete', { key: 'k' }), { ok: true });

  // A host error rejects with a SessionError carrying code/message/details.
  await assert.rejects(s.call('storage', 'get', {}), (e) => {
    assert.ok(e instanceof SessionError);
    assert.ok(e instanceof AnnaError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'invalid_arg');
    assert.equal(e.message, 'key required');
    assert.deepEqual(e.details, {});
    assert.deepEqual(e.toDict(), { code: 'invalid_arg', message: 'key required', details: {} });
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e.toDict());
    return true;
  });
  await assert.rejects(s.call('llm', 'complete', {}), { name: 'SessionError', code: 'permission_denied', message: "manifest does not grant 'llm.complete'" });
  assert.throws(() => s.callSync('llm', 'complete', {}), { name: 'SessionError', code: 'permission_denied' });
  // args omitted -> {}
  await assert.rejects(s.call('storage', 'get'), { code: 'invalid_arg' });
  // Not serialisable -> a rejection, not a synchronous throw.
  const cyclic = {};
  cyclic.self = cyclic;
  const p = s.call('storage', 'set', { key: 'c', value: cyclic });
  assert.ok(p instanceof Promise);
  await assert.rejects(p, TypeError);
  assert.throws(() => s.callSync('storage', 'set', { key: 'c', value: cyclic }), TypeError);
});

test('drainEvents, refreshToken, close', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: M });
  s.drainEvents();
  await s.call('storage', 'set', { key: 'greeting', value: 'hi' });
  const events = s.drainEvents();
  assert.ok(Array.isArray(events));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'runtime_state_synced');
  assert.equal(events[0].payload.window_uuid, s.windowUuid);
  assert.deepEqual(s.drainEvents(), []);

  const before = s.token;
  const r = s.refreshToken();
  assert.deepEqual(Object.keys(r), ['token', 'expiresIn']);
  assert.equal(r.expiresIn, 30);
  assert.equal(s.token, r.token);
  assert.equal(rt.verifyDevToken(r.token).wid, rt.verifyDevToken(before).wid);

  s.close();
  s.close(); // unknown ids are not an error (BR-M-CLOSE-1)
  await assert.rejects(s.call('storage', 'get', { key: 'k' }), (e) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, -32602);
    assert.equal(e.message, `unknown session_id: ${s.sessionId}`);
    assert.deepEqual(e.details, {});
    return true;
  });
  assert.throws(() => s.callSync('storage', 'get', { key: 'k' }), { name: 'RpcError', code: -32602 });
  assert.throws(() => s.drainEvents(), { name: 'RpcError', code: -32602 });
  assert.throws(() => s.refreshToken(), { name: 'RpcError', code: -32602 });
});

test('runtime.call / callSync: raw bridge protocol', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  assert.deepEqual(await rt.call({ jsonrpc: '2.0', id: 5, method: 'ping' }), { jsonrpc: '2.0', id: 5, result: { pong: true } });
  assert.equal(await rt.call('{"jsonrpc":"2.0","id":1,"method":"ping"}'), '{"jsonrpc": "2.0", "id": 1, "result": {"pong": true}}');
  assert.equal(await rt.call('   '), '');
  assert.equal(rt.callSync('not json'), '{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}');
  assert.deepEqual(rt.callSync({ jsonrpc: '2.0', id: 2, method: 'bogus' }),
    { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'method not found: bogus' } });
  const created = rt.callSync({ jsonrpc: '2.0', id: 3, method: 'session.create', params: { manifest: M } });
  const sid = created.result.session_id;
  const line = await rt.call(`{"jsonrpc":"2.0","id":4,"method":"session.call","params":{"session_id":"${sid}","ns":"storage","method":"set","args":{"key":"x","value":"héllo"}}}`);
  assert.equal(line, '{"jsonrpc": "2.0", "id": 4, "result": {"ok": true, "result": {"ok": true}}}');
  assert.equal(rt.callSync(`{"jsonrpc":"2.0","id":5,"method":"session.call","params":{"session_id":"${sid}","ns":"storage","method":"get","args":{"key":"x"}}}`),
    '{"jsonrpc": "2.0", "id": 5, "result": {"ok": true, "result": {"value": "h\\u00e9llo"}}}');
  // Host errors of session.call are results there, not rejections.
  const r = await rt.call({ jsonrpc: '2.0', id: 6, method: 'session.call', params: { session_id: sid, ns: 'llm', method: 'complete' } });
  assert.equal(r.result.ok, false);
  assert.equal(r.result.error.code, 'permission_denied');
  // Not an object: stringified as is, and the runtime answers -32600.
  assert.deepEqual(await rt.call(42), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request must be an object' } });
});

test('registerExecutas: result and errors; tools.invoke of an unregistered tool is not_implemented', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  assert.deepEqual(rt.registerExecutas([]), []);
  assert.deepEqual(rt.registerExecutas([{ tool_id: 'tool-a', project_dir: '/tmp' }, { tool_id: 'tool-a', project_dir: '/tmp', command: ['/bin/true'] }]),
    ['tool-a', 'tool-a']);
  assert.throws(() => rt.registerExecutas([{ project_dir: '/tmp' }]), { name: 'RpcError', code: -32602, message: "missing required param: 'tool_id'" });
  assert.throws(() => rt.registerExecutas([{ tool_id: 'x' }]), { name: 'RpcError', code: -32602, message: "missing required param: 'project_dir'" });
  assert.throws(() => rt.registerExecutas('tool-a'), TypeError);

  const s = rt.createSession({ manifest: manifest({ tools: ['required:*'] }, { required_executas: [{ tool_id: 'tool-unregistered' }] }) });
  await assert.rejects(s.call('tools', 'invoke', { tool_id: 'tool-unregistered', method: 'echo' }), {
    name: 'SessionError', code: 'not_implemented', message: 'tools.invoke is not available in this runtime',
  });
});

test('dev tokens: mint/verify with a runtime and without, spec vectors', async (t) => {
  const keyPath = vectorKeyPath();
  const T1 = 'eyJhaWQiOjEsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDAzMCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1ydW50aW1lLWxvY2FsIiwic2NvcGVzIjpbXSwic3ViIjoiMSIsInVpZCI6MSwidmlkIjoxLCJ3aWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDAifQ.f8WWJXxCg5EFHbGN1HZvWyzhkriU99MHiGP3uTZimrw';
  const T3 = 'eyJhaWQiOjMsImF1ZCI6ImFubmEtYXBwLXdpbmRvdyIsImV4cCI6MTcwMDAwMDA2MCwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJhbm5hLWFwcC1ydW50aW1lLWxvY2FsIiwic2NvcGVzIjpbInN0b3JhZ2UuZ2V0IiwiYSJdLCJzdWIiOiI3IiwidWlkIjo3LCJ2aWQiOjQsIndpZCI6IndcdTAwZTkifQ.wpVsj_bZLX2_1mwfb6x3mjacz46tqV9Aeko-U9nqsJA';
  const now = 1700000000.9;
  const t1 = { window_uuid: '00000000-0000-4000-8000-000000000000', user_id: 1, app_id: 1, version_id: 1, now, key_path: keyPath };
  const t3 = { window_uuid: 'wé', user_id: 7, app_id: 3, version_id: 4, scopes: ['storage.get', 'a'], ttl_seconds: 60, now, key_path: keyPath };

  assert.deepEqual(anna.mintDevToken(t1), { token: T1, expiresIn: 30 });
  assert.deepEqual(anna.mintDevToken(t3), { token: T3, expiresIn: 60 });
  const rt = new Runtime({ dev_key_path: keyPath });
  t.after(() => rt.close());
  assert.deepEqual(rt.mintDevToken({ ...t1, key_path: undefined }), { token: T1, expiresIn: 30 });

  const p = rt.verifyDevToken(T1, { now: 1700000000 });
  assert.deepEqual(p, { aid: 1, aud: 'anna-app-window', exp: 1700000030, iat: 1700000000, iss: 'anna-app-runtime-local', scopes: [], sub: '1', uid: 1, vid: 1, wid: '00000000-0000-4000-8000-000000000000' });
  assert.equal(anna.verifyDevToken(T3, { now: 1700000000, key_path: keyPath }).wid, 'wé');
  assert.equal(rt.verifyDevToken(T1, { now: 1700000030.999 }).uid, 1);

  const cases = [
    [T1, { now: 1700000031 }, 'token expired'],
    ['nodot', {}, 'malformed token'],
    [123, {}, 'malformed token'],
    [T1 + 'x', { now: 1700000000 }, 'bad signature'],
    ['abcde.xyz', {}, /^base64 decode failed: /],
  ];
  for (const [token, opts, message] of cases) {
    assert.throws(() => rt.verifyDevToken(token, opts), (e) => {
      assert.ok(e instanceof DevTokenError);
      assert.ok(e instanceof AnnaError);
      assert.equal(e.code, 'dev_token_error');
      if (message instanceof RegExp) assert.match(e.message, message);
      else assert.equal(e.message, message);
      return true;
    });
  }
  assert.throws(() => anna.verifyDevToken('nodot'), { name: 'DevTokenError', code: 'dev_token_error', message: 'malformed token' });
  // a mint error (bad params) is an AnnaError, not a crash
  assert.throws(() => anna.mintDevToken({ user_id: 1 }), AnnaError);
  assert.throws(() => anna.mintDevToken(null), AnnaError);
});

test('stats', () => {
  const s = anna.stats();
  for (const k of ['liveRuntimes', 'poolThreads', 'poolIdle', 'poolQueued', 'poolBlocking']) assert.equal(typeof s[k], 'number');
});
