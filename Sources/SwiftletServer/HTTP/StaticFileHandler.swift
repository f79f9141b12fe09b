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
import NIOPosix

/// Serves the files of a web root over HTTP/1.1: `GET` and `HEAD` only, read off the event loop.
///
/// The handler sits at the end of an HTTP server pipeline (see
/// ``configure(pipeline:configuration:threadPool:logger:)`` for the order) and answers one request
/// at a time; `HTTPServerPipelineHandler` holds back pipelined requests until the previous
/// response has ended.
///
/// What it does, and where each rule comes from:
/// - Methods other than `GET` and `HEAD`: `405` with `Allow: GET, HEAD` (RFC 9110 §15.5.6).
/// - The path: see ``StaticFileRequestTarget`` (lexical checks, `400` or `404`) and
///   ``StaticFileResolver`` (`realpath` containment, symbolic links out of the root are `404`).
/// - A directory serves its `index.html`; without the trailing slash it is `301` to the slash
///   form, so relative links inside the page resolve (RFC 9110 §15.4.2). No listings.
/// - Validators: a weak `ETag` from size and modification time, `Last-Modified`, and
///   `If-None-Match` answered with `304` (RFC 9110 §13.1.2, §15.4.5). `If-Modified-Since` is not
///   evaluated: every browser that revalidates sends `If-None-Match`, which takes precedence
///   (RFC 9110 §13.2.2).
/// - Files above ``Configuration/maxFileSize`` are `404`, not `413`: 413 is about request content
///   (RFC 9110 §15.5.14), and the demo page has no business serving large files.
/// - Limits (DESIGN §9): a request head larger than ``Configuration/maxRequestHeadSize`` is `431`
///   (RFC 6585 §5), any other parse error is `400`, and a head that has not arrived within
///   ``Configuration/requestHeadTimeout`` is `408` (RFC 9110 §15.5.9); all three close.
/// - An HTTP/1.1 request without `Host`, or any request with two, is `400` and closes
///   (RFC 9112 §3.2; ``HTTPHostFieldValidator`` refuses it, this handler answers).
///
/// File reads use `NonBlockingFileIO` on the caller's `NIOThreadPool`, and resolution (`realpath`,
/// `open`, `fstat`) runs on the same pool, so the event loop never blocks. `NonBlockingFileIO` is
/// future-based, which suits a classic handler on the loop; NIOFileSystem is async-only and would
/// cost a `Task` and loop hops per request, plus another product dependency. The body goes out in
/// `ByteBuffer` chunks, not a `FileRegion`, so the same handler works behind TLS on the HTTPS
/// port; the next chunk is read only when the previous one has been written, so a slow reader
/// holds at most one chunk in memory.
package final class StaticFileHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    /// Where the files are and how they are served. The defaults are the broker's.
    package struct Configuration: Sendable {
        /// The web root. Default: `web-demo`, relative to the working directory.
        package var root: String
        /// The file served for a directory. Default: `index.html`.
        package var indexFileName: String = "index.html"
        /// Files larger than this are not served (`404`). Default: 32 MiB.
        package var maxFileSize: Int = 32 * 1024 * 1024
        /// The largest request head: the request-target plus all field names and values, as
        /// NIOHTTP1 counts them (line endings, colons and spaces are not counted). Larger heads
        /// get `431`. Default: 8 KiB.
        package var maxRequestHeadSize: Int = 8 * 1024
        /// How long a client has to send a complete request head after connecting and after
        /// each response. Default: 10 seconds.
        package var requestHeadTimeout: TimeAmount = .seconds(10)
        /// The size of the chunks read from a file and written to the socket. Default: 64 KiB.
        package var chunkSize: Int = 64 * 1024
        /// `max-age`, in seconds, for everything but HTML. Default: 300.
        ///
        /// HTML gets `Cache-Control: no-cache`: the browser revalidates the page on every load
        /// (cheap, a `304`), so a new deployment shows at once. Other files get
        /// `public, max-age=300`: the demo's assets have no content hashes in their names, so a
        /// long lifetime would pin stale scripts; five minutes saves the round trips of one visit
        /// and bounds staleness after a deployment.
        package var cacheMaxAge: Int = 300

        /// - Parameter root: The web root.
        package init(root: String = "web-demo") {
            self.root = root
        }

    }

    /// Where the connection is in its current request.
    private enum RequestState {
        /// Between requests.
        case idle
        /// A request head arrived; waiting for its end.
        case receiving(HTTPRequestHead)
        /// Writing the response. `keepAlive` says whether the connection survives it.
        case responding(keepAlive: Bool)
        /// The connection is closing or the handler has left the pipeline: do nothing more.
        case closed
    }

    private let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let fileIO: NonBlockingFileIO
    private let logger: Logger
    private var headTimeout: HTTPHeadTimeoutStateMachine
    private var state: RequestState = .idle
    /// Set between `handlerAdded` and `handlerRemoved`, for the timer callback.
    private var context: ChannelHandlerContext?
    private var timer: NIOScheduledCallback?
    /// The remote peer half-closed: finish the current response, then close.
    private var inputClosed = false
    /// Closes the connection at the end of a graceful close.
    private var lingerTask: Scheduled<Void>?

    /// How long a gracefully closing connection waits for the client to close its side.
    private static let lingerTime: TimeAmount = .seconds(2)

    /// - Parameters:
    ///   - configuration: The web root and limits.
    ///   - threadPool: The pool for blocking file system calls. It must be running.
    ///   - logger: For refused requests (debug) and I/O failures (info).
    package init(configuration: Configuration, threadPool: NIOThreadPool, logger: Logger) {
        self.configuration = configuration
        self.threadPool = threadPool
        self.fileIO = NonBlockingFileIO(threadPool: threadPool)
        self.logger = logger
        self.headTimeout = HTTPHeadTimeoutStateMachine(timeout: configuration.requestHeadTimeout)
    }

    // MARK: - Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.run(self.headTimeout.connectionActive(now: context.eventLoop.now), context: context)
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.state = .closed
        self.lingerTask?.cancel()
        self.lingerTask = nil
        self.run(self.headTimeout.connectionClosed(), context: context)
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        self.run(self.headTimeout.connectionActive(now: context.eventLoop.now), context: context)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.state = .closed
        self.lingerTask?.cancel()
        self.lingerTask = nil
        self.run(self.headTimeout.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (Self.unwrapInboundIn(data), self.state) {
        case (.head(let head), .idle):
            self.run(self.headTimeout.requestHeadReceived(), context: context)
            self.state = .receiving(head)
        case (.body, .receiving):
            // RFC 9110 §9.3.1, §9.3.2: content in GET or HEAD has no defined semantics. Any other
            // method is answered 405 once its body has been read and dropped.
            break
        case (.end, .receiving(let head)):
            self.respond(to: head, context: context)
        case (.head, _), (.body, _), (.end, _):
            // With HTTPServerPipelineHandler in front, a new head only arrives after the previous
            // response has ended; anything else is a misconfigured pipeline or a closing one.
            break
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .closed = self.state, self.lingerTask != nil, error is ByteToMessageDecoderError {
            // Bytes the failed decoder drops while the connection closes gracefully.
            return
        }
        if let refusal = error as? HTTPRequestRefusal {
            // RFC 9112 §3.2: a missing or repeated Host field is 400 (logged by the validator).
            // HTTPHostFieldValidator drops the rest of the connection's input: close after it.
            switch self.state {
            case .idle, .receiving:
                self.sendStatus(.badRequest, for: refusal.head, reason: refusal.reason, keepAlive: false, context: context)
            case .responding, .closed:
                self.closeNow(context: context)
            }
            return
        }
        guard let parserError = error as? HTTPParserError else {
            self.logger.debug("HTTP connection error", metadata: ["error": "\(error)"])
            self.closeNow(context: context)
            return
        }
        // The decoder stops after an error, so the connection cannot continue in any case.
        switch self.state {
        case .idle, .receiving:
            let status: HTTPResponseStatus
            if case .headerOverflow = parserError {
                // RFC 6585 §5: 431 for a header section that is too large.
                status = .requestHeaderFieldsTooLarge
            } else {
                // RFC 9112 §2.2, §3: a malformed request line or field is 400.
                status = .badRequest
            }
            self.logger.debug("refused malformed HTTP request", metadata: ["error": "\(parserError)"])
            self.sendStatus(status, for: nil, keepAlive: false, context: context)
        case .responding:
            // HTTPServerPipelineHandler delivers errors after the current response, so this is a
            // pipeline without it; a second response cannot be started.
            self.closeNow(context: context)
        case .closed:
            break
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is HTTPServerUpgradeEvents:
            // The connection became a WebSocket (`GET /mqtt`). This handler was added after the
            // upgrader and must not see the new protocol's messages: leave before the upgrader
            // replays buffered bytes.
            self.state = .closed
            self.run(self.headTimeout.connectionClosed(), context: context)
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case let event as ChannelEvent where event == .inputClosed:
            // RFC 9112 §9.6: the client sends no more requests; answer the current one, then close.
            self.inputClosed = true
            switch self.state {
            case .idle:
                self.closeNow(context: context)
            case .closed:
                // The client saw our close: finish it.
                context.close(promise: nil)
            case .receiving, .responding:
                break
            }
            context.fireUserInboundEventTriggered(event)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: - Responding

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
        let keepAlive = head.isKeepAlive && !self.inputClosed
        self.state = .responding(keepAlive: keepAlive)

        // RFC 9110 §9.1: GET and HEAD are the methods every general-purpose server supports;
        // the web root is read-only, so nothing else applies (405, RFC 9110 §15.5.6).
        guard head.method == .GET || head.method == .HEAD else {
            self.sendStatus(.methodNotAllowed, for: head, keepAlive: keepAlive, context: context)
            return
        }

        let target: StaticFileRequestTarget
        do throws(StaticFileRequestTarget.Rejection) {
            target = try StaticFileRequestTarget(uri: head.uri)
        } catch {
            switch error {
            case .badRequest(let reason):
                self.logger.debug("refused HTTP request target", metadata: ["uri": "\(head.uri)", "reason": "\(reason)"])
                self.sendStatus(.badRequest, for: head, keepAlive: keepAlive, context: context)
            case .notFound:
                self.sendStatus(.notFound, for: head, keepAlive: keepAlive, context: context)
            }
            return
        }

        let configuration = self.configuration
        self.threadPool.runIfActive(eventLoop: context.eventLoop) {
            StaticFileResolver.resolve(
                target,
                root: configuration.root,
                indexFileName: configuration.indexFileName,
                maxFileSize: configuration.maxFileSize
            )
        }
        .assumeIsolated()
        .whenComplete { result in
            self.resolved(result, target: target, head: head, keepAlive: keepAlive, context: context)
        }
    }

    private func resolved(
        _ result: Result<StaticFileResolution, any Error>,
        target: StaticFileRequestTarget,
        head: HTTPRequestHead,
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        guard case .responding = self.state else {
            // The connection closed while the pool worked.
            if case .success(.file(let file)) = result {
                try? file.handle.close()
            }
            return
        }
        switch result {
        case .failure(let error):
            // The pool is shutting down.
            self.logger.info("static file lookup failed", metadata: ["error": "\(error)"])
            self.sendStatus(.serviceUnavailable, for: head, keepAlive: false, context: context)
        case .success(.notFound(let reason)):
            self.logger.debug("static file not found", metadata: ["uri": "\(head.uri)", "reason": "\(reason)"])
            self.sendStatus(.notFound, for: head, keepAlive: keepAlive, context: context)
        case .success(.redirectToDirectory):
            self.sendStatus(
                .movedPermanently,
                for: head,
                extraHeaders: [("Location", target.redirectLocation)],
                keepAlive: keepAlive,
                context: context
            )
        case .success(.file(let file)):
            self.sendFile(file, for: head, keepAlive: keepAlive, context: context)
        }
    }

    private func sendFile(_ file: StaticFile, for head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        let etag = EntityTag(
            fileSize: file.size,
            modificationSeconds: file.modificationSeconds,
            modificationNanoseconds: file.modificationNanoseconds
        )
        let contentType = StaticFileMediaType.contentType(forFileName: file.fileName)
        var headers = self.baseHeaders(keepAlive: keepAlive, version: head.version)
        headers.add(name: "ETag", value: etag.fieldValue)
        headers.add(name: "Last-Modified", value: HTTPDate.format(secondsSince1970: file.modificationSeconds))
        headers.add(
            name: "Cache-Control",
            value: StaticFileMediaType.isHTML(contentType)
                ? "no-cache" : "public, max-age=\(self.configuration.cacheMaxAge)"
        )

        // RFC 9110 §13.1.2: If-None-Match false for GET/HEAD → 304, which carries the fields a
        // 200 would have had for caching (ETag, Cache-Control, …; RFC 9110 §15.4.5) and no content.
        if etag.matches(ifNoneMatch: head.headers["If-None-Match"]) {
            try? file.handle.close()
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .notModified, headers: headers))), promise: nil)
            self.endResponse(keepAlive: keepAlive, context: context)
            return
        }

        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(file.size))
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)

        // RFC 9110 §9.3.2: HEAD gets the same fields as GET and no content.
        guard head.method == .GET, file.size > 0 else {
            try? file.handle.close()
            self.endResponse(keepAlive: keepAlive, context: context)
            return
        }

        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let sentBytes = NIOLoopBoundBox(0, eventLoop: context.eventLoop)
        self.fileIO.readChunked(
            fileHandle: file.handle,
            fromOffset: 0,
            byteCount: file.size,
            chunkSize: self.configuration.chunkSize,
            allocator: context.channel.allocator,
            eventLoop: context.eventLoop
        ) { chunk in
            sentBytes.value += chunk.readableBytes
            // Wait for the write, so that a slow reader holds back the next read.
            return loopBoundContext.value.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(chunk))))
        }
        .assumeIsolated()
        .whenComplete { result in
            try? file.handle.close()
            guard case .responding = self.state else { return }
            switch result {
            case .success where sentBytes.value == file.size:
                self.endResponse(keepAlive: keepAlive, context: context)
            case .success, .failure:
                // The file shrank or a read or write failed after the head went out. The only
                // honest signal left is an incomplete message (RFC 9112 §6.3, §8).
                if case .failure(let error) = result {
                    self.logger.info("static file transfer failed", metadata: ["error": "\(error)"])
                }
                self.closeNow(context: context)
            }
        }
    }

    /// Sends a status with a short plain-text body such as `404 Not Found`, or
    /// `400 Bad Request: <reason>` (the fields only, for HEAD), then ends the response.
    private func sendStatus(
        _ status: HTTPResponseStatus,
        for request: HTTPRequestHead?,
        reason: String? = nil,
        extraHeaders: [(String, String)] = [],
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        self.state = .responding(keepAlive: keepAlive)
        var body = context.channel.allocator.buffer(capacity: 64)
        body.writeString("\(status.code) \(status.reasonPhrase)\(reason.map { ": " + $0 } ?? "")\n")

        var headers = self.baseHeaders(keepAlive: keepAlive, version: request?.version ?? .http1_1)
        headers.add(contentsOf: extraHeaders)
        if status == .methodNotAllowed {
            // RFC 9110 §15.5.6: a 405 MUST list the supported methods.
            headers.add(name: "Allow", value: "GET, HEAD")
        }
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")

        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if request?.method != .HEAD {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        self.endResponse(keepAlive: keepAlive, context: context)
    }

    /// The fields of every response.
    private func baseHeaders(keepAlive: Bool, version: HTTPVersion) -> HTTPHeaders {
        var headers = HTTPHeaders()
        // RFC 9110 §6.6.1: an origin server with a clock MUST send Date.
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        if !keepAlive {
            // RFC 9112 §9.6: announce the close.
            headers.add(name: "Connection", value: "close")
        } else if version.major == 1, version.minor == 0 {
            // RFC 9112 Appendix C.2.2: an HTTP/1.0 client only keeps the connection if told.
            headers.add(name: "Connection", value: "keep-alive")
        }
        return headers
    }

    /// Ends the response, and either waits for the next request head or closes.
    private func endResponse(keepAlive: Bool, context: ChannelHandlerContext) {
        let keepAlive = keepAlive && !self.inputClosed
        // Update the state before writing `.end`: HTTPServerPipelineHandler may deliver the next
        // pipelined request from inside that write.
        self.state = keepAlive ? .idle : .closed
        self.run(self.headTimeout.responseCompleted(now: context.eventLoop.now, keepAlive: keepAlive), context: context)
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in
                self.closeGracefully(context: context)
            }
        }
    }

    /// Closes in stages (RFC 9112 §9.6): output first, then the whole connection once the client
    /// has closed its side, or after ``lingerTime``.
    ///
    /// Closing at once while request bytes are still unread (an oversized head, pipelined
    /// requests) makes the kernel send a TCP reset, which can destroy the response before the
    /// client has read it.
    private func closeGracefully(context: ChannelHandlerContext) {
        self.state = .closed
        guard context.channel.isActive, self.lingerTask == nil else { return }
        let closedOutput = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: closedOutput)
        closedOutput.futureResult.assumeIsolated().whenFailure { _ in
            context.close(promise: nil)
        }
        self.lingerTask = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            context.close(promise: nil)
        }
    }

    private func closeNow(context: ChannelHandlerContext) {
        self.state = .closed
        self.run(self.headTimeout.connectionClosed(), context: context)
        context.close(promise: nil)
    }

    // MARK: - Head timeout

    private func run(_ action: HTTPHeadTimeoutStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .scheduleTimer(let deadline):
            self.timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
        case .cancelTimer:
            self.timer?.cancel()
            self.timer = nil
        case .sendRequestTimeoutAndClose:
            self.logger.debug("HTTP request head timed out")
            self.timer = nil
            switch self.state {
            case .idle, .receiving:
                // No request is in flight, so HTTPServerPipelineHandler would (rightly) take any
                // response for a bug. This connection ends here: take it out, then answer.
                let pipeline = context.pipeline.syncOperations
                if let pipelining = try? pipeline.handler(type: HTTPServerPipelineHandler.self) {
                    pipeline.removeHandler(pipelining, promise: nil)
                }
                // RFC 9110 §15.5.9: 408 and close, since the client may still be sending.
                self.sendStatus(.requestTimeout, for: nil, keepAlive: false, context: context)
            case .responding, .closed:
                self.closeNow(context: context)
            }
        }
    }
}

extension StaticFileHandler: NIOScheduledCallbackHandler {
    package func handleScheduledCallback(eventLoop: some EventLoop) {
        guard let context = self.context else { return }
        self.timer = nil
        self.run(self.headTimeout.timerFired(now: eventLoop.now), context: context)
    }
}

@available(*, unavailable)
extension StaticFileHandler: Sendable {}
