'use strict';
// annaruntime for Node: the Anna App local runtime in-process (no bridge
// process). The native part (addon.c) moves JSON text in and out of
// libannaruntime; this file gives it a JS shape:
//
//   const { Runtime } = require('./bindings/node');
//   const rt = new Runtime({ token_ttl_seconds: 30 });
//   const s = rt.createSession({ user_id: 1, manifest });
//   await s.call('storage', 'set', { key: 'k', value: 1 });
//   rt.setHostHandler(async (method, params) => ({ ... }));
//   await rt.close();
//
// See README.md for the JSON mapping (NaN/Infinity, big integers), errors and
// the threading model.

const path = require('path');
const { parse, stringify } = require('./json');

function loadBinding() {
  const file = path.join(__dirname, 'build', 'annaruntime.node');
  try {
    return require(file);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND') {
      e.message = `annaruntime: ${file} is not built; run bindings/node/build.sh (or make build)\n${e.message}`;
    }
    throw e;
  }
}

const binding = loadBinding();
const kNative = Symbol('annaruntime.native');

// Namespaces whose session.call may wait (a plugin process, or the host
// handler): they always get their own worker thread. Everything else runs in
// microseconds on a small shared set of threads.
const BLOCKING_NAMESPACES = new Set(['tools', 'llm', 'agent', 'image', 'video', 'music', 'audio', 'upload', 'web']);

// ---- errors ----------------------------------------------------------------

/** Base class: every error the runtime reports, with `code` and `details`. */
class AnnaError extends Error {
  constructor(message, code, details, options) {
    super(message, options);
    this.name = 'AnnaError';
    this.code = code;
    this.details = details && typeof details === 'object' ? details : {};
  }

  /** `{code, message, details}`, as the app sees a host error. */
  toDict() {
    return { code: this.code, message: this.message, details: this.details };
  }

  toJSON() {
    return this.toDict();
  }
}

/** A host error of session.call (`{"ok": false, "error": {...}}`): `code` is a string. */
class SessionError extends AnnaError {
  constructor(message, code, details) {
    super(message, code, details);
    this.name = 'SessionError';
  }
}

/** A JSON-RPC error of the bridge protocol: `code` is a number, `details` its `data`. */
class RpcError extends AnnaError {
  constructor(message, code, data) {
    super(message, code, data);
    this.name = 'RpcError';
    this.data = data === undefined ? null : data;
  }
}

/** A dev-token verification failure: `code` is 'dev_token_error'. */
class DevTokenError extends AnnaError {
  constructor(message, code = 'dev_token_error', details) {
    super(message, code, details);
    this.name = 'DevTokenError';
  }
}

function str(v, fallback) {
  return typeof v === 'string' ? v : v === undefined || v === null ? fallback : String(v);
}

function sessionError(e) {
  e = e && typeof e === 'object' ? e : {};
  return new SessionError(str(e.message, 'unknown error'), str(e.code, 'unknown'), e.details);
}

function rpcError(e) {
  e = e && typeof e === 'object' ? e : {};
  return new RpcError(str(e.message, 'unknown error'), typeof e.code === 'number' ? e.code : e.code, e.data);
}

function plainError(e, Cls = AnnaError) {
  e = e && typeof e === 'object' ? e : {};
  return new Cls(str(e.message, 'unknown error'), str(e.code, 'unknown'), e.details);
}

// ---- response handling ----------------------------------------------------------

function rpcResult(text) {
  const r = parse(text);
  if (r.error !== undefined) throw rpcError(r.error);
  return r.result;
}

/** session.call's result: the handler result, or a SessionError. */
function unwrapCall(text) {
  const r = parse(text);
  if (r.error !== undefined) throw rpcError(r.error);
  const res = r.result;
  if (res.ok === true) return res.result;
  throw sessionError(res.error);
}

function requestMayBlock(req) {
  if (!req || typeof req !== 'object' || req.method !== 'session.call') return false;
  const p = req.params;
  return !!p && typeof p === 'object' && BLOCKING_NAMESPACES.has(p.ns);
}

const RAW_NS = /"ns"\s*:\s*"([A-Za-z_]*)"/;
function rawMayBlock(text) {
  if (!text.includes('session.call')) return false;
  const m = RAW_NS.exec(text);
  return !m || BLOCKING_NAMESPACES.has(m[1]);
}

function rejected(e) {
  return Promise.reject(e);
}

// Host-handler errors -> JSON-RPC error replies. The library turns
// {"code", "message", "data": {"errorCode": C, ...}} into the app-visible
// error {code: C, message, details: data}.
function errorReply(err) {
  const e = err && typeof err === 'object' ? err : {};
  let data = {};
  if (e.data && typeof e.data === 'object' && !Array.isArray(e.data)) data = { ...e.data };
  else if (e.details && typeof e.details === 'object' && !Array.isArray(e.details)) data = { ...e.details };
  let code = -32000;
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    code = e.code;
  } else if (typeof e.code === 'string' && e.code && data.errorCode === undefined) {
    data.errorCode = e.code;
  }
  if (data.errorCode === undefined && code === -32000) data.errorCode = 'host_error';
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : e.message !== undefined ? String(e.message) : String(err);
  try {
    return stringify({ error: { code, message, data } });
  } catch (_) {
    return stringify({ error: { code, message, data: { errorCode: data.errorCode || 'host_error' } } });
  }
}

