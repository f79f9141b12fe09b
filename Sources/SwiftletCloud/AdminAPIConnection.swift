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
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftletAuth

/// One signed request to the broker's admin API (docs/admin-api.md), on a connection of its own.
///
/// The admin API listens on loopback or a private network next to the broker, and a backend
/// calls it for rare operations (tokens, presence checks, kicks), so a connection per request
/// keeps this small and stateless; the MQTT connection carries the traffic.
struct AdminAPIConnection: Sendable {
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var body: ByteBuffer
    }

    let host: String
    let port: Int
    let accessKeyID: String
    let secretKey: String
    /// Longest wait for the whole exchange.
    let timeout: TimeAmount

    /// Sends `method target` with a JSON `body` and the signature headers, and returns the answer.
    func request(_ method: HTTPMethod, _ target: String, body: [UInt8] = []) async throws -> Response {
        let timestamp = String(UInt64(Date().timeIntervalSince1970 * 1000))
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "X-Swiftlet-AccessKey", value: accessKeyID)
        headers.add(name: "X-Swiftlet-Timestamp", value: timestamp)
        headers.add(
            name: "X-Swiftlet-Signature",
            value: RequestSignature.signature(
                secret: secretKey, method: method.rawValue, target: target, timestamp: timestamp, body: body))
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }

        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Response.self)
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: headers)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw CloudError(.connectionFailed, "cannot reach the admin API at \(host):\(port): \(error)")
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(CloudError(.connectionFailed, "the admin API did not answer within \(timeout)"))
            channel.close(promise: nil)
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }

    /// `text` as one percent-encoded path segment (RFC 3986 §3.3): unreserved characters stay.
    static func pathSegment(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF")
                result += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
            }
        }
        return result
    }
}

/// Collects one HTTP response (the admin API's answers are small: a 1 MiB cap guards the rest).
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    static let maximumBodySize = 1 << 20

    private let promise: EventLoopPromise<AdminAPIConnection.Response>
    private var status: HTTPResponseStatus?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<AdminAPIConnection.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var chunk):
            guard body.readableBytes + chunk.readableBytes <= Self.maximumBodySize else {
                promise.fail(CloudError(.refused, "the admin API's answer is larger than 1 MiB"))
                context.close(promise: nil)
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            if let status { promise.succeed(.init(status: status, body: body)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(CloudError(.connectionFailed, "the admin API closed the connection before answering"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
