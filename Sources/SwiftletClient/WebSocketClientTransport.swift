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
import NIOCore
import SwiftletWebSocket

/// MQTT over WebSocket, client side (MQTT 5 §6, RFC 6455): between the socket and the
/// ``MQTTClientHandler``.
///
/// On ``start(inflaters:)`` it sends the upgrade request and holds every write until the
/// server's `101` response is checked (RFC 6455 §4.1). Then each write (one or more MQTT packets)
/// leaves as one masked binary frame (RFC 6455 §5.3; never compressed, which RFC 7692 §6 allows
/// per message), and binary messages from the server are passed on as the MQTT byte stream,
/// inflated when RSV1 is set (RFC 7692 §6.2). Frames are parsed with the client role: unmasked,
/// payloads handed on as slices (``WebSocketFrameParser/Role/client``).
final class WebSocketClientTransport: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The longest response head accepted, in bytes.
    static let maximumResponseHeadSize = 16 * 1024

    private enum Phase {
        case idle
        case awaitingResponse(key: String)
        case open
        case failed
    }

    private let host: String
    private let path: String
    private let offerDeflate: Bool
    private let maxMessageSize: Int
    private var phase: Phase = .idle
    private var context: ChannelHandlerContext?
    private var held: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var pending: ByteBuffer?
    private var parser: WebSocketFrameParser
    private var tracker: WebSocketMessageTracker
    private var closing = WebSocketCloseStateMachine()
    private var inflaters: InflaterPool?
    private var inflater: Inflater?

    /// What the server answered to the permessage-deflate offer, once the handshake is done.
    private(set) var deflate: PerMessageDeflateNegotiation.ClientParameters?

    init(host: String, path: String, offerDeflate: Bool, maxMessageSize: Int) {
        self.host = host
        self.path = path
        self.offerDeflate = offerDeflate
        self.maxMessageSize = maxMessageSize
        self.parser = WebSocketFrameParser(maxFrameSize: maxMessageSize, allowsRSV1: false, role: .client)
        self.tracker = WebSocketMessageTracker(maxMessageSize: maxMessageSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.returnInflater()
        self.context = nil
    }

    /// Sends the upgrade request.
    ///
    /// - Parameter inflaters: The event loop's pool, lent from when a compressed message starts.
    func start(inflaters: InflaterPool) {
        guard let context, case .idle = self.phase else { return }
        self.inflaters = inflaters
        let key = WebSocketClientHandshake.makeKey()
        self.phase = .awaitingResponse(key: key)
        let head = WebSocketClientHandshake.requestHead(
            host: self.host, path: self.path, key: key, offerDeflate: self.offerDeflate)
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        if self.pending == nil {
            self.pending = bytes
        } else {
            self.pending!.writeImmutableBuffer(bytes)
        }
        switch self.phase {
        case .idle, .failed:
            self.pending = nil
        case .awaitingResponse(let key):
            self.responseBytesReceived(key: key, context: context)
        case .open:
            self.parseFrames(context: context)
        }
    }

    private func responseBytesReceived(key: String, context: ChannelHandlerContext) {
        guard var buffer = self.pending else { return }
        let end = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.count >= 4 else { return nil }
            for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10
                && bytes[index + 2] == 13 && bytes[index + 3] == 10
            {
                return index
            }
            return nil
        }
        guard let end else {
            if buffer.readableBytes > Self.maximumResponseHeadSize {
                self.failHandshake("response head over \(Self.maximumResponseHeadSize) bytes", context: context)
            }
            return
        }
        let head = buffer.readString(length: end)!
        buffer.moveReaderIndex(forwardBy: 4)
        self.pending = buffer.readableBytes > 0 ? buffer : nil
        guard let (status, headers) = WebSocketClientHandshake.parseResponseHead(Substring(head)) else {
            self.failHandshake("unreadable response head", context: context)
            return
        }
        let accepted: WebSocketClientHandshake.Accepted
        do {
            accepted = try WebSocketClientHandshake.validate(
                status: status, headers: headers, key: key, offeredDeflate: self.offerDeflate)
        } catch {
            self.failHandshake(error.description, context: context)
            return
        }
        self.deflate = accepted.deflate
        self.parser.allowsRSV1 = accepted.deflate != nil
        self.phase = .open
        // Now the held MQTT bytes (CONNECT) can go out as frames.
        let held = self.held
        self.held = []
        for (bytes, promise) in held {
            self.writeFrame(bytes, context: context, promise: promise)
        }
        context.flush()
        self.parseFrames(context: context)
    }

    private func failHandshake(_ reason: String, context: ChannelHandlerContext) {
        self.phase = .failed
        self.pending = nil
        let error = WebSocketClientHandshake.Failure("WebSocket handshake failed: \(reason)")
        for (_, promise) in self.held { promise?.fail(error) }
        self.held = []
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func parseFrames(context: ChannelHandlerContext) {
        do {
            while var buffer = self.pending {
                self.pending = nil  // keep the buffer uniquely referenced while it is parsed
                let frame = try self.parser.next(&buffer)
                self.pending = buffer.readableBytes > 0 ? buffer : nil
                guard let frame else { break }
                try self.frameReceived(frame, context: context)
                guard case .open = self.phase else { return }
            }
            if var rest = self.pending, rest.readerIndex > 16 * 1024 {
                rest.discardReadBytes()
                self.pending = rest
            }
        } catch let error as WebSocketProtocolError {
            self.fail(code: error.closeCode, error: error, context: context)
        } catch let error as DeflateError {
            let code: WebSocketCloseCode = error == .messageTooBig ? .messageTooBig : .invalidFramePayloadData
            self.fail(code: code, error: error, context: context)
        } catch {
            self.fail(code: .internalServerError, error: error, context: context)
        }
    }

    private func frameReceived(_ frame: WebSocketFrame, context: ChannelHandlerContext) throws {
        guard case .process = self.closing.dataReceived() else { return }  // RFC 6455 §5.5.1
        switch try self.tracker.frameReceived(frame) {
        case .data(let payload, _, let messageEnd, let compressed, let opcode):
            guard opcode == .binary else {
                // MQTT packets travel in binary frames only [MQTT-6.0.0-1].
                throw WebSocketProtocolError(closeCode: .unsupportedData, message: "MQTT needs binary frames")
            }
            guard compressed, let inflaters else {
                if payload.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(payload)) }
                return
            }
            // RFC 7692 §6.1: RSV1 marks the first frame; the tracker reports it for the whole message.
            if self.inflater == nil { self.inflater = try inflaters.take() }
            var output = context.channel.allocator.buffer(capacity: min(payload.readableBytes * 4, 64 * 1024))
            try self.inflater!.inflate(
                payload, isFinalFrameOfMessage: messageEnd, limit: self.maxMessageSize, into: &output)
            if messageEnd {
                if self.deflate?.serverNoContextTakeover ?? false {
                    // RFC 7692 §7.1.1.1: the next message starts afresh; lend the inflater back.
                    self.returnInflater()
                } else {
                    // The server keeps its LZ77 window between messages: so must we (RFC 7692
                    // §7.2.2), with the same inflater and without a reset.
                }
            }
            if output.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(output)) }
        case .ping(let payload):
            // RFC 6455 §5.5.2: answer with a Pong carrying the same data, masked (§5.1).
            var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 6)
            WebSocketFrameEncoder.encodeMasked(
                WebSocketFrame(opcode: .pong, payload: payload), maskingKey: .random(), into: &frame)
            context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
        case .pong:
            break
        case .close(let code, _):
            switch self.closing.closeReceived(code: code) {
            case .sendCloseThenShutdown(let echo):
                self.sendClose(code: echo, context: context)
            case .shutdown, .none:
                context.close(promise: nil)
            }
        }
    }

    private func returnInflater() {
        if let inflater { self.inflaters?.recycle(inflater) }
        self.inflater = nil
    }

    /// Fails the connection: Close with `code`, then close TCP (RFC 6455 §7.1.7).
    private func fail(code: WebSocketCloseCode, error: any Error, context: ChannelHandlerContext) {
        self.pending = nil
        self.returnInflater()
        self.phase = .failed
        context.fireErrorCaught(error)
        switch self.closing.connectionFailed(code: code) {
        case .sendCloseThenShutdown(let code):
            self.sendClose(code: code, context: context)
        case .shutdown:
            context.close(promise: nil)
        }
    }

    private func sendClose(code: WebSocketCloseCode?, context: ChannelHandlerContext) {
        var payload = context.channel.allocator.buffer(capacity: 2)
        if let code { payload.writeInteger(code.rawValue) }
        var frame = context.channel.allocator.buffer(capacity: 8)
        WebSocketFrameEncoder.encodeMasked(
            WebSocketFrame(opcode: .close, payload: payload), maskingKey: .random(), into: &frame)
        context.writeAndFlush(self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.returnInflater()
        for (_, promise) in self.held { promise?.fail(ChannelError.ioOnClosedChannel) }
        self.held = []
        context.fireChannelInactive()
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = self.unwrapOutboundIn(data)
        switch self.phase {
        case .idle, .awaitingResponse:
            self.held.append((bytes, promise))
        case .open:
            guard self.closing.canSendData else {
                promise?.fail(ChannelError.ioOnClosedChannel)  // RFC 6455 §5.5.1
                return
            }
            self.writeFrame(bytes, context: context, promise: promise)
        case .failed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        // Before the handshake completes the held writes wait; the flush after it sends them.
        guard case .open = self.phase else { return }
        context.flush()
    }

    private func writeFrame(_ bytes: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        // RFC 6455 §5.1, §5.3: every client frame is masked with a fresh key.
        var frame = context.channel.allocator.buffer(capacity: bytes.readableBytes + 14)
        WebSocketFrameEncoder.encodeMasked(
            WebSocketFrame(opcode: .binary, payload: bytes), maskingKey: .random(), into: &frame)
        context.write(self.wrapOutboundOut(frame), promise: promise)
    }

    /// Closing from the MQTT side (after DISCONNECT): Close 1000 first (RFC 6455 §7.1.2).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, case .open = self.phase,
            case .sendClose(let code) = self.closing.closeRequested(code: .normalClosure)
        else {
            context.close(mode: mode, promise: promise)
            return
        }
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.writeInteger(code.rawValue)
        var frame = context.channel.allocator.buffer(capacity: 8)
        WebSocketFrameEncoder.encodeMasked(
            WebSocketFrame(opcode: .close, payload: payload), maskingKey: .random(), into: &frame)
        context.writeAndFlush(self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(mode: mode, promise: promise)
        }
    }
}

@available(*, unavailable)
extension WebSocketClientTransport: Sendable {}
