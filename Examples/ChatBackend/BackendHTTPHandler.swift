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

/// One HTTP request as the routes see it.
struct BackendRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [String: String]
    /// `X-Client-Secret`: the page's per-tab secret that binds its client ID (see ChatService).
    var clientSecret: String? = nil
}

/// One HTTP response: a status and a JSON body.
struct BackendResponse: Sendable {
    var status: HTTPResponseStatus
    var json: String

    static func error(_ status: HTTPResponseStatus, _ message: String) -> BackendResponse {
        BackendResponse(status: status, json: ChatService.json(["error": message]))
    }
}

/// The HTTP side of the chat backend, for the demo page: small GET/POST requests without bodies,
/// answered with JSON and CORS headers (the page is served by the broker, on another origin).
///
/// Requests with a body larger than 4 KiB are refused with 413; each connection handles one
/// request at a time (HTTP/1.1 without pipelining is all a browser's fetch needs).
final class BackendHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maximumBodySize = 4096

    private let route: @Sendable (BackendRequest) async -> BackendResponse
    private var request: (head: HTTPRequestHead, bodySize: Int)?

    init(route: @escaping @Sendable (BackendRequest) async -> BackendResponse) {
        self.route = route
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = (head, 0)
        case .body(let chunk):
            request?.bodySize += chunk.readableBytes
        case .end:
            guard let (head, bodySize) = request else { return }
            request = nil
            if bodySize > Self.maximumBodySize {
                write(.error(.payloadTooLarge, "request body larger than \(Self.maximumBodySize) bytes"), head, context)
                return
            }
            if head.method == .OPTIONS {
                write(BackendResponse(status: .noContent, json: ""), head, context)  // CORS preflight
                return
            }
            let (path, query) = Self.split(head.uri)
            let request = BackendRequest(
                method: head.method, path: path, query: query, clientSecret: head.headers.first(name: "X-Client-Secret"))
            let promise = context.eventLoop.makePromise(of: BackendResponse.self)
            let route = self.route
            promise.completeWithTask { await route(request) }
            // The route runs off the loop; its answer is written back on the channel's loop.
            promise.futureResult.assumeIsolated().whenSuccess { response in
                self.write(response, head, context)
            }
        }
    }

    private func write(_ response: BackendResponse, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        // The page is served by the broker's HTTP port, so its fetches are cross-origin (Fetch §3.2).
        headers.add(name: "Access-Control-Allow-Origin", value: "*")
        headers.add(name: "Access-Control-Allow-Methods", value: "GET, POST, OPTIONS")
        headers.add(name: "Access-Control-Allow-Headers", value: "content-type, x-client-secret")
        headers.add(name: "Cache-Control", value: "no-store")
        var body = context.channel.allocator.buffer(capacity: response.json.utf8.count)
        body.writeString(response.json)
        if !response.json.isEmpty {
            headers.add(name: "Content-Type", value: "application/json")
        }
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }

    /// The path and the decoded query parameters of a request target.
    static func split(_ uri: String) -> (path: String, query: [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = percentDecoded(keyValue[0]) else { continue }
                query[key] = keyValue.count == 2 ? percentDecoded(keyValue[1]) : ""
            }
        }
        return (String(parts[0]), query)
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; nil if malformed
    /// or not UTF-8 (Foundation's percent-decoding, which refuses both).
    static func percentDecoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
