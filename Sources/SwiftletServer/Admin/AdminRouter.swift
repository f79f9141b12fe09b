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

/// The admin API's routes (DESIGN §1): one table, which the handler dispatches on and which a test
/// compares with docs/openapi.yaml, so the document and the code cannot drift apart.
package enum AdminEndpoint: String, Sendable, Hashable, CaseIterable {
    case health
    case metrics
    case publish
    case p2p
    case issueToken
    case revokeToken
    case queryToken
    case issueDeviceCredential
    case listClients
    case showClient
    case kickClient
    case listRooms
    case stats
}

package struct AdminRoute: Sendable, Hashable {
    /// `GET`, `POST` or `DELETE`.
    package var method: String
    /// The path, with `{name}` for a parameter that matches one non-empty path segment.
    package var pattern: String
    package var endpoint: AdminEndpoint
    /// Whether the request needs admin credentials (everything under `/api/v1/`).
    package var requiresAuthentication: Bool { pattern.hasPrefix("/api/v1/") }
}

/// What a request path and method resolve to.
package enum AdminRouteMatch: Sendable, Hashable {
    /// A route, with its path parameters percent-decoded.
    case matched(AdminRoute, parameters: [String: String])
    /// The path exists, with other methods (RFC 9110 §15.5.6: 405 with `Allow`).
    case methodNotAllowed(allowed: [String])
    case notFound
    /// A path parameter is not valid percent-encoded UTF-8.
    case badPath
}

package enum AdminRouter {
    package static let routes: [AdminRoute] = [
        AdminRoute(method: "GET", pattern: "/healthz", endpoint: .health),
        AdminRoute(method: "GET", pattern: "/metrics", endpoint: .metrics),
        AdminRoute(method: "POST", pattern: "/api/v1/publish", endpoint: .publish),
        AdminRoute(method: "POST", pattern: "/api/v1/p2p", endpoint: .p2p),
        AdminRoute(method: "POST", pattern: "/api/v1/tokens", endpoint: .issueToken),
        AdminRoute(method: "POST", pattern: "/api/v1/tokens/revoke", endpoint: .revokeToken),
        AdminRoute(method: "POST", pattern: "/api/v1/tokens/query", endpoint: .queryToken),
        AdminRoute(method: "POST", pattern: "/api/v1/device-credentials", endpoint: .issueDeviceCredential),
        AdminRoute(method: "GET", pattern: "/api/v1/clients", endpoint: .listClients),
        AdminRoute(method: "GET", pattern: "/api/v1/clients/{clientId}", endpoint: .showClient),
        AdminRoute(method: "DELETE", pattern: "/api/v1/clients/{clientId}", endpoint: .kickClient),
        AdminRoute(method: "GET", pattern: "/api/v1/rooms", endpoint: .listRooms),
        AdminRoute(method: "GET", pattern: "/api/v1/stats", endpoint: .stats),
    ]

    /// Resolves a method and a raw path (no query; still percent-encoded). `HEAD` is served as
    /// `GET` without a body (RFC 9110 §9.3.2).
    package static func match(method: String, path: String) -> AdminRouteMatch {
        let method = method == "HEAD" ? "GET" : method
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var allowed: [String] = []
        for route in routes {
            guard let raw = parameters(pattern: route.pattern, segments: segments) else { continue }
            guard route.method == method else {
                allowed.append(route.method)
                continue
            }
            var decoded: [String: String] = [:]
            for (name, value) in raw {
                guard let text = percentDecoded(value) else { return .badPath }
                decoded[name] = text
            }
            return .matched(route, parameters: decoded)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }

    /// The raw parameter values if `segments` fit `pattern`.
    private static func parameters(pattern: String, segments: [Substring]) -> [String: Substring]? {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == segments.count else { return nil }
        var values: [String: Substring] = [:]
        for (part, segment) in zip(parts, segments) {
            if part.hasPrefix("{"), part.hasSuffix("}") {
                guard !segment.isEmpty else { return nil }
                values[String(part.dropFirst().dropLast())] = segment
            } else if part != segment {
                return nil
            }
        }
        return values
    }

    /// RFC 3986 §2.1 percent-decoding; nil for a bad escape or bytes that are not UTF-8.
    package static func percentDecoded(_ text: some StringProtocol) -> String? {
        PercentDecoding.bytes(text).flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// Splits a request target into its path and its query (RFC 9112 §3.2.1 origin-form).
    package static func split(target: String) -> (path: Substring, query: Substring?) {
        let withoutFragment = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let mark = withoutFragment.firstIndex(of: "?") else { return (withoutFragment, nil) }
        return (withoutFragment[..<mark], withoutFragment[withoutFragment.index(after: mark)...])
    }

    /// Query parameters, percent-decoded (`+` as a space, per HTML forms); the first of a name wins.
    package static func queryItems(_ query: Substring?) -> [String: String] {
        guard let query else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0].replacing("+", with: " ")) ?? ""
            let value = parts.count > 1 ? percentDecoded(parts[1].replacing("+", with: " ")) ?? "" : ""
            if items[name] == nil { items[name] = value }
        }
        return items
    }
}
