// Type declarations of bindings/node (annaruntime for Node).
//
// JSON mapping (see json.js): the runtime speaks Python's JSON. Bare NaN,
// Infinity and -Infinity map to the JS numbers; integers outside
// +-(2^53 - 1) are read as BigInt (exactly) and a BigInt is written back as
// its digits. Values you pass are serialised like JSON.stringify, plus
// NaN/Infinity/BigInt.

/** Any JSON value as read by the binding (big integers become bigint). */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** anna_runtime_new configuration; every key is optional, unknown keys are an error. */
export interface RuntimeConfig {
  /** HMAC key file for dev tokens; default $ANNA_APP_DEV_KEY, else ~/.anna-app/dev.key */
  dev_key_path?: string;
  /** token lifetime in seconds, default 30 */
  token_ttl_seconds?: number;
  /** deadline of a host call in ms, default 300000; 0 waits forever */
  host_call_timeout_ms?: number;
  storage_mode?: 'legacy' | 'aps';
  web_mode?: 'local' | 'real';
  /** a schema bundle directory whose dispatcher_version.txt equals dispatcherVersion */
  schema_dir?: string;
}

export interface ExecutaSpec {
  tool_id: string;
  project_dir: string;
  /** argv of the plugin process; absent, null or [] means the default command */
  command?: string[] | null;
}

export interface CreateSessionOptions {
  /** default 1; converted with Python int() */
  user_id?: number | string | boolean;
  userId?: number | string | boolean;
  /** the app manifest (required) */
  manifest: JsonObject;
  view?: string | null;
  entry_payload?: JsonObject | null;
  entryPayload?: JsonObject | null;
  runtime_state?: JsonObject | null;
  runtimeState?: JsonObject | null;
  app_slug?: string | null;
  appSlug?: string | null;
}

export interface MintParams {
  window_uuid: string;
  user_id: number;
  /** default 0 */
  app_id?: number;
  /** default 0 */
  version_id?: number;
  /** default [] */
  scopes?: string[];
  /** default: the runtime's token_ttl_seconds (30) */
  ttl_seconds?: number;
  /** Unix seconds; default the current time */
  now?: number;
  /** overrides the key file */
  key_path?: string;
}

export interface VerifyOptions {
  now?: number;
  key_path?: string;
}

export interface DevToken {
  token: string;
  expiresIn: number;
}

export interface DevTokenPayload {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  wid: string;
  uid: number;
  aid: number;
  vid: number;
  scopes: string[];
  [key: string]: JsonValue;
}

/** A host-call handler: method is e.g. 'host.llm.complete'. */
export type HostHandler = (method: string, params: JsonObject) => JsonValue | undefined | Promise<JsonValue | undefined>;

/** Base class of the runtime's errors: `code` and `details` always present. */
export class AnnaError extends Error {
  code: string | number;
  details: JsonObject;
  toDict(): { code: string | number; message: string; details: JsonObject };
  toJSON(): { code: string | number; message: string; details: JsonObject };
}

/** A host error of session.call, e.g. code 'permission_denied', 'invalid_arg', 'not_implemented'. */
export class SessionError extends AnnaError {
  code: string;
}
/** Alias, as the Python binding names it. */
export { SessionError as LocalSessionError };

/** A JSON-RPC error of the bridge protocol (-32700, -32600, -32601, -32602, -32603). */
export class RpcError extends AnnaError {
  code: number;
  /** the error's `data` member, or null */
  data: JsonObject | null;
}

/** Dev-token verification failure; code is 'dev_token_error'. */
export class DevTokenError extends AnnaError {
  code: string;
}

/** One JSON-RPC 2.0 request of the bridge protocol. */
export interface RpcRequest {
  jsonrpc?: '2.0';
  id?: JsonValue;
  method: 'ping' | 'session.create' | 'session.call' | 'session.drain_events' | 'session.close' | 'session.refresh_token' | 'executas.register' | string;
  params?: JsonValue;
}