function rpcText(method, params) {
  return '{"jsonrpc":"2.0","id":0,"method":"' + method + '","params":' + stringify(params) + '}';
}

// ---- Runtime ------------------------------------------------------------------

class Runtime {
  #native;
  #handler = null;

  /**
   * @param {object} [config] anna_runtime_new keys: dev_key_path,
   *   token_ttl_seconds, host_call_timeout_ms, storage_mode, web_mode, schema_dir.
   */
  constructor(config = {}) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw new TypeError('config must be an object');
    }
    try {
      this.#native = new binding.NativeRuntime(stringify(config));
    } catch (e) {
      if (e && e.code === 'ERR_ANNA_CONFIG' && typeof e.json === 'string') {
        let body;
        try {
          body = parse(e.json);
        } catch (_) {
          throw e;
        }
        throw plainError(body && body.error);
      }
      throw e;
    }
  }

  get [kNative]() {
    return this.#native;
  }

  /** True after close(). */
  get closed() {
    return this.#native.isClosed();
  }

  /**
   * One JSON-RPC request of the bridge protocol, on a worker thread. An object
   * resolves to the response object; a string resolves to the response line
   * exactly as the bridge would print it (Python rendering), '' for a blank one.
   */
  call(request) {
    try {
      if (typeof request === 'string') return this.#native.callAsync(request, rawMayBlock(request));
      const text = stringify(request);
      return this.#native.callAsync(text, requestMayBlock(request)).then((r) => (this, parse(r)));
    } catch (e) {
      return rejected(e);
    }
  }

  /** call() on the calling thread. Only for requests that do not block. */
  callSync(request) {
    if (typeof request === 'string') return this.#native.callSync(request);
    return parse(this.#native.callSync(stringify(request)));
  }

  /** executas.register: [{tool_id, project_dir, command?}] -> the registered tool ids. */
  registerExecutas(executas) {
    if (!Array.isArray(executas)) throw new TypeError('executas must be an array');
    return rpcResult(this.#native.callSync(rpcText('executas.register', { executas }))).registered;
  }

  /**
   * session.create. opts: {user_id, manifest, view, entry_payload,
   * runtime_state, app_slug} (camelCase spellings accepted too).
   */
  createSession(opts) {
    if (!opts || typeof opts !== 'object') throw new TypeError('createSession expects an options object');
    const params = {};
    const pick = (snake, camel) => {
      const v = opts[snake] !== undefined ? opts[snake] : camel ? opts[camel] : undefined;
      if (v !== undefined) params[snake] = v;
    };
    pick('user_id', 'userId');
    pick('manifest');
    pick('view');
    pick('entry_payload', 'entryPayload');
    pick('runtime_state', 'runtimeState');
    pick('app_slug', 'appSlug');
    const r = rpcResult(this.#native.callSync(rpcText('session.create', params)));
    return new Session(this, r);
  }

  /**
   * Mints a dev window token with this runtime's key file and TTL default.
   * params: {window_uuid, user_id, app_id?, version_id?, scopes?, ttl_seconds?, now?, key_path?}
   * @returns {{token: string, expiresIn: number}}
   */
  mintDevToken(params) {
    return mintResult(this.#native.mintDevToken(stringify(params)));
  }

  /** Verifies a dev token; returns its payload or throws a DevTokenError. opts: {now?, key_path?} */
  verifyDevToken(token, opts) {
    return verifyResult(this.#native.verifyDevToken(stringify({ ...opts, token })));
  }

  /**
   * Installs the host-call handler: async (method, params) => result, where
   * method is e.g. 'host.llm.complete'. A thrown error becomes a JSON-RPC error
   * reply: err.code (string) -> data.errorCode, err.code (integer) -> the
   * JSON-RPC code, err.data (or err.details) -> data. null removes it.
   */
  setHostHandler(fn) {
    const native = this.#native;
    if (fn === null || fn === undefined) {
      this.#handler = null;
      native.setHostHandler(false);
      native._dispatchHost = undefined;
      return;
    }
    if (typeof fn !== 'function') throw new TypeError('the host handler must be a function');
    this.#handler = fn;
    // A property of the native object, found by the addon at each call; the
    // addon holds the object only weakly, so a handler that closes over the
    // runtime does not keep it alive.
    native._dispatchHost = (id, method, paramsJson, gen) => this.#dispatchHost(id, method, paramsJson, gen);
    native.setHostHandler(true);
  }

  #dispatchHost(id, method, paramsJson, gen) {
    const native = this.#native;
    const fn = this.#handler;
    let p;
    try {
      if (!fn) throw new AnnaError('no host handler is installed', 'host_unavailable');
      p = Promise.resolve(fn(method, parse(paramsJson)));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (result) => {
        let text;
        try {
          text = '{"result":' + stringify(result === undefined ? {} : result) + '}';
        } catch (e) {
          text = errorReply(e);
        }
        native.hostReply(id, gen, text);
      },
      (err) => {
        native.hostReply(id, gen, errorReply(err));
      },
    );
  }

  /**
   * Frees the native runtime (sessions, plugin processes, waiting host calls
   * fail with host_unavailable). Calls already started finish first; the
   * Promise resolves once everything is freed. Idempotent.
   */
  close() {
    this.#handler = null;
    return this.#native.close();
  }
}

// ---- Session ------------------------------------------------------------------

class Session {
  #runtime;
  #native;
  #prefix;
  #sidJson;

  constructor(runtime, r) {
    this.#runtime = runtime;
    this.#native = runtime[kNative];
    /** @type {string} */ this.sessionId = r.session_id;
    /** @type {string} */ this.windowUuid = r.window_uuid;
    /** @type {string} */ this.token = r.token;
    /** @type {number} */ this.expiresIn = r.expires_in;
    /** @type {string} */ this.view = r.view;
    /** @type {object|null} */ this.viewMeta = r.view_meta;
    this.#sidJson = JSON.stringify(r.session_id);
    this.#prefix = '{"jsonrpc":"2.0","id":0,"method":"session.call","params":{"session_id":' + this.#sidJson + ',"ns":';
  }

  get runtime() {
    return this.#runtime;
  }

  #request(ns, method, args) {
    return this.#prefix + (typeof ns === 'string' ? JSON.stringify(ns) : stringify(ns)) +
      ',"method":' + (typeof method === 'string' ? JSON.stringify(method) : stringify(method)) +
      ',"args":' + (args === undefined ? '{}' : stringify(args)) + '}}';
  }

  /**
   * Calls a host method on a worker thread. Resolves with the handler's
   * result; rejects with a SessionError (code/message/details) for a host
   * error, an RpcError for a protocol error (e.g. a closed session).
   */
  call(ns, method, args) {
    try {
      const req = this.#request(ns, method, args);
      const runtime = this.#runtime; // kept alive while the call is pending
      return this.#native.callAsync(req, BLOCKING_NAMESPACES.has(ns)).then((t) => (runtime, unwrapCall(t)));
    } catch (e) {
      return rejected(e);
    }
  }

  /** call() on the calling thread: for cheap methods (storage.*, window.*, ...). */
  callSync(ns, method, args) {
    return unwrapCall(this.#native.callSync(this.#request(ns, method, args)));
  }

  #rpc(method) {
    return rpcResult(this.#native.callSync('{"jsonrpc":"2.0","id":0,"method":"' + method + '","params":{"session_id":' + this.#sidJson + '}}'));
  }

  /** Every queued event of the runtime's store (not only this session's), emptying the queue. */
  drainEvents() {
    return this.#rpc('session.drain_events').events;
  }

  /** A fresh window token; also updates this.token / this.expiresIn. */
  refreshToken() {
    const r = this.#rpc('session.refresh_token');
    this.token = r.token;
    this.expiresIn = r.expires_in;
    return { token: r.token, expiresIn: r.expires_in };
  }

  /** Forgets the session handle (the window record stays in the store). */
  close() {
    this.#rpc('session.close');
  }

  toJSON() {
    return {
      sessionId: this.sessionId, windowUuid: this.windowUuid, token: this.token,
      expiresIn: this.expiresIn, view: this.view, viewMeta: this.viewMeta,
    };
  }
}

// ---- tokens without a runtime ----------------------------------------------------

function mintResult(text) {
  const r = parse(text);
  if (r.error !== undefined) throw plainError(r.error);
  return { token: r.token, expiresIn: r.expires_in };
}

function verifyResult(text) {
  const r = parse(text);
  if (r.error !== undefined) {
    const e = r.error && typeof r.error === 'object' ? r.error : {};
    throw new DevTokenError(str(e.message, 'invalid token'), str(e.code, 'dev_token_error'));
  }
  return r.payload;
}

/** mintDevToken with the key of $ANNA_APP_DEV_KEY or ~/.anna-app/dev.key (or params.key_path). */
function mintDevToken(params) {
  return mintResult(binding.mintDevToken(stringify(params)));
}

/** verifyDevToken without a runtime. opts: {now?, key_path?} */
function verifyDevToken(token, opts) {
  return verifyResult(binding.verifyDevToken(stringify({ ...opts, token })));
}

module.exports = {
  Runtime,
  Session,
  AnnaError,
  SessionError,
  LocalSessionError: SessionError,
  RpcError,
  DevTokenError,
  mintDevToken,
  verifyDevToken,
  parse,
  stringify,
  BLOCKING_NAMESPACES,
  version: binding.version,
  dispatcherVersion: binding.dispatcherVersion,
  /** Native counters (live runtimes, worker threads) for tests and diagnostics. */
  stats: () => binding.stats(),
};
