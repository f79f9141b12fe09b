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

/// RFC 9112 §3.2's rule for the `Host` field, as a function of a request head.
///
/// "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message
/// that lacks a Host header field and to any request message that contains more than one Host
/// header field line". HTTP/1.0 had no Host field, so an HTTP/1.0 request without one is fine;
/// two of them are not, in any version. The value itself is not checked here: NIOHTTP1's parser
/// has already refused bytes that cannot be in a field value, and an origin server with one name
/// has nothing to route on.
package enum HTTPHostField {
    /// What is wrong with a request's Host field lines.
    package enum Problem: Equatable, Sendable, CustomStringConvertible {
        /// An HTTP/1.1 (or later) request without a Host field.
        case missing
        /// More than one Host field line.
        case repeated(count: Int)

        package var description: String {
            switch self {
            case .missing: "an HTTP/1.1 request needs a Host header field"
            case .repeated(let count): "\(count) Host header fields; a request has at most one"
            }
        }
    }

    /// What is wrong with the Host field lines of a request of `version` with `headers`; nil when
    /// nothing is.
    package static func problem(version: HTTPVersion, headers: HTTPHeaders) -> Problem? {
        // Field lines, not list members: `headers[name]` does not split on commas, so one line
        // counts once whatever it holds. Names compare case-insensitively (RFC 9110 §5.1).
        let count = headers["Host"].count
        switch count {
        case 1:
            return nil
        case 0:
            // RFC 9112 §3.2: required from HTTP/1.1 on.
            let atLeastHTTP11 = version.major > 1 || (version.major == 1 && version.minor >= 1)
            return atLeastHTTP11 ? .missing : nil
        default:
            // RFC 9112 §3.2: more than one Host field line, in any version.
            return .repeated(count: count)
        }
    }
}

/// A request refused before it reached the listener's own handler (``StaticFileHandler``,
/// ``AdminHTTPHandler``), passed down the pipeline as an error: that handler answers it with
/// `400 Bad Request` in its own format (plain text, or the admin API's JSON) and closes, as it
/// does for a request the parser refused.
package struct HTTPRequestRefusal: Error, Sendable {
    /// The refused request's head: a `HEAD` request gets no body in the answer.
    package var head: HTTPRequestHead
    /// Why, for the answer.
    package var reason: String
}

/// Refuses requests that break RFC 9112 §3.2's Host rule (``HTTPHostField``) before any
/// listener's handler or the WebSocket upgrader sees them: `configureSwiftletHTTPServer` installs
/// one on every Swiftlet HTTP listener (static files and MQTT over WebSocket, the admin API).
///
/// A refused request does not go on: its head becomes an ``HTTPRequestRefusal`` error for the
/// handler after this one to answer, and every later part of the connection is dropped, since the
/// connection closes after the answer. The handler sits after NIOHTTP1's upgrade handler, whose
/// upgrader applies the same rule to `GET /mqtt` (RFC 6455 §4.2.1 item 2) and passes a refused
/// upgrade on as a plain request, which then ends here; when a connection does upgrade, this
/// handler leaves the pipeline before the WebSocket bytes flow.
package final class HTTPHostFieldValidator: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart

    private let logger: Logger
    /// A request was refused: drop everything that follows until the connection closes.
    private var refused = false

    /// - Parameter logger: For refused requests (debug: it is the client's mistake).
    package init(logger: Logger) {
        self.logger = logger
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.refused else { return }
        guard case .head(let head) = Self.unwrapInboundIn(data),
            let problem = HTTPHostField.problem(version: head.version, headers: head.headers)
        else {
            context.fireChannelRead(data)
            return
        }
        // RFC 9112 §3.2: 400 for a missing (HTTP/1.1) or repeated Host field.
        self.refused = true
        self.logger.debug(
            "refused HTTP request: Host field",
            metadata: [
                "http.method": "\(head.method.rawValue)", "http.target": "\(head.uri)",
                "http.version": "\(head.version)", "reason": "\(problem)",
            ])
        context.fireErrorCaught(HTTPRequestRefusal(head: head, reason: problem.description))
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if event is HTTPServerUpgradeEvents {
            // The connection speaks WebSocket from now on: leave before NIOHTTP1's upgrade
            // handler replays the bytes it buffered, which are not HTTP request parts.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}

@available(*, unavailable)
extension HTTPHostFieldValidator: Sendable {}