export interface RpcResponse {
  jsonrpc: '2.0';
  id: JsonValue;
  result?: any;
  error?: { code: number; message: string; data?: JsonObject };
}

export class Runtime {
  constructor(config?: RuntimeConfig);
  /** true after close() */
  readonly closed: boolean;

  /** Raw bridge protocol on a worker thread: a request object resolves to the
   *  response object; a request line resolves to the response line exactly as
   *  the bridge prints it ('' for a blank line). */
  call(request: string): Promise<string>;
  call(request: RpcRequest): Promise<RpcResponse>;
  /** call() on the calling thread, for requests that do not block. */
  callSync(request: string): string;
  callSync(request: RpcRequest): RpcResponse;

  /** executas.register; returns the registered tool ids in order. Throws RpcError. */
  registerExecutas(executas: ExecutaSpec[]): string[];
  /** session.create. Throws RpcError (-32602 missing manifest, -32603 invalid manifest). */
  createSession(options: CreateSessionOptions): Session;

  mintDevToken(params: MintParams): DevToken;
  /** Throws DevTokenError. */
  verifyDevToken(token: string, options?: VerifyOptions): DevTokenPayload;

  /** Installs (a function) or removes (null) the host-call handler. A thrown
   *  error becomes a JSON-RPC error reply: a string `code` becomes
   *  data.errorCode (the app sees it as the error code), an integer `code`
   *  the JSON-RPC code, `data` (or `details`) the error data. Without code
   *  the app sees 'host_error'. */
  setHostHandler(handler: HostHandler | null): void;

  /** Frees the native runtime once the calls already started have finished;
   *  waiting host calls fail with 'host_unavailable'. Idempotent. After it,
   *  every method throws (or rejects with) an Error of code 'ERR_ANNA_CLOSED'. */
  close(): Promise<void>;
}

export class Session {
  readonly runtime: Runtime;
  sessionId: string;
  windowUuid: string;
  token: string;
  expiresIn: number;
  view: string;
  viewMeta: JsonObject | null;

  /** A host method on a worker thread. Rejects with SessionError (host
   *  errors) or RpcError (e.g. unknown session after close()). */
  call(ns: string, method: string, args?: JsonObject): Promise<any>;
  /** The same on the calling thread: for cheap methods only. A delegated
   *  method (llm.*, ...) cannot reach the JS host handler from here and fails
   *  with 'host_unavailable'. */
  callSync(ns: string, method: string, args?: JsonObject): any;
  /** All queued events of the runtime's store (not only this session's). */
  drainEvents(): JsonObject[];
  /** A fresh token; also updates `token` and `expiresIn`. */
  refreshToken(): DevToken;
  /** Forgets the session handle; the window record stays in the store. */
  close(): void;
  toJSON(): { sessionId: string; windowUuid: string; token: string; expiresIn: number; view: string; viewMeta: JsonObject | null };
}

/** Without a runtime: the key of params.key_path, $ANNA_APP_DEV_KEY or ~/.anna-app/dev.key. */
export function mintDevToken(params: MintParams): DevToken;
export function verifyDevToken(token: string, options?: VerifyOptions): DevTokenPayload;

/** The binding's JSON reader/writer (NaN/Infinity, big integers as bigint). */
export function parse(text: string): JsonValue;
export function stringify(value: unknown): string;

/** Namespaces whose calls may block and always get their own worker thread. */
export const BLOCKING_NAMESPACES: ReadonlySet<string>;
/** The library's version, e.g. "0.1.0". */
export const version: string;
/** The wire-protocol version, "0.30.0". */
export const dispatcherVersion: string;
/** Native counters, for tests and diagnostics. */
export function stats(): {
  liveRuntimes: number;
  poolThreads: number;
  poolIdle: number;
  poolQueued: number;
  poolBlocking: number;
  /** glibc only: bytes malloc has handed out */
  mallocInUse?: number;
};
