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

/// One admin API request, read whole (the body is bounded by AdminAPI/maxBodySize).
package struct AdminRequest: Sendable {
    package var method: String
    /// The request target exactly as sent: path and query, still percent-encoded.
    package var target: String
    package var headers: HTTPHeaders
    package var body: ByteBuffer

    package init(method: String, target: String, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// One admin API response: a status, and a JSON or text body.
package struct AdminResponse: Sendable {
    package var status: HTTPResponseStatus
    package var headers: [(String, String)] = []
    package var contentType: String?
    package var body: ByteBuffer?

    package init(status: HTTPResponseStatus, contentType: String? = nil, body: ByteBuffer? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// `status` with `value` as its JSON body.
    package static func json(_ status: HTTPResponseStatus, _ value: some Encodable) -> AdminResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(value)
            return AdminResponse(
                status: status, contentType: "application/json", body: ByteBuffer(bytes: data))
        } catch {
            return .error(.internalServerError, "internal", "could not encode the response")
        }
    }

    /// `{"error": code, "message": message}` with `status`.
    package static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> AdminResponse {
        json(status, AdminErrorBody(error: code, message: message))
    }

    package static func badRequest(_ message: String) -> AdminResponse {
        .error(.badRequest, "bad_request", message)
    }

    package static func notFound(_ message: String) -> AdminResponse {
        .error(.notFound, "not_found", message)
    }
}

package struct AdminErrorBody: Codable, Sendable, Hashable {
    package var error: String
    package var message: String
}
