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
import SwiftletWebSocket

/// MQTT over WebSocket (MQTT 5 §6): between the socket and the `MQTTConnectionHandler`.
///
/// Inbound it parses RFC 6455 frames and passes the bytes of binary data frames on, inflated
/// when the message was compressed; the MQTT decoder after it does not care where messages begin
/// or end, since one message may hold several MQTT packets and one packet may span messages
/// (STYLE §2.1). Outbound every write (one or more MQTT packets) becomes one binary message,
/// compressed when permessage-deflate was negotiated and the message is large enough; a message
/// written to many connections of one loop is compressed once (WebSocketLoopResources).
///
/// Control frames, the close handshake and protocol errors are handled here: ping gets pong with
/// the same payload, a Close is echoed and the connection closed, a violation is answered with
/// the close code of RFC 6455 §7.4.1 before the TCP connection closes.
///
/// A compressed message of about 1 KiB may inflate to 1 MiB of MQTT packets, and one socket read
/// may hold dozens of such messages. So one compressed message is inflated per `read` the
/// pipeline asks for: the frames behind it wait here, compressed, until the MQTT handler has
/// worked through what it was given and its output has drained (it holds `read` until then,
/// InboundFlowControl). What one connection holds is then one socket read of frames and one
/// inflated message, whatever the client sends.
final class WebSocketMQTTBridge: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var parser: WebSocketFrameParser
    private var tracker: WebSocketMessageTracker
    private var closing = WebSocketCloseStateMachine()
    private let deflate: PerMessageDeflateNegotiation.Configuration?
    /// The window the server deflates with: at most the client's `server_max_window_bits`.
    private let deflateWindowBits: Int
    private let resources: WebSocketLoopResources
    private var inflater: Inflater?
    private var pending: ByteBuffer?
    /// The pipeline asked for data (`read`) and no compressed message was passed on since.
    private var demand = true
    /// A pass over `pending` is queued on the loop (see ``read(context:)``).
    private var passScheduled = false
    /// Set once the connection failed (a protocol error): the stream has no frame boundary any
    /// more, so what still arrives during the lingering close is dropped unparsed.
    private var failed = false
    /// The promise of a `close` that waits, half-closed, for the client (``closeAfter``);
    /// completed when the channel goes inactive.
    private var closePromise: EventLoopPromise<Void>?
    private let logger: Logger
    /// How long the connection stays half-closed after the server's Close frame, for the client
    /// to read it and answer, before the TCP connection is closed anyway: a client that does not
    /// read, or never answers, must not keep its socket.
    static let lingerTimeout = TimeAmount.seconds(2)

    /// - Parameter deflate: the permessage-deflate settings and parameters if the extension was
    ///   negotiated.
    init(
        maxMessageSize: Int,
        deflate: (configuration: PerMessageDeflateNegotiation.Configuration, parameters: PerMessageDeflateNegotiation.Parameters)?,
        resources: WebSocketLoopResources,
        logger: Logger
    ) {
        self.parser = WebSocketFrameParser(maxFrameSize: maxMessageSize, allowsRSV1: deflate != nil)
        self.tracker = WebSocketMessageTracker(maxMessageSize: maxMessageSize)
        self.deflate = deflate?.configuration
        self.deflateWindowBits = deflate?.parameters.serverMaxWindowBits ?? 15
        self.resources = resources
        self.logger = logger
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a failure the parser would fail again and cut the lingering close short.
        guard !failed else { return }
        let bytes = unwrapInboundIn(data)
        if pending == nil {
            pending = bytes
        } else {
            pending!.writeImmutableBuffer(bytes)
        }
        processPending(context: context)
    }

    /// Parses and handles the frames in `pending` while the pipeline wants data.
    private func processPending(context: ChannelHandlerContext) {
        do {
            while demand, var buffer = pending {
                pending = nil  // keep the buffer uniquely referenced while it is parsed
                let frame = try parser.next(&buffer)
                pending = buffer.readableBytes > 0 ? buffer : nil
                guard let frame else { break }
                try frameReceived(frame, context: context)
            }
            if var rest = pending, rest.readerIndex > 4096 {
                rest.discardReadBytes()
                pending = rest
            }
        } catch let error as WebSocketProtocolError {
            fail(context: context, code: error.closeCode, message: error.message)
        } catch let error as DeflateError {
            let code: WebSocketCloseCode = error == .messageTooBig ? .messageTooBig : .invalidFramePayloadData
            fail(context: context, code: code, message: "permessage-deflate: \(error)")
        } catch {
            fail(context: context, code: .internalServerError, message: "\(error)")
        }
    }

    private func frameReceived(_ frame: WebSocketFrame, context: ChannelHandlerContext) throws {
        guard case .process = closing.dataReceived() else { return }  // RFC 6455 §5.5.1
        switch try tracker.frameReceived(frame) {
        case .data(let payload, let messageStart, let messageEnd, let compressed, let opcode):
            guard opcode == .binary else {
                // MQTT packets travel in binary frames only [MQTT-6.0.0-1].
                throw WebSocketProtocolError(closeCode: .unsupportedData, message: "MQTT needs binary frames")
            }
            guard compressed, let deflate else {
                if payload.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(payload)) }
                return
            }
            if messageStart || inflater == nil { inflater = try resources.inflaters.take() }
            var output = context.channel.allocator.buffer(capacity: min(payload.readableBytes * 4, 64 * 1024))
            do {
                try inflater!.inflate(
                    payload, isFinalFrameOfMessage: messageEnd, limit: deflate.maximumDecompressedMessageSize,
                    into: &output)
            } catch {
                returnInflater()
                throw error
            }
            if messageEnd { returnInflater() }
            if output.readableBytes > 0 {
                // The next compressed frame waits for the next `read`.
                demand = false
                context.fireChannelRead(wrapInboundOut(output))
            }
        case .ping(let payload):
            // RFC 6455 §5.5.2: a Pong with the same application data, as soon as practical.
            var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 2)
            WebSocketFrameEncoder.encodePong(payload: payload, into: &frame)
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .pong:
            break
        case .close(let code, _):
            switch closing.closeReceived(code: code) {
            case .sendCloseThenShutdown(let echo):
                sendClose(context: context, code: echo, thenShutdown: true)
            case .shutdown:
                context.close(promise: nil)
            case .none:
                break
            }
        }
    }

    private func returnInflater() {
        if let inflater { resources.inflaters.recycle(inflater) }
        inflater = nil
    }

    /// Fails the connection: Close with `code`, then the TCP close (RFC 6455 §7.1.7).
    private func fail(context: ChannelHandlerContext, code: WebSocketCloseCode, message: String) {
        logger.info("WebSocket protocol error, closing", metadata: ["code": "\(code.rawValue)", "error": "\(message)"])
        failed = true
        pending = nil
        returnInflater()
        switch closing.connectionFailed(code: code) {
        case .sendCloseThenShutdown(let code):
            sendClose(context: context, code: code, thenShutdown: true)
        case .shutdown:
            context.close(promise: nil)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketCloseCode?, thenShutdown: Bool) {
        var frame = context.channel.allocator.buffer(capacity: 4)
        WebSocketFrameEncoder.encodeClose(code: code, into: &frame)
        if thenShutdown {
            // The server closes the TCP connection first (RFC 6455 §7.1.1).
            closeAfter(frame, context: context, mode: .all, promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
    }

    /// Writes `frame` (a Close) and half-closes once it is written (RFC 6455 §7.1.1: the server
    /// closes the TCP connection first), so that the client reads the Close instead of a reset.
    /// With `mode` `.all` the connection is then closed when the client closes too (its FIN or
    /// its Close) or after ``lingerTimeout``; with `.output` the caller closes it later.
    private func closeAfter(
        _ frame: ByteBuffer, context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?
    ) {
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTimeout) {
            context.close(mode: .all, promise: nil)
        }
        context.channel.closeFuture.assumeIsolated().whenComplete { _ in deadline.cancel() }
        if let promise {
            if let waiting = closePromise {
                waiting.futureResult.cascade(to: promise)
            } else {
                closePromise = promise
            }
        }
        // Waits for the Close frame; a stalled client gets the deadline instead.
        context.close(mode: .output).assumeIsolated().whenFailure { _ in
            context.close(mode: .all, promise: nil)
        }
        // What the client still sends is read (and dropped) until its Close or FIN.
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        returnInflater()
        pending = nil
        closePromise?.succeed()
        closePromise = nil
        context.fireChannelInactive()
    }

    /// The pipeline wants data: frames already read go first, before the socket is read again.
    func read(context: ChannelHandlerContext) {
        demand = true
        guard pending != nil else {
            context.read()
            return
        }
        guard !passScheduled else { return }
        passScheduled = true
        // Behind the loop's other work: this may inflate another message, and `read` may come
        // from inside the handlers after this one.
        context.eventLoop.assumeIsolated().execute { [self] in
            passScheduled = false
            guard demand, context.channel.isActive else { return }
            processPending(context: context)
            context.fireChannelReadComplete()
            if demand {
                // What was read is used up (or holds part of a frame): read the socket.
                context.read()
            } else {
                // A message was passed on: ask for more the way the channel does after a socket
                // read, through the pipeline, so the MQTT handler can hold it.
                context.channel.read()
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        returnInflater()
        closePromise?.succeed()
        closePromise = nil
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        guard closing.canSendData else {
            // No data after our Close (RFC 6455 §5.5.1).
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if let deflate, deflate.shouldCompress(messageOfSize: message.readableBytes) {
            do {
                let frame = try resources.compressedFrame(
                    for: message, windowBits: deflateWindowBits, allocator: context.channel.allocator)
                context.write(wrapOutboundOut(frame), promise: promise)
                return
            } catch {
                logger.error("deflate failed, sending uncompressed", metadata: ["error": "\(error)"])
            }
        }
        if let frame = resources.sharedPlainFrame(for: message, allocator: context.channel.allocator) {
            context.write(wrapOutboundOut(frame), promise: promise)
            return
        }
        var header = context.channel.allocator.buffer(capacity: 10)
        WebSocketFrameEncoder.writeHeader(
            fin: true, rsv1: false, opcode: .binary, payloadLength: message.readableBytes, into: &header)
        context.write(wrapOutboundOut(header), promise: nil)
        context.write(wrapOutboundOut(message), promise: promise)
    }

    /// The MQTT side closes (DISCONNECT sent, keep-alive timeout, …): close the WebSocket cleanly
    /// with 1000 first. `.output` comes from an MQTT handler that lingers after its DISCONNECT and
    /// closes everything itself later.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input, case .sendClose(let code) = closing.closeRequested(code: .normalClosure) else {
            context.close(mode: mode, promise: promise)
            return
        }
        var frame = context.channel.allocator.buffer(capacity: 4)
        WebSocketFrameEncoder.encodeClose(code: code, into: &frame)
        closeAfter(frame, context: context, mode: mode, promise: promise)
    }
}

@available(*, unavailable)
extension WebSocketMQTTBridge: Sendable {}
