//===----------------------------------------------------------------------===//
//
// This source file is part of the Swiftlet open source project
//
// Copyright (c) 2026 the Swiftlet authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ChatBackend

@Suite struct WordFilterTests {
    @Test func masksEveryOccurrenceInAnyCase() {
        let filter = WordFilter(fileContents: "# banned\nspam\n\n  Darn \n")
        let (text, masked) = filter.apply(to: "SPAM and darn, spamspam!")
        #expect(masked)
        #expect(text == "**** and ****, ********!")
    }

    @Test func leavesCleanTextAlone() {
        let (text, masked) = WordFilter(words: ["spam"]).apply(to: "hello, 世界")
        #expect(!masked)
        #expect(text == "hello, 世界")
    }
}

@Suite struct PresenceListTests {
    @Test func aLateDisconnectOfAnOldChannelKeepsTheNewConnectionOnline() {
        var presence = PresenceList()
        var changed: Bool
        presence.setNickname("ann", for: "GID_demo@@@a")
        changed = presence.apply(clientID: "GID_demo@@@a", channel: "1000-1", connected: true)
        #expect(changed)
        // A takeover: the new connection's connect arrives before the old one's disconnect.
        changed = presence.apply(clientID: "GID_demo@@@a", channel: "2000-7", connected: true)
        #expect(changed)
        changed = presence.apply(clientID: "GID_demo@@@a", channel: "1000-1", connected: false)
        #expect(!changed)
        #expect(presence.users.map(\.nick) == ["ann"])
        changed = presence.apply(clientID: "GID_demo@@@a", channel: "2000-7", connected: false)
        #expect(changed)
        #expect(presence.users.isEmpty)
    }

    @Test func aConnectOlderThanTheLastDisconnectIsIgnored() {
        var presence = PresenceList()
        var changed: Bool
        presence.setNickname("bo", for: "b")
        changed = presence.apply(clientID: "b", channel: "5-2", connected: false)
        #expect(!changed)
        changed = presence.apply(clientID: "b", channel: "5-1", connected: true)
        #expect(!changed)
        #expect(presence.users.isEmpty)
        changed = presence.apply(clientID: "b", channel: "not-a-channel-id", connected: true)
        #expect(!changed)
    }

    @Test func onlyClientsWithANicknameAreListed() {
        var presence = PresenceList()
        presence.setNickname("zed", for: "z")
        presence.setNickname("amy", for: "y")
        presence.apply(clientID: "z", channel: "1-1", connected: true)
        presence.apply(clientID: "y", channel: "1-2", connected: true)
        presence.apply(clientID: "GID_bench@@@x", channel: "1-3", connected: true)
        #expect(presence.users.map(\.nick) == ["amy", "zed"])
    }
}

@Suite struct HistoryStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString).sqlite").path
    }

    @Test func keepsTheLastMessagesOfEachRoomAcrossAReopen() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try HistoryStore(path: path, limit: 3)
            for index in 1...5 {
                try await store.append(ChatMessage(id: "m\(index)", from: "c", nick: "n", text: "t\(index)", ts: Int64(index)), room: "a")
            }
            try await store.append(ChatMessage(id: "x", from: "c", nick: "n", text: "other", ts: 9), room: "b")
        }
        let reopened = try HistoryStore(path: path, limit: 3)
        #expect(try await reopened.recent(room: "a").map(\.text) == ["t3", "t4", "t5"])
        #expect(try await reopened.recent(room: "b").map(\.id) == ["x"])
        #expect(try await reopened.recent(room: "none").isEmpty)
    }

    @Test func anUnwritablePathIsAClearError() {
        #expect(throws: HistoryStore.StoreError.self) {
            _ = try HistoryStore(path: "/nonexistent-dir/x/history.sqlite", limit: 3)
        }
    }
}

@Suite struct ChatServiceTests {
    static let secret = "a-page-secret-0123456789"

    final class Published: Sendable {
        let items = NIOLockedValueBox<[(topic: String, payload: String, retain: Bool)]>([])
    }

