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

extension ChannelPipeline.SynchronousOperations {
    /// NIOHTTP1's server handlers as every Swiftlet HTTP listener (static files with the WebSocket
    /// upgrade, the admin API) wants them: one request at a time (pipelining assistance), outbound
    /// header validation, request heads of at most `maxRequestHeadSize` bytes (an oversized head
    /// fails with `HTTPParserError.headerOverflow`), and no `HTTPServerProtocolErrorHandler`: the
    /// handler added after these answers parser errors itself (431/400), and both would write a
    /// response. Then ``HTTPHostFieldValidator`` (RFC 9112 §3.2), which turns a request with a
    /// missing or repeated Host field into an ``HTTPRequestRefusal`` error that the same handler
    /// answers with 400. Call on the channel's loop.
    func configureSwiftletHTTPServer(
        maxRequestHeadSize: Int, upgrade: NIOHTTPServerUpgradeConfiguration? = nil, logger: Logger
    ) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxRequestHeadSize
        limits.maxHeaderListSize = maxRequestHeadSize
        try configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: upgrade,
            withErrorHandling: false,
            withOutboundHeaderValidation: true,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: limits
        )
        // After the upgrade handler, which passes on every request it does not upgrade: the
        // handler is not one of the HTTP handlers the upgrade handler removes (NIOHTTP1 takes no
        // extra ones through this function), so it has to see the upgrade event to leave.
        try addHandler(HTTPHostFieldValidator(logger: logger))
    }
}

/// RFC 3986 §2.1 percent-decoding, shared by the static files' paths and the admin API's routes.
enum PercentDecoding {
    /// The bytes `text` stands for; nil for a `%` not followed by two hex digits. What the bytes
    /// may be (UTF-8, no NUL or slash, …) is the caller's rule.
    static func bytes(_ text: some StringProtocol) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
