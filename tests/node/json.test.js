'use strict';
// The JSON mapping of the binding (bindings/node/json.js): bare NaN/Infinity,
// integers beyond 2^53 as BigInt, and round trips through the runtime
// (09 BR-JSON-3).
const test = require('node:test');
const assert = require('node:assert/strict');
const { anna, manifest } = require('./_helpers');
const { parse, stringify, Runtime } = anna;

test('parse: fast path equals JSON.parse', () => {
  for (const text of ['{"a": [1, 2.5, -3e-05, true, false, null], "b": "x\\u00e9\\n"}', '[]', '"s"', '0', '-0.0', '1e+16']) {
    assert.deepEqual(parse(text), JSON.parse(text));
  }
});

test('parse: bare NaN / Infinity / -Infinity', () => {
  const v = parse('{"a": NaN, "b": Infinity, "c": -Infinity, "d": [NaN, 1], "e": "NaN Infinity"}');
  assert.ok(Number.isNaN(v.a));
  assert.equal(v.b, Infinity);
  assert.equal(v.c, -Infinity);
  assert.ok(Number.isNaN(v.d[0]));
  assert.equal(v.d[1], 1);
  assert.equal(v.e, 'NaN Infinity');
  assert.ok(Number.isNaN(parse('NaN')));
  assert.equal(parse(' -Infinity '), -Infinity);
});

test('parse: integers beyond 2^53 become BigInt, safe ones stay numbers', () => {
  const v = parse('{"big": 123456789012345678901234567890, "neg": -9007199254740993, "max": 9007199254740991, "f": 1.2345678901234567, "e": 12345678901234567e2, "s": "12345678901234567890"}');
  assert.equal(v.big, 123456789012345678901234567890n);
  assert.equal(v.neg, -9007199254740993n);
  assert.equal(v.max, 9007199254740991);
  assert.equal(typeof v.max, 'number');
  assert.equal(v.f, 1.2345678901234567);
  assert.equal(v.e, 12345678901234567e2);
  assert.equal(v.s, '12345678901234567890');
});

test('parse: the slow path keeps strings, escapes and __proto__ keys', () => {
  const v = parse('{"k\\"ey": "a\\\\b\\u00e9", "__proto__": {"x": 1}, "n": NaN, "arr": [[], {}, ""]}');
  assert.equal(v['k"ey'], 'a\\bé');
  assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
  assert.deepEqual(v.__proto__, { x: 1 }); // own property, not the prototype
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(v.arr, [[], {}, '']);
});

test('parse: malformed text throws SyntaxError', () => {
  for (const text of ['', '{', '{"a" 1}', '[1,]', 'nul', 'NaNx', '"abc', '1 2', '{"a": 12345678901234567890', '\u0001']) {
    assert.throws(() => parse(text), SyntaxError, JSON.stringify(text));
  }
  assert.throws(() => parse(42), TypeError);
});

test('stringify: JSON.stringify rules plus NaN/Infinity and BigInt', () => {
  const plain = { a: [1, 'x', null, true, undefined, () => 1], b: undefined, c: new Date(0), d: { e: 'é\u2028' }, f: -0 };
  assert.equal(stringify(plain), JSON.stringify(plain));
  assert.equal(stringify({ n: NaN, i: Infinity, m: -Infinity }), '{"n":NaN,"i":Infinity,"m":-Infinity}');
  assert.equal(stringify({ big: 123456789012345678901234567890n }), '{"big":123456789012345678901234567890}');
  assert.equal(stringify([Object(1), Object('s'), Object(false), Object(2n)]), '[1,"s",false,2]');
  assert.equal(stringify(undefined), 'null');
  assert.equal(stringify('\ud800'), '"\\ud800"');
  const cyclic = [];
  cyclic.push(cyclic);
  assert.throws(() => stringify(cyclic), TypeError);
});

test('round trips through storage (09 BR-JSON-3)', async (t) => {
  const rt = new Runtime();
  t.after(() => rt.close());
  const s = rt.createSession({ manifest: manifest({ storage: ['*'] }) });
  const cases = [
    [NaN, (v) => Number.isNaN(v)],
    [Infinity, (v) => v === Infinity],
    [-Infinity, (v) => v === -Infinity],
    [123456789012345678901234567890n, (v) => v === 123456789012345678901234567890n],
    [-(2n ** 70n), (v) => v === -(2n ** 70n)],
    [2 ** 53 - 1, (v) => v === 2 ** 53 - 1],
    [1.5, (v) => v === 1.5],
    [1e-7, (v) => v === 1e-7],
    ['h\u00e9llo \ud83d\ude00 \u2028', (v) => v === 'h\u00e9llo \ud83d\ude00 \u2028'],
    [{ nested: [NaN, { x: 1n << 64n }] }, (v) => Number.isNaN(v.nested[0]) && v.nested[1].x === 1n << 64n],
  ];
  for (const [value, ok] of cases) {
    await s.call('storage', 'set', { key: 'v', value });
    const got = (await s.call('storage', 'get', { key: 'v' })).value;
    assert.ok(ok(got), `round trip of ${String(value)} gave ${String(got)}`);
    assert.ok(ok(s.callSync('storage', 'get', { key: 'v' }).value));
  }
  // 1e400 written as text is read by Python as inf (raw protocol).
  const sid = s.sessionId;
  rt.callSync(`{"jsonrpc":"2.0","id":1,"method":"session.call","params":{"session_id":"${sid}","ns":"storage","method":"set","args":{"key":"v","value":1e400}}}`);
  assert.equal(s.callSync('storage', 'get', { key: 'v' }).value, Infinity);
});
