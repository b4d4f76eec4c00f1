import Testing
import AnnaTestSupport
#if canImport(Glibc)
import Glibc
#endif
import AnnaJSON
@testable import AnnaCore

@Suite struct DispatcherTests {
    @Test func unknownAndDenied() throws {   // D-DISP-2/3
        let s = try makeSession(#"{"ui":{"bundle":{"entry":"i"}}}"#)
        #expect(try s.wire("storage", "nope") == #"error {"code": "unknown_method", "message": "storage.nope is not defined", "details": {}}"#)
        #expect(try s.wire("llm", "complete") == #"error {"code": "permission_denied", "message": "manifest does not grant 'llm.complete'", "details": {}}"#)
        let r = s.call(ns: 5, method: 6, args: .null)
        #expect(try #require(r.failureValue).message == "5.6 is not defined")
    }

    @Test func nonObjectArgsCrashLikePython() throws {   // D-DISP-1
        let s = try makeSession(uiManifest)
        #expect(try s.wire("storage", "get", "[1]") == #"error {"code": "internal", "message": "handler crashed: 'list' object has no attribute 'get'", "details": {}}"#)
        #expect(try s.wire("window", "set_title", #""abc""#) == #"error {"code": "internal", "message": "handler crashed: 'str' object has no attribute 'get'", "details": {}}"#)
        #expect(try s.wire("window", "ready", "[1]") == #"ok {"ok": true}"#)
        #expect(try s.wire("window", "focus", "[1]") == #"ok {"focused": true}"#)
        #expect(try s.wire("window", "set_title", "0") == #"ok {"title": ""}"#)   // falsy args → {}
    }

    @Test func storageListExample() throws {   // D-STORAGE-14
        let s = try makeSession(uiManifest)
        for k in ["b", "a", "c", "ab", "B", "é", "z", "😀", "～"] {
            _ = try s.wire("storage", "set", #"{"key":"\#(k)","value":1}"#)
        }
        func keys(_ args: String) throws -> String {
            let r = try #require(s.call(ns: "storage", method: "list", args: try JSONParser.parse(args)).successValue)
            let ks = r["items"]?.array?.compactMap { $0["key"]?.jstr?.string } ?? []
            return ks.joined(separator: ",") + " next=" + Py.str(r["next_cursor"] ?? .null).string
        }
        #expect(try keys("{}") == "B,a,ab,b,c,z,é,～,😀 next=None")
        #expect(try keys(#"{"limit":2}"#) == "B,a next=a")
        #expect(try keys(#"{"limit":2,"cursor":"ab"}"#) == "b,c next=c")
        #expect(try keys(#"{"prefix":"a","limit":1}"#) == "a next=a")
        #expect(try keys(#"{"cursor":"z"}"#) == "é,～,😀 next=None")
        #expect(try keys(#"{"limit":8}"#) == "B,a,ab,b,c,z,é,～ next=～")
        #expect(try keys(#"{"limit":9}"#) == "B,a,ab,b,c,z,é,～,😀 next=None")
        #expect(try s.wire("storage", "list", #"{"limit":0}"#).contains("limit must be in (0, 1000]"))
        #expect(try s.wire("storage", "list", #"{"limit":"x"}"#).contains("limit must be int"))
        #expect(try s.wire("storage", "list", #"{"limit":Infinity}"#).contains("handler crashed: cannot convert float infinity to integer"))
        #expect(try s.wire("storage", "list", #"{"limit":"\u001c5"}"#).contains("limit must be int"))   // errata J-INT-2
    }

    @Test func storageEtagAndSize() throws {   // D-STORAGE-11/12
        let s = try makeSession(uiManifest)
        _ = try s.wire("storage", "set", #"{"key":"k","value":null}"#)
        _ = try s.wire("storage", "set", #"{"key":"v","value":{"s":"é😀","f":1E2,"g":1e16,"h":0.00001,"n":NaN,"i":-Infinity,"z":-0,"big":123456789012345678901234567890,"dup":1,"dup":2}}"#)
        let out = try s.wire("storage", "list")
        #expect(out.contains(#"{"key": "k", "etag": "W/\"1-7376b2cbfa0ad26e\"", "size_bytes": 4, "metadata": null, "tags": null, "updated_at": null}"#))
        #expect(out.contains(#""etag": "W/\"1-5724d2a9911a0267\"", "size_bytes": 146"#))
    }

    @Test func runtimeStateCap() throws {   // D-STORAGE-5, J-SIZE-1
        let s = try makeSession(uiManifest)
        let ok = String(repeating: "x", count: 262_135)
        #expect(try s.wire("storage", "set", #"{"key":"k","value":"\#(ok)"}"#) == #"ok {"ok": true}"#)
        #expect(try s.wire("storage", "set", #"{"key":"k","value":"\#(ok)x"}"#) == #"error {"code": "too_large", "message": "runtime_state exceeds 262144 bytes (got 262145)", "details": {}}"#)
        let e = String(repeating: "é", count: 43_689)
        #expect(try s.wire("storage", "set", #"{"key":"k","value":"\#(e)"}"#) == #"ok {"ok": true}"#)
        #expect(try s.wire("storage", "set", #"{"key":"k","value":"\#(e)é"}"#).contains("(got 262149)"))
        #expect(try s.wire("storage", "get", #"{"key":"k"}"#).utf8.count > 43_000)   // state unchanged by the failures
    }

    @Test func deleteOfOversizedInitialState() throws {   // D-STORAGE-13
        var big = JObject()
        big.set("a", .str(String(repeating: "x", count: 262_140)))
        big.set("b", 1)
        let s = try makeSession(uiManifest, runtimeState: big)
        #expect(try s.wire("storage", "delete", #"{"key":"b"}"#) == #"error {"code": "invalid_arg", "message": "runtime_state exceeds 262144 bytes (got 262149)", "details": {}}"#)
        #expect(try s.wire("storage", "set", #"{"key":"b","value":2}"#).contains("\"too_large\""))
        #expect(try s.wire("storage", "delete", #"{"key":"a"}"#) == #"ok {"ok": true}"#)
    }

    @Test func storageKeysAndScopes() throws {   // D-STORAGE-2, ACL-STORE-2/7
        let s = try makeSession(uiManifest)
        #expect(try s.wire("storage", "set", #"{"key":{"a":1},"value":1}"#) == #"ok {"ok": true}"#)
        #expect(try s.wire("storage", "get", #"{"key":"{'a': 1}"}"#) == #"ok {"value": 1}"#)
        #expect(try s.wire("storage", "get", #"{"key":null}"#) == #"ok {"value": null}"#)
        #expect(try s.wire("storage", "get", #"{}"#).contains("key required"))
        #expect(try s.wire("storage", "get", #"{"scope":"USER"}"#).contains("scope must be user|app|tool, got 'USER'"))
        #expect(try s.wire("storage", "get", #"{"scope":["x"]}"#).contains("scope must be user|app|tool, got ['x']"))
        #expect(try s.wire("storage", "get", #"{"scope":5}"#).contains("got 5"))
        #expect(try s.wire("storage", "get", #"{"scope":"user"}"#).contains("manifest does not declare 'aps.scope.user.read'"))
        #expect(try s.wire("storage", "set", #"{"owner":0,"key":"k"}"#).contains("'aps.scope.app.write' (cross-owner)"))
    }

    @Test func windowMethods() throws {   // 04 §6
        let s = try makeSession(uiManifest)
        #expect(try s.wire("window", "set_title", #"{"title":{"a":1}}"#) == #"ok {"title": "{'a': 1}"}"#)
        #expect(try s.wire("window", "set_title", #"{"title":1e16}"#) == #"ok {"title": "1e+16"}"#)
        #expect(try s.wire("window", "set_title", #"{"title":null}"#) == #"ok {"title": "None"}"#)
        #expect(try s.wire("window", "resize", #"{"w":"١٢","h":1e20}"#) == #"ok {"w": 12, "h": 100000000000000000000}"#)
        #expect(try s.wire("window", "resize", #"{"w":300.9,"h":"1_000"}"#) == #"ok {"w": 300, "h": 1000}"#)
        #expect(try s.wire("window", "resize", #"{"w":"2.5","h":1}"#).contains("w/h must be integers"))
        #expect(try s.wire("window", "resize", #"{"w":1,"h":-Infinity}"#).contains("handler crashed: cannot convert float infinity to integer"))
        #expect(try s.wire("window", "close", #"{"reason":0}"#) == #"ok {"closed": true}"#)
        #expect(try s.wire("window", "open_view", #"{"view":"x"}"#) == #"error {"code": "not_implemented", "message": "window.open_view is not available in this runtime", "details": {}}"#)
        #expect(try s.wire("window", "report_error", #"{"error":"x"}"#) == #"ok {"acknowledged": true}"#)
        let events = s.store.events.drain().map { String(decoding: $0, as: UTF8.self) }
        #expect(events.count == 6)
        #expect(events[0].hasPrefix(#"{"user_id": 1, "kind": "title_changed", "payload": {"window_uuid": ""#))
        #expect(events[3].contains(#""geometry": {"w": 12, "h": 100000000000000000000}"#))
        #expect(events[4].contains(#""geometry": {"w": 300, "h": 1000}"#))
        #expect(events[5].contains(#""reason": "iframe_close""#))
        #expect(events[5].hasSuffix(#", "ts": "2026-11-21T22:26:40.123456Z"}"#))
    }

    @Test func helloShape() throws {   // D-WIN-HELLO-*
        let s = try makeSession(#"{"ui":{"bundle":{"entry":"i"},"views":[{"name":"b","title":"B","default":true,"entry":"b.html","min_size":{"w":200,"h":300},"chrome":"vibrancy"}],"host_api":{"storage":["get"]}}}"#, appSlug: "demo")
        #expect(try s.wire("window", "hello") == #"ok {"capabilities": {"host_api_version": "0.1.0", "scopes": ["storage.get", "window.*"]}, "view_meta": {"name": "b", "title": "B", "entry": "b.html", "min_size": {"w": 200, "h": 300}, "default_size": null, "max_size": null, "resizable": true, "movable": true, "single_instance": false, "chrome": "vibrancy", "transparent": false}, "app": {"id": 1, "slug": "demo", "name": "demo"}, "entry_payload": {}, "runtime_state": {}, "geometry": {}, "is_resume": false}"#)
        let ghost = try makeSession(uiManifest, view: "ghost")
        #expect(try ghost.wire("window", "hello").contains("unknown view 'ghost'"))
        let noViews = try makeSession(#"{"ui":{"bundle":{"entry":"i"}}}"#)
        #expect(try noViews.wire("window", "hello").contains("app has no UI views"))
        let numeric = try makeSession(uiManifest, view: 5)
        #expect(try numeric.wire("window", "hello").contains("unknown view '5'"))
    }

    @Test func stubsMobileChat() throws {   // D-STUB-1, D-MOBILE-1, 04 §9
        let s = try makeSession(#"{"ui":{"bundle":{"entry":"i"},"host_api":{"files":["*"],"mobile":["share"],"chat":["*"],"apps":["*"]}}}"#)
        #expect(try s.wire("files", "list") == #"error {"code": "not_implemented", "message": "endpoint not yet available", "details": {}}"#)
        #expect(try s.wire("apps", "deck.reorder") == #"error {"code": "not_implemented", "message": "endpoint not yet available", "details": {}}"#)
        #expect(try s.wire("mobile", "share") == #"error {"code": "unsupported_container", "message": "mobile.share is only available inside the anna-mobile shell", "details": {}}"#)
        #expect(try s.wire("mobile", "haptics").contains("permission_denied"))
        #expect(try s.wire("chat", "read_history") == #"error {"code": "not_implemented", "message": "chat.read_history is Phase 3", "details": {}}"#)
        #expect(try s.wire("chat", "append_artifact", #"{"artifact":[1]}"#).contains("artifact must be an object"))
        #expect(try s.wire("chat", "append_artifact", #"{"artifact":{"kind":null,"summary":5,"extra":1}}"#).hasPrefix(#"ok {"artifact_id": "app-"#))
        #expect(try s.wire("chat", "write_message", #"{"role":{"x":1},"content":["a"]}"#).hasPrefix(#"ok {"message_id": "msg-1795300000123"}"#))
        let events = s.store.events.drain().map { String(decoding: $0, as: UTF8.self) }
        #expect(events[0].contains(#""artifact": {"kind": "None", "app_slug": null, "summary": "5", "payload_ref": null, "data": null, "ts": "2026-11-21T22:26:40.123456", "window_uuid": "#))
        #expect(events[1].contains(#""role": {"x": 1}, "content": "['a']""#))
    }

    @Test func toolsValidation() throws {   // D-INVOKE-*, D-JOB-*
        let s = try makeSession(#"{"required_executas":[{"tool_id":"tool-x"}],"ui":{"bundle":{"entry":"i"}}}"#)
        #expect(try s.wire("tools", "list") == #"ok {"tools": [{"tool_id": "tool-x"}]}"#)
        #expect(try s.wire("tools", "invoke", #"{"tool_id":""}"#).contains("tool_id is required"))
        #expect(try s.wire("tools", "invoke", #"{"tool_id":"tool-x","method":5}"#).contains("method must be a string when provided"))
        #expect(try s.wire("tools", "invoke", #"{"tool_id":"tool-x","timeoutMs":5000.0}"#).contains("timeoutMs must be an integer (milliseconds)"))
        #expect(try s.wire("tools", "invoke", #"{"tool_id":"tool-x","timeoutMs":true}"#).contains("timeoutMs must be an integer (milliseconds)"))
        #expect(try s.wire("tools", "invoke", #"{"tool_id":"other"}"#).contains("tool 'other' not whitelisted by host_api.tools"))
        #expect(try s.wire("tools", "invoke", #"{"tool_id":"tool-x"}"#).contains("tool_id 'tool-x' has no plugin.tool separator and no `method` arg was provided"))
        #expect(try s.wire("tools", "invoke", #"{"tool_id":"tool-x","method":"m"}"#) == #"error {"code": "not_implemented", "message": "tools.invoke is not available in this runtime", "details": {}}"#)
        #expect(try s.wire("tools", "invokeAsync", #"{"tool_id":"tool-x","clientTag":5}"#).contains("clientTag must be a string <= 120 chars"))
        #expect(try s.wire("tools", "invokeAsync", #"{"tool_id":"tool-x","args":[1]}"#).contains("args must be an object"))
        #expect(try s.wire("tools", "getJob", #"{"jobId":"tjob_x"}"#).contains("jobId must match ^tjob_[0-9a-f]{32}$"))
        #expect(try s.wire("tools", "getJob", #"{"jobId":"tjob_0123456789abcdef0123456789abcdef","sinceSeq":1.0}"#).contains("sinceSeq must be a non-negative integer"))
        #expect(try s.wire("tools", "getJob", #"{"jobId":"tjob_0123456789abcdef0123456789abcdef","limit":null}"#).contains("limit must be an integer in [1, 500]"))
        #expect(try s.wire("tools", "cancelJob", #"{"jobId":"tjob_0123456789abcdef0123456789abcdef","reason":7}"#).contains("reason must be a string <= 200 chars"))
        #expect(try s.wire("tools", "listJobs", #"{"state":[]}"#).contains("state values must be one of ['cancelled', 'expired', 'failed', 'queued', 'running', 'succeeded']"))
        #expect(try s.wire("tools", "listJobs", #"{"since":5}"#).contains("since must be an RFC3339 string"))
        #expect(try s.wire("tools", "listJobs", #"{"limit":101}"#).contains("limit must be an integer in [1, 100]"))
        #expect(JobHandlers.isJobId("tjob_0123456789abcdef0123456789abcdef\n"))   // Python's `$`
    }

    @Test func envelopeClassification() throws {   // D-ENV table
        func wire(_ outer: String) throws -> String {
            do {
                let r = try ToolsHandlers.unwrap(try JSONParser.parse(outer), toolId: "t")
                return "ok " + JSONWriter.encodeString(.object(r))
            } catch let e as HostError { return "error " + JSONWriter.encodeString(e.json) }
        }
        #expect(try wire(#"{"success":true,"data":{"success":true,"data":{"x":1}}}"#) == #"ok {"x": 1}"#)
        #expect(try wire(#"{"success":true,"data":{"success":true,"data":[1,2]}}"#) == "ok {}")
        #expect(try wire("null").contains(#""executa_unavailable", "message": "executa RPC failed (type=NoneType)""#))
        #expect(try wire("{}").contains("executa RPC failed (keys=[])"))
        #expect(try wire(#"{"success":false,"data":null,"error":""}"#).contains("executa RPC failed (keys=['data', 'error', 'success'])"))
        #expect(try wire(#"{"success":false,"error":"invoke error: {'code': -32602, 'message': 'bad'}"}"#).contains(#""invalid_arg", "message": "invoke error: {'code': -32602, 'message': 'bad'}", "details": {"tool_id": "t", "jsonrpc_code": -32602, "source": "plugin"}"#))
        #expect(try wire(#"{"success":false,"error":"invoke error: {'code':-32603}"}"#).contains("executa_unavailable"))
        #expect(try wire(#"{"success":false,"error":"x","data":{"jsonrpc_error":{"code":"-32601"}}}"#).contains(#""tool_failed", "message": "x", "details": {"tool_id": "t", "jsonrpc_code": -32601"#))
        #expect(try wire(#"{"success":false,"error":"invoke error: {'code': -32602}","data":{"jsonrpc_error":{"code":-32700}}}"#).contains("executa_unavailable"))
        #expect(try wire(#"{"success":false,"error":"invoke error: {'code': -٣٢٦٠٢}"}"#).contains("invalid_arg"))
        #expect(try wire(#"{"success":true,"data":[1]}"#).contains("tool returned failure (type=list)"))
        #expect(try wire(#"{"success":true,"data":{"success":false,"error":{"msg":"boom","n":1}}}"#).contains(#""tool_failed", "message": "{'msg': 'boom', 'n': 1}""#))
        #expect(try wire(#"{"success":true,"data":{"success":false,"error":"x subcall_timeout {'subcall': 'image'}"}}"#).contains(#""details": {"tool_id": "t", "subcall": "image"}"#))
        #expect(try wire(#"{"success":true,"data":{"success":false,"error":"subcall_timeout 'subcall': 'llm'"}}"#).contains(#""details": {"tool_id": "t"}"#))
    }

    final class FakeHost: HostCaller, @unchecked Sendable {
        var calls: [(String, String)] = []
        var answer: Result<JObject, HostError> = .success(["run_id": "r1"])
        func callHost(method: String, params: JObject) -> Result<JObject, HostError> {
            calls.append((method, JSONWriter.encodeString(.object(params))))
            return answer
        }
    }

    @Test func delegates() throws {   // D-DELEG-*, ST-DLG-*
        let s = try makeSession(#"{"ui":{"bundle":{"entry":"i"},"host_api":{"llm":["*"],"agent":{"session":{"auto":true}},"image":["*"],"web":["*"]}}}"#)
        #expect(try s.wire("llm", "complete") == #"error {"code": "not_implemented", "message": "llm.complete not wired in this runtime", "details": {}}"#)
        #expect(try s.wire("agent", "session.run.status", #"{"app_session_uuid":"aps_1"}"#).contains("run_id required"))
        #expect(try s.wire("agent", "session.run", #"{"app_session_uuid":"aps_1","content":" \u3000\n"}"#).contains("content required"))
        #expect(try s.wire("agent", "session.refresh", #"{"app_session_uuid":"","appSessionUuid":"aps_2"}"#).contains("agent.session.refresh not wired in this runtime"))
        #expect(try s.wire("llm", "stream", #"{"messages":[]}"#).contains("messages required"))
        let host = FakeHost()
        s.store.hostCaller = host
        let r = try s.wire("agent", "session.run", #"{"app_session_uuid":"aps_1","content":"hi"}"#)
        #expect(r.hasPrefix(#"ok {"run_id": "r1", "stream_id": "strm_"#))
        #expect(host.calls.last?.0 == "host.agent.session.run")
        _ = try s.wire("image", "generate", #"[["a",1],"bc"]"#)
        #expect(host.calls.last?.1 == #"{"a": 1, "b": "c"}"#)
        #expect(try s.wire("image", "generate", #""abc""#).contains("handler crashed: dictionary update sequence element #0 has length 1; 2 is required"))
        host.answer = .failure(HostError("QUOTA_EXCEEDED", "quota", ["errorCode": "QUOTA_EXCEEDED", "limit": 3]))
        #expect(try s.wire("llm", "complete") == #"error {"code": "QUOTA_EXCEEDED", "message": "quota", "details": {"errorCode": "QUOTA_EXCEEDED", "limit": 3}}"#)
        // web.* stays local unless real-web mode is on.
        #expect(try s.wire("web", "search", #"{"query":"  "}"#).contains("query required"))
        #expect(try s.wire("web", "search", #"{"query":"x"}"#).contains("local web.search needs the optional 'ddgs' package"))
        #expect(try s.wire("web", "image_search", #"{"query":"x","safe_search":false}"#).contains("safe_search cannot be disabled (platform policy)"))
        #expect(try s.wire("web", "fetch", #"{"urls":[]}"#).contains("urls must be a non-empty list"))
        #expect(try s.wire("web", "fetch", #"{"urls":["a"],"max_chars":"abc"}"#).contains(#""invalid_arg", "message": "invalid literal for int() with base 10: 'abc'""#))
        #expect(try s.wire("web", "fetch", #"{"urls":["a"],"timeout_ms":[1]}"#).contains("handler crashed: int() argument must be a string, a bytes-like object or a real number, not 'list'"))
        #expect(try s.wire("web", "image_fetch", #"{"url":"HTTP://x"}"#).contains("url must be an http(s) URL"))
        #expect(try s.wire("web", "search", #""abc""#).contains(#""invalid_arg", "message": "dictionary update sequence element #0 has length 1; 2 is required""#))
        #expect(try s.wire("web", "search", "[1]").contains("handler crashed: cannot convert dictionary update sequence element #0 to a sequence"))
    }
}

extension Result {
    var successValue: Success? { if case .success(let v) = self { return v }; return nil }
    var failureValue: Failure? { if case .failure(let e) = self { return e }; return nil }
}

/// `since` parsing against CPython's fromisoformat (scripts/gen_pyformat_cases.py).
@Suite struct PyISODateTests {
    @Test func matchesCPython() throws {
        let cases = try #require(RepoFiles.json("tests/fixtures/pyformat_cases.json")["since"]?.array)
        var bad: [String] = []
        for c in cases {
            guard case .string(let s)? = c["since"] else { continue }
            let expected = c["parsed"]?.jstr?.string
            let got = PyISODate.parseSince(s)?.isoformat
            if got != expected { bad.append("\(s): \(got ?? "nil") != \(expected ?? "nil")") }
        }
        #expect(bad.isEmpty, "\(bad.count) of \(cases.count): \(bad.prefix(15))")
    }
}
