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
import Logging
import NIOCore
import NIOEmbedded
import SwiftletAuth
import SwiftletBroker
import Testing

@testable import SwiftletServer

/// The admin API end to end through NIOHTTP1 on an `EmbeddedChannel`: raw request bytes in, raw
/// response bytes out.
@Suite("Admin API over HTTP (EmbeddedChannel)")
struct AdminHTTPHandlerTests {
    static let token = "test-admin-token-0123456789"
    static let now: UInt64 = 1_790_000_000_000

    private func makeChannel(accessKeys: [AccessKey] = [], adminToken: String? = token) throws -> EmbeddedChannel {
        var configuration = BrokerConfiguration()
        configuration.accessKeys = accessKeys
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        let broker = Broker(configuration: configuration, logger: logger)
        let api = AdminAPI(broker: broker, adminToken: adminToken, logger: logger, clock: { Self.now })
        let channel = EmbeddedChannel()
        try AdminHTTPHandler.configure(
            pipeline: channel.pipeline.syncOperations, api: api, configuration: AdminHTTPHandler.Configuration(),
            logger: logger)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String

        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    /// Sends `request` and reads one response.
    private func exchange(_ channel: EmbeddedChannel, _ request: String) throws -> Response {
        try channel.writeInbound(ByteBuffer(string: request))
        channel.embeddedEventLoop.run()
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) {
            bytes.writeBuffer(&part)
        }
        let text = String(buffer: bytes)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        // 0 when nothing was written.
        let status = lines[0].split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces) }
        }
        return Response(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    private func post(_ path: String, _ body: String, contentType: String = "application/json", auth: Bool = true) -> String {
        var request = "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
        if auth { request += "Authorization: Bearer \(Self.token)\r\n" }
        return request + "\r\n" + body
    }

    @Test("GET /healthz needs no credentials")
    func health() throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.json?["status"] as? String == "ok")
        #expect(response.headers["date"] != nil)
    }

    @Test("GET /metrics is Prometheus text")
    func metrics() throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(response.body.contains("# TYPE swiftlet_messages_received_total counter"))
        #expect(response.body.contains(#"swiftlet_connections{transport="tcp"} "#))
    }

    @Test(
        "RFC 9112 §3.2: HTTP/1.1 without Host, or two Host fields, is a JSON 400 and closes",
        arguments: [
            "GET /metrics HTTP/1.1\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "GET /api/v1/stats HTTP/1.1\r\nAuthorization: Bearer \(token)\r\n\r\n",
            "POST /api/v1/publish HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Length: 16\r\n\r\n{\"topic\":\"a/b\"}",
        ]
    )
    func hostRequired(request: String) throws {
        let channel = try makeChannel()
        let response = try exchange(channel, request)
        #expect(response.status == 400)
        #expect(response.headers["connection"] == "close")
        #expect(response.json?["error"] as? String == "bad_request")
        #expect((response.json?["message"] as? String)?.contains("Host") == true)
        // The connection answers nothing more.
        #expect(try exchange(channel, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status == 0)
    }

    @Test("HTTP/1.0 without Host is still answered")
    func http10WithoutHost() throws {
        let channel = try makeChannel()
        let health = try exchange(channel, "GET /healthz HTTP/1.0\r\n\r\n")
        #expect(health.status == 200)
        let metrics = try exchange(try makeChannel(), "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(metrics.status == 200)
    }

    @Test("/api/v1 without credentials is 401 with a challenge and a JSON error")
    func unauthorized() throws {
        let channel = try makeChannel()
        let response = try exchange(channel, "GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 401)
        #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(response.json?["error"] as? String == "unauthorized")
        #expect(response.json?["message"] is String)
    }

    @Test("a signed request by a cloud key passes; by a device key it is 403")
    func signed() throws {
        let channel = try makeChannel(accessKeys: [
            AccessKey(id: "backend", secret: "s3cret", role: .cloud), AccessKey(id: "dev", secret: "d3v", role: .device),
        ])
        for (key, secret, status) in [("backend", "s3cret", 200), ("dev", "d3v", 403)] {
            let signature = RequestSignature.signature(
                secret: secret, method: "GET", target: "/api/v1/rooms", timestamp: String(Self.now), body: [])
            let response = try exchange(
                channel,
                "GET /api/v1/rooms HTTP/1.1\r\nHost: x\r\nX-Swiftlet-AccessKey: \(key)\r\n"
                    + "X-Swiftlet-Timestamp: \(Self.now)\r\nX-Swiftlet-Signature: \(signature)\r\n\r\n")
            #expect(response.status == status, "\(key)")
        }
    }

    @Test("unknown routes are 404, wrong methods 405 with Allow")
    func routing() throws {
        let channel = try makeChannel()
        let missing = try exchange(channel, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(missing.status == 404)
        #expect(missing.json?["error"] as? String == "not_found")
        let wrong = try exchange(channel, "PUT /api/v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(wrong.status == 405)
        #expect(wrong.headers["allow"] == "POST")
    }

    @Test("publish: the body must be JSON of the right shape")
    func publishValidation() throws {
        let channel = try makeChannel()
        #expect(try exchange(channel, post("/api/v1/publish", "{\"topic\":\"a/b\"}", contentType: "text/plain")).status == 415)
        let cases: [(String, String)] = [
            ("{not json", "not valid JSON"),
            ("{}", "missing field 'topic'"),
            ("{\"topic\":5}", "field 'topic' must be a string"),
            ("{\"topic\":\"a/#\"}", "not a valid MQTT topic name"),
            ("{\"topic\":\"$SYS/x\"}", "reserved"),
            ("{\"topic\":\"a\",\"qos\":3}", "qos must be 0, 1 or 2"),
            ("{\"topic\":\"a\",\"encoding\":\"hex\"}", "encoding must be utf8 or base64"),
            ("{\"topic\":\"a\",\"encoding\":\"base64\",\"payload\":\"!!\"}", "not valid Base64"),
            ("{\"topic\":\"a\",\"userProperties\":{\"k\":1}}", "userProperties.k"),
        ]
        for (body, message) in cases {
            let response = try exchange(channel, post("/api/v1/publish", body))
            #expect(response.status == 400, "\(body)")
            #expect((response.json?["message"] as? String)?.contains(message) == true, "\(body): \(response.body)")
        }
        let ok = try exchange(channel, post("/api/v1/publish", "{\"topic\":\"a/b\",\"payload\":\"hi\",\"qos\":1}"))
        #expect(ok.status == 200)
        #expect(ok.json?["deliveries"] as? Int == 0)
    }

    @Test("Expect: 100-continue gets 100 Continue before the body is sent")
    func expectContinue() throws {
        let channel = try makeChannel()
        let body = #"{"topic":"a/b","payload":"x"}"#
        try channel.writeInbound(
            ByteBuffer(
                string: "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer \(Self.token)\r\nExpect: 100-continue\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n"))
        var interim = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { interim.writeBuffer(&part) }
        #expect(String(buffer: interim).hasPrefix("HTTP/1.1 100 Continue\r\n"))
        let response = try exchange(channel, body)
        #expect(response.status == 200)
        #expect(response.json?["deliveries"] as? Int == 0)
    }

    @Test("a body past 1 MiB is 413 and the connection closes")
    func tooLarge() throws {
        let channel = try makeChannel()
        let response = try exchange(
            channel,
            "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer \(Self.token)\r\nContent-Length: \(AdminAPI.maxBodySize + 1)\r\n\r\n{")
        #expect(response.status == 413)
        #expect(response.headers["connection"] == "close")
        #expect(response.json?["error"] as? String == "payload_too_large")
    }

    @Test("a head that does not arrive within 10 s gets 408 and the connection closes")
    func headTimeout() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost:"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        #expect(String(buffer: bytes).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(String(buffer: bytes).contains("request_timeout"))
    }

    @Test("a body that does not end within 10 s of the connection gets 408: no trickled bodies")
    func bodyTimeout() throws {
        let channel = try makeChannel()
        try channel.writeInbound(
            ByteBuffer(
                string: "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer \(Self.token)\r\nContent-Length: 1000\r\n\r\n{\"topic\""))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        try channel.writeInbound(ByteBuffer(string: ":"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        #expect(String(buffer: bytes).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
    }

    @Test("a POST without Content-Type (or with an empty one) is 415, not a crash")
    func missingContentType() throws {
        let channel = try makeChannel()
        for header in ["", "Content-Type: \r\n", "Content-Type: ;\r\n"] {
            let response = try exchange(
                channel,
                "POST /api/v1/tokens/revoke HTTP/1.1\r\nHost: x\r\n\(header)Authorization: Bearer \(Self.token)\r\n"
                    + "Content-Length: 0\r\n\r\n")
            #expect(response.status == 415, "\(header)")
        }
    }

    @Test("a head over 8 KiB is 431")
    func headTooLarge() throws {
        let channel = try makeChannel()
        let response = try exchange(
            channel, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "a", count: 9000))\r\n\r\n")
        #expect(response.status == 431)
        #expect(response.headers["connection"] == "close")
    }

    @Test("tokens: issued for a configured key, refused for an unknown one")
    func tokens() throws {
        let channel = try makeChannel(accessKeys: [AccessKey(id: "backend", secret: "s3cret", role: .cloud)])
        let issued = try exchange(
            channel,
            post("/api/v1/tokens", #"{"accessKeyId":"backend","filters":["chat/#"],"actions":"RW","expiresIn":3600}"#))
        #expect(issued.status == 201)
        let token = try #require(issued.json?["token"] as? String)
        #expect(issued.json?["password"] as? String == "RW|\(token)")
        #expect(issued.json?["expiresAt"] as? Int == Int(Self.now / 1000 + 3600) * 1000)
        let unknown = try exchange(
            channel,
            post("/api/v1/tokens", #"{"accessKeyId":"nobody","filters":["chat/#"],"actions":"RW","expiresIn":3600}"#))
        #expect(unknown.status == 400)
        let badActions = try exchange(
            channel,
            post("/api/v1/tokens", #"{"accessKeyId":"backend","filters":["chat/#"],"actions":"X","expiresIn":3600}"#))
        #expect(badActions.status == 400)
    }

    @Test("clients: empty list, 404 for an unknown client, bad paging is 400")
    func clients() throws {
        let channel = try makeChannel()
        let auth = "Authorization: Bearer \(Self.token)\r\n"
        let list = try exchange(channel, "GET /api/v1/clients HTTP/1.1\r\nHost: x\r\n\(auth)\r\n")
        #expect(list.status == 200)
        #expect(list.json?["total"] as? Int == 0)
        #expect(list.json?["limit"] as? Int == 100)
        #expect(try exchange(channel, "GET /api/v1/clients/nobody HTTP/1.1\r\nHost: x\r\n\(auth)\r\n").status == 404)
        #expect(try exchange(channel, "DELETE /api/v1/clients/nobody HTTP/1.1\r\nHost: x\r\n\(auth)\r\n").status == 404)
        #expect(try exchange(channel, "GET /api/v1/clients?limit=1001 HTTP/1.1\r\nHost: x\r\n\(auth)\r\n").status == 400)
        #expect(try exchange(channel, "GET /api/v1/clients?page=0 HTTP/1.1\r\nHost: x\r\n\(auth)\r\n").status == 400)
    }
}
