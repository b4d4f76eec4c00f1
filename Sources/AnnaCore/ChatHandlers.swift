import AnnaJSON

/// chat.* (04 §9).
enum ChatHandlers {
    static func appendArtifact(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let raw = a["artifact"] ?? .null
        let artifact: JObject
        if !raw.isTruthy {
            artifact = JObject()
        } else if case .object(let o) = raw {
            artifact = o
        } else {
            throw .invalidArg("artifact must be an object")
        }
        let now = c.store.clock.now()
        let built = JObject(uniqueEntries: [
            ("kind", .string(artifact["kind"].map { Py.str($0) }?.prefix(codePoints: 40) ?? "app_event")),
            ("app_slug", artifact["app_slug"] ?? .null),
            ("summary", .string(artifact["summary"].map { Py.str($0) }?.prefix(codePoints: 1000) ?? .empty)),
            ("payload_ref", artifact["payload_ref"] ?? .null),
            ("data", artifact["data"] ?? .null),
            ("ts", .str(now.isoformat)),
            ("window_uuid", .string(c.window.windowUuid)),
        ])
        c.store.emit(c.window, "artifact_appended", ["window_uuid": .string(c.window.windowUuid), "artifact": .object(built)])
        // J-ID-3 with the true UTC epoch (the reference shifts it by the local UTC offset: J-DT-4).
        let id = "app-\(c.window.windowUuid.prefix(codePoints: 8))-\(Int(now.seconds))" as JStr
        return ["artifact_id": .string(id)]
    }

    static func writeMessage(_ c: Call) throws(HostError) -> JObject {
        let a = try c.object().get()
        let role = a["role"] ?? "assistant"
        let content = a["content"].map { Py.str($0) }?.prefix(codePoints: 4000) ?? .empty
        c.store.emit(c.window, "chat_message_from_app",
                     ["window_uuid": .string(c.window.windowUuid), "role": role, "content": .string(content)])
        let now = c.store.clock.now()
        return ["message_id": .str("msg-\(now.millis)")]
    }
}
