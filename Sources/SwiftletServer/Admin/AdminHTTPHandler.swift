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
import Logging
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 side of the admin API: reads a request head and a body of at most
/// ``AdminAPI/maxBodySize`` bytes, hands the whole request to ``AdminAPI``, writes its answer.
///
/// Sits behind NIOHTTP1's server pipeline with pipelining assistance (one request at a time) and
/// without its error handler: parser errors are answered here (431 for an oversized head, 400
/// otherwise), as ``StaticFileHandler`` does, and so are requests ``HTTPHostFieldValidator``
/// refused (400, RFC 9112 §3.2). The whole request, head and body, must arrive within
/// the head timeout (``HTTPHeadTimeoutStateMachine``), so an idle or trickling client cannot hold a
/// connection.
package final class AdminHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    package struct Configuration: Sendable {
        /// The largest request head, as NIOHTTP1 counts it. Default: 8 KiB.
        package var maxRequestHeadSize = 8 * 1024
        /// How long a client has for a complete request head. Default: 10 seconds.
        package var requestHeadTimeout: TimeAmount = .seconds(10)

        package init() {}
    }

    private enum State {
        case idle
        case receiving(HTTPRequestHead, body: ByteBuffer)
        case responding(keepAlive: Bool)
        case closed
    }

    private let api: AdminAPI
    private let logger: Logger
    private var headTimeout: HTTPHeadTimeoutStateMachine
    private var state: State = .idle
    private var context: ChannelHandlerContext?
    private var timer: NIOScheduledCallback?
    /// Closes the connection at the end of a graceful close.
    private var lingerTask: Scheduled<Void>?

    /// How long a gracefully closing connection waits for the client to close its side.
    private static let lingerTime: TimeAmount = .seconds(2)

    package init(api: AdminAPI, configuration: Configuration, logger: Logger) {
        self.api = api
        self.logger = logger
        self.headTimeout = HTTPHeadTimeoutStateMachine(timeout: configuration.requestHeadTimeout)
    }

    // MARK: - Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            run(headTimeout.connectionActive(now: context.eventLoop.now), context: context)
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        state = .closed
        lingerTask?.cancel()
        lingerTask = nil
        run(headTimeout.connectionClosed(), context: context)
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        run(headTimeout.connectionActive(now: context.eventLoop.now), context: context)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        lingerTask?.cancel()
        lingerTask = nil
        run(headTimeout.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (Self.unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            // The head timeout runs on until the body has ended too: a client that trickles a
            // body would otherwise hold the connection and up to maxBodySize bytes for ever.
            // A declared length past the limit is refused before any of the body is read.
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > AdminAPI.maxBodySize {
                tooLarge(head, context: context)
                return
            }
            state = .receiving(head, body: context.channel.allocator.buffer(capacity: 0))
            // RFC 9110 §10.1.1: a client that waits for 100 (curl does for bodies over 1 KiB) is
            // told to go on; a body that turns out too large is still refused with 413.
            if head.version == .http1_1, head.headers.first(name: "Expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(
                    Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case (.body(var chunk), .receiving(let head, var body)):
            guard body.readableBytes + chunk.readableBytes <= AdminAPI.maxBodySize else {
                // A chunked body that grows past the limit.
                tooLarge(head, context: context)
                return
            }
            state = .idle  // drop the reference so that the write below does not copy
            body.writeBuffer(&chunk)
            state = .receiving(head, body: body)
        case (.end, .receiving(let head, let body)):
            run(headTimeout.requestHeadReceived(), context: context)
            respond(to: head, body: body, context: context)
        case (.head, _), (.body, _), (.end, _):
            // Parts of a request already answered (413), or of a closing connection.
            break
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .closed = state, lingerTask != nil, error is ByteToMessageDecoderError {
            // Bytes the failed decoder drops while the connection closes gracefully.
            return
        }
        if let refusal = error as? HTTPRequestRefusal {
            // RFC 9112 §3.2: a missing or repeated Host field is 400 (logged by the validator).
            // HTTPHostFieldValidator drops the rest of the connection's input: close after it.
            switch state {
            case .idle, .receiving:
                send(.error(.badRequest, "bad_request", refusal.reason), head: refusal.head, keepAlive: false, context: context)
            case .responding, .closed:
                close(context: context)
            }
            return
        }
        guard let parserError = error as? HTTPParserError else {
            logger.debug("admin HTTP connection error", metadata: ["error": "\(error)"])
            close(context: context)
            return
        }
        switch state {
        case .idle, .receiving:
            // RFC 6585 §5: 431 for an oversized header section; RFC 9112 §2.2: 400 otherwise.
            let status: HTTPResponseStatus =
                if case .headerOverflow = parserError { .requestHeaderFieldsTooLarge } else { .badRequest }
            logger.debug("refused malformed admin HTTP request", metadata: ["error": "\(parserError)"])
            let code = status == .badRequest ? "bad_request" : "headers_too_large"
            send(.error(status, code, "malformed HTTP request"), head: nil, keepAlive: false, context: context)
        case .responding, .closed:
            close(context: context)
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, case .closed = state {
            // The client saw our close: finish it.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Responding

    private func tooLarge(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        logger.debug("admin request body too large", metadata: ["http.target": "\(head.uri)"])
        // RFC 9110 §15.5.14: 413; the connection closes, as the rest of the body is not read.
        send(
            .error(.payloadTooLarge, "payload_too_large", "the body is larger than \(AdminAPI.maxBodySize) bytes"),
            head: head, keepAlive: false, context: context)
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        state = .responding(keepAlive: keepAlive)
        let request = AdminRequest(method: head.method.rawValue, target: head.uri, headers: head.headers, body: body)
        api.respond(to: request, on: context.eventLoop).hop(to: context.eventLoop).assumeIsolated().whenComplete {
            result in
            guard case .responding = self.state else { return }
            switch result {
            case .success(let response):
                self.send(response, head: head, keepAlive: keepAlive, context: context)
            case .failure(let error):
                self.logger.error("admin request failed", metadata: ["error": "\(error)"])
                self.send(
                    .error(.internalServerError, "internal", "the request failed"), head: head, keepAlive: false,
                    context: context)
            }
        }
    }

    private func send(_ response: AdminResponse, head: HTTPRequestHead?, keepAlive: Bool, context: ChannelHandlerContext) {
        state = .responding(keepAlive: keepAlive)
        var headers = HTTPHeaders()
        // RFC 9110 §6.6.1: an origin server with a clock sends Date.
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        headers.add(contentsOf: response.headers)
        if let contentType = response.contentType { headers.add(name: "Content-Type", value: contentType) }
        // RFC 9110 §8.6: no Content-Length on a 204.
        if response.status != .noContent {
            headers.add(name: "Content-Length", value: String(response.body?.readableBytes ?? 0))
        }
        context.write(
            Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
            promise: nil)
        if let body = response.body, head?.method != .HEAD, response.status != .noContent {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        state = keepAlive ? .idle : .closed
        run(headTimeout.responseCompleted(now: context.eventLoop.now, keepAlive: keepAlive), context: context)
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in self.closeGracefully(context: context) }
        }
    }

    /// Closes in stages (RFC 9112 §9.6): output first, then the whole connection once the client
    /// has closed its side, or after ``lingerTime``. Closing at once while request bytes are
    /// still unread (the rest of a body past the limit) would make the kernel send a reset, which
    /// can destroy the response before the client has read it.
    private func closeGracefully(context: ChannelHandlerContext) {
        state = .closed
        guard context.channel.isActive, lingerTask == nil else { return }
        let closedOutput = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: closedOutput)
        closedOutput.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        lingerTask = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            context.close(promise: nil)
        }
    }

    private func close(context: ChannelHandlerContext) {
        state = .closed
        run(headTimeout.connectionClosed(), context: context)
        context.close(promise: nil)
    }

    private func run(_ action: HTTPHeadTimeoutStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .scheduleTimer(let deadline):
            timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
        case .cancelTimer:
            timer?.cancel()
            timer = nil
        case .sendRequestTimeoutAndClose:
            timer = nil
            switch state {
            case .idle, .receiving:
                // No request is in flight for HTTPServerPipelineHandler: take it out, then answer.
                let pipeline = context.pipeline.syncOperations
                if let pipelining = try? pipeline.handler(type: HTTPServerPipelineHandler.self) {
                    pipeline.removeHandler(pipelining, promise: nil)
                }
                // RFC 9110 §15.5.9.
                send(
                    .error(.requestTimeout, "request_timeout", "no complete request in time"), head: nil,
                    keepAlive: false, context: context)
            case .responding, .closed:
                close(context: context)
            }
        }
    }
}

extension AdminHTTPHandler: NIOScheduledCallbackHandler {
    package func handleScheduledCallback(eventLoop: some EventLoop) {
        guard let context else { return }
        timer = nil
        run(headTimeout.timerFired(now: eventLoop.now), context: context)
    }
}

@available(*, unavailable)
extension AdminHTTPHandler: Sendable {}

extension AdminHTTPHandler {
    /// NIOHTTP1's server pipeline (pipelining assistance, no error handler: this handler answers
    /// parser errors) followed by an ``AdminHTTPHandler``. Call on the channel's loop.
    package static func configure(
        pipeline: ChannelPipeline.SynchronousOperations, api: AdminAPI, configuration: Configuration, logger: Logger
    ) throws {
        try pipeline.configureSwiftletHTTPServer(maxRequestHeadSize: configuration.maxRequestHeadSize, logger: logger)
        try pipeline.addHandler(AdminHTTPHandler(api: api, configuration: configuration, logger: logger))
    }
}
