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

/// The server side of the `permessage-deflate` extension negotiation (RFC 7692 §5, §7.1).
///
/// Given the client's `Sec-WebSocket-Extensions` header values, ``negotiate(offers:configuration:)``
/// picks the first acceptable `permessage-deflate` offer and builds the response header value.
///
/// The answer always carries `server_no_context_takeover` (RFC 7692 §7.1.1.1, allowed unprompted) and
/// `client_no_context_takeover` (§7.1.1.2, allowed unprompted). With both, every message in either
/// direction is compressed from a fresh state, so the server keeps no zlib state per connection:
/// one ``DeflateCompressor`` per event loop compresses a message once for every subscriber, and
/// inflaters come from a per-loop ``InflaterPool`` for the duration of one message.
///
/// How far this enforces the RFC:
/// - An offer with an unknown parameter, a duplicated parameter, a value where none is allowed,
///   a missing value where one is required or a window size that is not `8`...`15` written without
///   leading zeros is declined (RFC 7692 §7.1: "a server MUST decline an extension negotiation offer"
///   whose parameters are invalid). The next offer is then tried (RFC 7692 §5).
/// - `server_max_window_bits=8` is valid but cannot be honoured: zlib's raw deflate rejects a 256-byte
///   window (STYLE.md Appendix A1), and the server may not answer with a larger value
///   (RFC 7692 §7.1.2.1). Such an offer is declined and the next one is tried.
/// - Other extensions are ignored (RFC 6455 §9.1: the server answers only with what it accepts).
/// - Extension and parameter names are compared ASCII case-insensitively; values may be tokens or
///   quoted strings whose unescaped content is a token (RFC 6455 §9.1).
///
/// The type does not see frames: checking RSV1 on inbound frames (RFC 7692 §6) belongs to the frame
/// layer, which must fail the connection on RSV1 when the extension was not negotiated.
package enum PerMessageDeflateNegotiation {
    /// The extension token (RFC 7692 §7).
    package static let extensionName = "permessage-deflate"

    /// The server's `permessage-deflate` settings.
    package struct Configuration: Hashable, Sendable {
        /// Whether the server accepts `permessage-deflate` at all. Default `true`.
        package var isEnabled: Bool
        /// The zlib compression level, `0`...`9` (values outside are clamped by ``DeflateCompressor``).
        /// Default `6`, zlib's default trade-off.
        package var compressionLevel: Int
        /// Messages shorter than this are sent uncompressed, with RSV1 clear (allowed per message by
        /// RFC 7692 §6.1). Default 256 bytes: small chat messages rarely shrink, batches do.
        package var minimumMessageSizeToCompress: Int
        /// The largest inflated message the server accepts; past it the connection is closed with
        /// 1009 (``DeflateError/messageTooBig``). Default 1 MiB.
        package var maximumDecompressedMessageSize: Int

        /// Creates a configuration; every argument has the documented default.
        package init(
            isEnabled: Bool = true,
            compressionLevel: Int = 6,
            minimumMessageSizeToCompress: Int = 256,
            maximumDecompressedMessageSize: Int = 1 << 20
        ) {
            self.isEnabled = isEnabled
            self.compressionLevel = compressionLevel
            self.minimumMessageSizeToCompress = minimumMessageSizeToCompress
            self.maximumDecompressedMessageSize = maximumDecompressedMessageSize
        }

        /// Whether a message of `byteCount` bytes should be compressed (RSV1 set) on a connection
        /// that negotiated the extension.
        package func shouldCompress(messageOfSize byteCount: Int) -> Bool {
            byteCount >= self.minimumMessageSizeToCompress
        }
    }

    /// What was agreed for one connection.
    ///
    /// Context takeover is off in both directions, always: it is not represented here.
    package struct Parameters: Hashable, Sendable {
        /// The LZ77 window, as a base-2 logarithm, the server must compress this connection's
        /// messages with: the offered `server_max_window_bits`, else 15. Always `9`...`15`.
        ///
        /// A message compressed with a window of `n` bits may be sent to every connection whose
        /// `serverMaxWindowBits >= n`.
        package var serverMaxWindowBits: Int
        /// The `client_max_window_bits` the server answered with, or `nil` when the client did not
        /// offer the parameter (then the client may use up to 15, RFC 7692 §7.1.2.2). The inflater
        /// always uses a 15-bit window, which decodes any smaller one.
        package var clientMaxWindowBits: Int?

        package init(serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int? = nil) {
            self.serverMaxWindowBits = serverMaxWindowBits
            self.clientMaxWindowBits = clientMaxWindowBits
        }
    }

    /// The accepted offer: the `Sec-WebSocket-Extensions` value to send and what it agrees to.
    package struct Response: Hashable, Sendable {
        /// The value of the response's `Sec-WebSocket-Extensions` header, for example
        /// `permessage-deflate; server_no_context_takeover; client_no_context_takeover`.
        package var headerValue: String
        /// The agreed parameters.
        package var parameters: Parameters
    }

    /// Chooses the first acceptable `permessage-deflate` offer.
    ///
    /// - Parameters:
    ///   - headerValues: The values of every `Sec-WebSocket-Extensions` header of the request, in
    ///     order. Several headers are equivalent to one whose value joins them with commas
    ///     (RFC 6455 §9.1).
    ///   - configuration: The server's settings.
    /// - Returns: The response, or `nil` when the extension is disabled, not offered, or no offer is
    ///   acceptable; then the server answers without the extension.
    package static func negotiate(
        offers headerValues: some Sequence<String>,
        configuration: Configuration
    ) -> Response? {
        guard configuration.isEnabled else { return nil }
        for headerValue in headerValues {
            for element in ExtensionHeaderParser.elements(of: Substring(headerValue)) {
                guard let offer = ExtensionHeaderParser.offer(from: element),
                    offer.name.lowercased() == Self.extensionName
                else {
                    // Not ours, or not even a well-formed extension token: ignore it (RFC 6455 §9.1).
                    continue
                }
                if let response = Self.accept(offer) {
                    return response
                }
                // RFC 7692 §5: a server that declines an offer goes on to the next one.
            }
        }
        return nil
    }

    // MARK: - Accepting one offer

    /// Validates one `permessage-deflate` offer and builds the answer, or returns `nil` to decline it.
    private static func accept(_ offer: ExtensionHeaderParser.Offer) -> Response? {
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        var serverMaxWindowBits: Int?
        // Outer optional: offered or not; inner: with or without a value.
        var clientMaxWindowBits: Int??

        for parameter in offer.parameters {
            switch parameter.name.lowercased() {
            case "server_no_context_takeover":
                // RFC 7692 §7.1.1.1: no value; RFC 7692 §7.1: a duplicate makes the offer invalid.
                guard parameter.value == nil, !serverNoContextTakeover else { return nil }
                serverNoContextTakeover = true
            case "client_no_context_takeover":
                // RFC 7692 §7.1.1.2: no value; RFC 7692 §7.1: no duplicates.
                guard parameter.value == nil, !clientNoContextTakeover else { return nil }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                // RFC 7692 §7.1.2.1: a value is required; RFC 7692 §7.1: no duplicates.
                guard serverMaxWindowBits == nil, let value = parameter.value,
                    let bits = Self.windowBits(value)
                else { return nil }
                serverMaxWindowBits = bits
            case "client_max_window_bits":
                // RFC 7692 §7.1.2.2: no value, or a valid one; RFC 7692 §7.1: no duplicates.
                guard clientMaxWindowBits == nil else { return nil }
                if let value = parameter.value {
                    guard let bits = Self.windowBits(value) else { return nil }
                    clientMaxWindowBits = .some(bits)
                } else {
                    clientMaxWindowBits = .some(nil)
                }
            default:
                // RFC 7692 §7.1: an unknown parameter makes the offer invalid.
                return nil
            }
        }

        // A valid `server_max_window_bits=8` cannot be honoured: zlib refuses a 256-byte raw deflate
        // window (STYLE.md Appendix A1) and the answer may not exceed the offer (RFC 7692 §7.1.2.1).
        if serverMaxWindowBits == 8 {
            return nil
        }

        // RFC 7692 §7.1.1.1 and §7.1.1.2: the server may add both parameters unprompted.
        var headerValue = "\(Self.extensionName); server_no_context_takeover; client_no_context_takeover"
        var parameters = Parameters()
        if let bits = serverMaxWindowBits {
            // RFC 7692 §7.1.2.1: accepting means answering with the same or a smaller value; we
            // deflate with exactly this window.
            headerValue += "; server_max_window_bits=\(bits)"
            parameters.serverMaxWindowBits = bits
        }
        if let offered = clientMaxWindowBits {
            // RFC 7692 §7.1.2.2: only when offered; a value no larger than the offered one. Our
            // inflater's 15-bit window decodes any window the client picks.
            let bits = offered ?? 15
            headerValue += "; client_max_window_bits=\(bits)"
            parameters.clientMaxWindowBits = bits
        }
        return Response(headerValue: headerValue, parameters: parameters)
    }

    /// Parses a window size: `1*DIGIT` without leading zeros, `8`...`15` (RFC 7692 §7.1.2.1, §7.1.2.2).
    private static func windowBits(_ value: Substring) -> Int? {
        let utf8 = value.utf8
        guard let first = utf8.first, first != UInt8(ascii: "0"), utf8.count <= 2,
            utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let bits = Int(value), (8...15).contains(bits)
        else { return nil }
        return bits
    }
}