    func service(words: [String] = ["spam"]) throws -> (ChatService, Published) {
        let published = Published()
        let outbound = ChatService.Outbound(
            issueCredentials: { clientID in
                ChatService.Credentials(username: "Token|key|inst", password: "R|r-\(clientID)|W|w", expiresAt: 42)
            },
            publish: { topic, payload, retain in
                published.items.withLockedValue { $0.append((topic, String(decoding: payload, as: UTF8.self), retain)) }
            }
        )
        return (ChatService(history: try HistoryStore(path: ":memory:", limit: 50), filter: WordFilter(words: words), outbound: outbound), published)
    }

    @Test func issuesTokensOnlyForDemoClientIDsAndSaneNicknames() async throws {
        let (service, _) = try service()
        let ok = await service.handle(BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@ab12", "nick": " ann "], clientSecret: Self.secret))
        #expect(ok.status == .ok)
        #expect(ok.json.contains(#""password":"R|r-GID_demo@@@ab12|W|w""#))
        #expect(await service.presence.nicknames["GID_demo@@@ab12"] == "ann")

        let badID = await service.handle(BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@a/b", "nick": "x"], clientSecret: Self.secret))
        #expect(badID.status == .badRequest)
        let badNick = await service.handle(BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@ab", "nick": "\u{7}"], clientSecret: Self.secret))
        #expect(badNick.status == .badRequest)
        // The first request binds the client ID to its page's secret: another secret gets no token for it.
        let thief = await service.handle(
            BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@ab12", "nick": "eve"],
                           clientSecret: "another-secret-of-16+"))
        #expect(thief.status == .forbidden)
        #expect(await service.presence.nicknames["GID_demo@@@ab12"] == "ann")
        let again = await service.handle(
            BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@ab12", "nick": "ann"],
                           clientSecret: Self.secret))
        #expect(again.status == .ok)
        let noSecret = await service.handle(
            BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@cd", "nick": "x"]))
        #expect(noSecret.status == .badRequest)
        let wrongMethod = await service.handle(BackendRequest(method: .GET, path: "/api/token", query: [:]))
        #expect(wrongMethod.status == .methodNotAllowed)
        let unknown = await service.handle(BackendRequest(method: .GET, path: "/nope", query: [:]))
        #expect(unknown.status == .notFound)
    }

    @Test func relaysFilteredMessagesInTheSendersRealNameAndKeepsHistory() async throws {
        let (service, published) = try service()
        _ = await service.handle(BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@real", "nick": "real"], clientSecret: ChatServiceTests.secret))
        let payload = Data(#"{"id":"1","from":"GID_demo@@@someone-else","nick":"fake","text":"buy SPAM now","ts":1}"#.utf8)
        let relayed = try #require(try await service.relay(room: "lobby", payload: payload, publisher: "GID_demo@@@real"))
        #expect(relayed.from == "GID_demo@@@real")
        #expect(relayed.nick == "real")
        #expect(relayed.text == "buy **** now")

        let sent = published.items.withLockedValue { $0 }
        #expect(sent.count == 1)
        #expect(sent.first?.topic == "chat/lobby")
        #expect(sent.first?.payload.contains("buy **** now") == true)

        let history = await service.handle(BackendRequest(method: .GET, path: "/api/history", query: ["room": "lobby"]))
        #expect(history.status == .ok)
        #expect(history.json.contains("buy **** now"))
        #expect(!history.json.contains("SPAM"))
        #expect(await service.handle(BackendRequest(method: .GET, path: "/api/history", query: ["room": "a/b"])).status == .badRequest)
    }

    @Test func ignoresPayloadsThatAreNotChatMessages() async throws {
        let (service, published) = try service()
        #expect(try await service.relay(room: "lobby", payload: Data("plain text".utf8), publisher: "x") == nil)
        #expect(try await service.relay(room: "bad/room", payload: Data(#"{"id":"1","from":"a","nick":"b","text":"c","ts":1}"#.utf8), publisher: "x") == nil)
        #expect(published.items.withLockedValue { $0.isEmpty })
    }

    @Test func publishesViewerCountsRetainedWhenTheyChange() async throws {
        let (service, published) = try service()
        #expect(try await service.viewers(["lobby": 2]))
        #expect(!(try await service.viewers(["lobby": 2])))
        #expect(try await service.viewers(["lobby": 1, "news": 5]))
        let sent = published.items.withLockedValue { $0 }
        #expect(sent.map(\.topic) == ["presence/viewers", "presence/viewers"])
        #expect(sent.allSatisfy { $0.retain })
        #expect(sent[0].payload == #"{"rooms":{"lobby":2}}"#)
        #expect(sent[1].payload == #"{"rooms":{"lobby":1,"news":5}}"#)
    }

    @Test func publishesTheOnlineListRetainedWhenItChanges() async throws {
        let (service, published) = try service()
        _ = await service.handle(BackendRequest(method: .POST, path: "/api/token", query: ["clientId": "GID_demo@@@p1", "nick": "pat"], clientSecret: ChatServiceTests.secret))
        try await service.statusEvent(clientID: "GID_demo@@@p1", channel: "10-1", connected: true)
        try await service.statusEvent(clientID: "GID_demo@@@p1", channel: "10-1", connected: true)  // a redelivery: no change
        try await service.statusEvent(clientID: "GID_demo@@@p1", channel: "10-1", connected: false)
        let sent = published.items.withLockedValue { $0 }
        #expect(sent.map(\.topic) == ["presence/online", "presence/online"])
        #expect(sent.allSatisfy { $0.retain })
        #expect(sent[0].payload == #"{"users":[{"clientId":"GID_demo@@@p1","nick":"pat"}]}"#)
        #expect(sent[1].payload == #"{"users":[]}"#)
    }
}

@Suite struct BackendHTTPHandlerTests {
    @Test func splitsAndDecodesTheQuery() {
        let (path, query) = BackendHTTPHandler.split("/api/token?clientId=GID_demo%40%40%40x&nick=J%C3%BCrgen+K&flag")
        #expect(path == "/api/token")
        #expect(query == ["clientId": "GID_demo@@@x", "nick": "Jürgen K", "flag": ""])
        #expect(BackendHTTPHandler.percentDecoded("%zz") == nil)
        #expect(BackendHTTPHandler.percentDecoded("%ff") == nil)  // not UTF-8
    }
}

@Suite struct BackendHTTPHandlerChannelTests {
    /// Runs one request through the handler on an EmbeddedChannel and returns the response head and body.
    func exchange(
        _ head: HTTPRequestHead,
        body: Int = 0,
        route: @escaping @Sendable (BackendRequest) async -> BackendResponse
    ) async throws -> (HTTPResponseHead, String, EmbeddedChannel) {
        let channel = EmbeddedChannel(handler: BackendHTTPHandler(route: route))
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        if body > 0 {
            try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: 0x41, count: body)))
        }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        // The route runs in a task; its answer is written back on the channel's loop.
        var parts: [HTTPServerResponsePart] = []
        for _ in 0..<1000 where parts.count < 3 {
            channel.embeddedEventLoop.run()
            while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) { parts.append(part) }
            if parts.count < 3 { await Task.yield() }
        }
        guard case .head(let responseHead) = parts.first, case .body(.byteBuffer(let buffer)) = parts.dropFirst().first else {
            Issue.record("no response: \(parts)")
            throw CancellationError()
        }
        return (responseHead, String(buffer: buffer), channel)
    }

    @Test func answersWithJSONAndCORSHeaders() async throws {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/history?room=lobby")
        let (response, body, _) = try await exchange(head) { request in
            BackendResponse(status: .ok, json: #"{"room":"\#(request.query["room"] ?? "")"}"#)
        }
        #expect(response.status == .ok)
        #expect(response.headers["Access-Control-Allow-Origin"] == ["*"])
        #expect(response.headers["Content-Type"] == ["application/json"])
        #expect(body == #"{"room":"lobby"}"#)
    }

    @Test func refusesLargeBodiesWithoutCallingTheRoute() async throws {
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/token")
        let (response, body, _) = try await exchange(head, body: BackendHTTPHandler.maximumBodySize + 1) { _ in
            Issue.record("the route must not run")
            return BackendResponse(status: .ok, json: "{}")
        }
        #expect(response.status == .payloadTooLarge)
        #expect(body.contains("error"))
    }
}
