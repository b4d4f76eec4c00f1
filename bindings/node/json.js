'use strict';
// JSON as the runtime speaks it (spec 11-json-compat, 09 BR-JSON-*): Python's
// json module on both sides. Two things JSON.parse/JSON.stringify do not do:
//
//   - bare NaN, Infinity and -Infinity tokens (Python writes and reads them);
//   - integers of any size (Python keeps 123456789012345678901234567890 exact).
//
// Our choice, in both directions:
//   NaN / Infinity / -Infinity  <->  the JS numbers NaN / Infinity / -Infinity
//   an integer outside +-(2^53 - 1)  ->  a BigInt (exact), and a BigInt is
//                                       written back as its digits; integers
//                                       inside the safe range stay Numbers.
// JS has one number type, so a Python float with an integral value ("1.0")
// reads as 1 and is written back as "1" (an int for Python); -0.0 reads as -0
// and is written back as "0" (JSON.stringify does the same).
//
// parse() takes the fast path (JSON.parse) when the text has no run of 16 or
// more digits and JSON.parse accepts it; otherwise a small exact parser runs.

const MAYBE_BIG = /\d{16}/;

function parse(text) {
  if (typeof text !== 'string') throw new TypeError('parse() expects a string');
  if (!MAYBE_BIG.test(text)) {
    try {
      return JSON.parse(text);
    } catch (_) {
      // NaN / Infinity, or really malformed: the exact parser decides.
    }
  }
  return slowParse(text);
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

function slowParse(text) {
  let i = 0;
  const n = text.length;

  function fail(what) {
    throw new SyntaxError(`${what} in JSON at position ${i}`);
  }
  function ws() {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
  }
  function literal(word, value) {
    if (!text.startsWith(word, i)) fail('Unexpected token');
    i += word.length;
    return value;
  }
  function string() {
    const start = i; // at the opening quote
    let escaped = false;
    i++;
    for (;;) {
      if (i >= n) fail('Unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
      } else {
        if (c < 32) fail('Bad control character in string literal');
        i++;
      }
    }
    i++; // closing quote
    return escaped ? JSON.parse(text.slice(start, i)) : text.slice(start + 1, i - 1);
  }
  function number() {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail('Unexpected token');
    i = NUMBER.lastIndex;
    const s = m[0];
    const v = Number(s);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(v)) return BigInt(s);
    return v;
  }
  function value() {
    ws();
    if (i >= n) fail('Unexpected end');
    const c = text.charCodeAt(i);
    switch (c) {
      case 123: { // {
        i++;
        const obj = {};
        ws();
        if (text.charCodeAt(i) === 125) { i++; return obj; }
        for (;;) {
          ws();
          if (text.charCodeAt(i) !== 34) fail('Expected property name');
          const key = string();
          ws();
          if (text.charCodeAt(i) !== 58) fail("Expected ':'");
          i++;
          const v = value();
          if (key === '__proto__') {
            Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
          } else {
            obj[key] = v;
          }
          ws();
          const d = text.charCodeAt(i++);
          if (d === 125) return obj;
          if (d !== 44) { i--; fail("Expected ',' or '}'"); }
        }
      }
      case 91: { // [
        i++;
        const arr = [];
        ws();
        if (text.charCodeAt(i) === 93) { i++; return arr; }
        for (;;) {
          arr.push(value());
          ws();
          const d = text.charCodeAt(i++);
          if (d === 93) return arr;
          if (d !== 44) { i--; fail("Expected ',' or ']'"); }
        }
      }
      case 34: return string();
      case 116: return literal('true', true);
      case 102: return literal('false', false);
      case 110: return literal('null', null);
      case 78: return literal('NaN', NaN);
      case 73: return literal('Infinity', Infinity);
      case 45:
        if (text.startsWith('-Infinity', i)) { i += 9; return -Infinity; }
        return number();
      default:
        if (c >= 48 && c <= 57) return number();
        return fail('Unexpected token');
    }
  }

  const v = value();
  ws();
  if (i !== n) fail('Unexpected non-whitespace character after JSON');
  return v;
}

// stringify(value): JSON.stringify's rules (toJSON, undefined/functions/
// symbols dropped from objects and null in arrays), plus NaN/Infinity
// written bare and BigInts as digits. Cycles (or nesting deeper than 1000,
// which the runtime would refuse anyway) throw a TypeError.
const MAX_DEPTH = 1000;

function stringify(value) {
  const s = ser(value, 0);
  return s === undefined ? 'null' : s;
}

function ser(v, depth) {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (Number.isFinite(v)) return '' + v;
      return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      return undefined; // undefined, function, symbol
  }
  if (v === null) return 'null';
  if (typeof v.toJSON === 'function') return ser(v.toJSON(), depth + 1);
  if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt) {
    return ser(v.valueOf(), depth);
  }
  if (depth >= MAX_DEPTH) throw new TypeError('value is cyclic or nested deeper than 1000 levels');
  if (Array.isArray(v)) {
    let s = '[';
    for (let k = 0; k < v.length; k++) {
      if (k) s += ',';
      const e = ser(v[k], depth + 1);
      s += e === undefined ? 'null' : e;
    }
    return s + ']';
  }
  let s = '{';
  let first = true;
  const keys = Object.keys(v);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const e = ser(v[key], depth + 1);
    if (e === undefined) continue;
    if (!first) s += ',';
    s += JSON.stringify(key) + ':' + e;
    first = false;
  }
  return s + '}';
}

module.exports = { parse, stringify };
