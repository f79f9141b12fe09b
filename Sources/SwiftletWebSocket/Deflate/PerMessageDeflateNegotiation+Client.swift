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


// The client's side of RFC 7692 §5 and §7.1: one fixed offer, and the check of the answer.

extension PerMessageDeflateNegotiation {
    /// The offer a Swiftlet client sends: no context takeover in either direction, so that a
    /// compressed message never depends on an earlier one (RFC 7692 §7.1.1.1, §7.1.1.2). The
    /// client then needs no inflater between messages, and sends its own messages uncompressed,
    /// which RFC 7692 §6 allows per message.
    package static let clientOffer = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"

    /// What the server's answer to ``clientOffer`` agreed.
    package struct ClientParameters: Hashable, Sendable {
        /// Whether the server resets its compressor after every message (RFC 7692 §7.1.1.1). A
        /// server that accepts ``clientOffer`` must say so; if it did not, the client keeps one
        /// inflater for the whole connection.
        package var serverNoContextTakeover: Bool
        /// The window the server compresses with, if it named one (RFC 7692 §7.1.2.1); the
        /// client's 15-bit inflater decodes every window.
        package var serverMaxWindowBits: Int?

        package init(serverNoContextTakeover: Bool = true, serverMaxWindowBits: Int? = nil) {
            self.serverNoContextTakeover = serverNoContextTakeover
            self.serverMaxWindowBits = serverMaxWindowBits
        }
    }

    /// Checks the parameters of a `permessage-deflate` element of the server's response.
    ///
    /// - Throws: ``WebSocketClientHandshake/Failure`` for a parameter RFC 7692 §7.1 says fails
    ///   the connection.
    static func clientAccept(_ response: ExtensionHeaderParser.Offer) throws(WebSocketClientHandshake.Failure)
        -> ClientParameters
    {
        var parameters = ClientParameters(serverNoContextTakeover: false)
        var seen: Set<String> = []
        for parameter in response.parameters {
            let name = parameter.name.lowercased()
            // RFC 7692 §7.1: a response with a duplicate parameter fails the connection.
            guard seen.insert(name).inserted else {
                throw .init("permessage-deflate response repeats \(name)")
            }
            switch name {
            case "server_no_context_takeover":
                parameters.serverNoContextTakeover = true
            case "client_no_context_takeover":
                // RFC 7692 §7.1.1.2: the server may add it; we never keep context anyway.
                break
            case "server_max_window_bits":
                guard let value = parameter.value, let bits = Int(value), (8...15).contains(bits) else {
                    throw .init("permessage-deflate response has an invalid server_max_window_bits")
                }
                parameters.serverMaxWindowBits = bits
            case "client_max_window_bits":
                // RFC 7692 §7.1.2.2: "If a received extension negotiation response includes the
                // "client_max_window_bits" extension parameter and the corresponding extension
                // negotiation offer didn't include it, the client MUST _Fail the WebSocket
                // Connection_." Our offer does not include it.
                throw .init("permessage-deflate response has client_max_window_bits, which was not offered")
            default:
                // RFC 7692 §7.1: an unknown parameter in the response fails the connection.
                throw .init("permessage-deflate response has an unknown parameter \(name)")
            }
        }
        return parameters
    }
}
