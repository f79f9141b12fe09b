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
import NIOHTTP1
import SwiftletBroker
import SwiftletFuzzSupport
import SwiftletServer
import SwiftletWebSocket

/// The HTTP request head fuzz case (issue 14): a request line's target and header fields, as the
/// static-file handler, the admin API and the WebSocket upgrade read them.
///
/// Input: a byte that picks the method (bits 0-2) and the HTTP version (bits 3-4), then text: the
/// first line is the request target, every further line a header field `name: value`. The text is
/// not parsed by NIOHTTP1 first: its parser only lets through a subset of these strings, and
/// everything after it must hold for any string. What must hold, besides never trapping:
/// - an accepted static-file target has only segments that are safe to join to the web root,
///   and its redirect stays on this site;
/// - resolving it under a test web root (with symbolic links pointing out of it) only ever opens
///   a regular file inside the root;
/// - the admin router's matches fit their route, and no credential but the configured ones
///   authenticates;
/// - the Host check, If-None-Match and the WebSocket handshake and deflate negotiation answer
///   anything.
package enum HTTPRequestHeadFuzzCase {
    private static let methods = ["GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS", "get", "CONNECT"]
    private static let versions = [HTTPVersion(major: 1, minor: 1), HTTPVersion(major: 1, minor: 0), HTTPVersion(major: 2, minor: 0), HTTPVersion(major: 0, minor: 9)]
    private static let adminToken = "fuzz-admin-token-0123456789"

    /// Checks one input; throws when a property does not hold.
    package static func check(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        let selector = input.byte()
        let method = Self.methods[Int(selector & 0b111)]
        let version = Self.versions[Int(selector >> 3 & 0b11)]
        let text = String(decoding: input.rest(), as: UTF8.self)
        var lines = text.split(separator: "\n", maxSplits: 64, omittingEmptySubsequences: false)
        let uri = lines.isEmpty ? "" : String(lines.removeFirst())
        let fields = lines.map(Self.field)

        try Self.checkStaticFile(uri: uri)
        try Self.checkAdmin(method: method, uri: uri, fields: fields)
        Self.checkHeaders(method: method, version: version, uri: uri, fields: fields)
    }

    /// Builds an input: the seed corpus is written through this.
    package static func input(method: String = "GET", uri: String, fields: [(String, String)] = []) -> [UInt8] {
        let selector = UInt8(Self.methods.firstIndex(of: method) ?? 0)
        let text = ([uri] + fields.map { "\($0): \($1)" }).joined(separator: "\n")
        return [selector] + Array(text.utf8)
    }

    /// A header line as `name: value`; a line without a colon is a name with an empty value.
    private static func field(_ line: Substring) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
        return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }))
    }

    // MARK: - Static files

    private static func checkStaticFile(uri: String) throws(FuzzFailure) {
        let target: StaticFileRequestTarget
        do throws(StaticFileRequestTarget.Rejection) {
            target = try StaticFileRequestTarget(uri: uri)
        } catch {
            return
        }
        for segment in target.segments {
            try fuzzCheck(
                !segment.isEmpty && !segment.hasPrefix(".") && !segment.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }),
                "segment '\(segment)' of '\(uri)' is not safe to join to a path"
            )
        }
        try fuzzCheck(target.rawPath.hasPrefix("/"), "'\(uri)' has the raw path '\(target.rawPath)'")
        // A directory asked for without its slash is redirected. RFC 9110 §10.2.2: Location is a
        // URI reference, and one starting with "//" names another host.
        if try WebRootFixture.shared.checkResolution(of: target) {
            let location = target.redirectLocation
            try fuzzCheck(
                location.hasPrefix("/") && !location.hasPrefix("//") && !location.contains("\\"),
                "'\(uri)' redirects off the site to '\(location)'"
            )
        }
    }

    // MARK: - Admin API

    private static let authenticator = AdminAuthenticator(
        adminToken: Self.adminToken,
        accessKeys: [AccessKey(id: "cloud-key", secret: "cloud-secret", role: .cloud)]
    )

    private static func checkAdmin(method: String, uri: String, fields: [(String, String)]) throws(FuzzFailure) {
        let (path, query) = AdminRouter.split(target: uri)
        switch AdminRouter.match(method: method, path: String(path)) {
        case .matched(let route, let parameters):
            try fuzzCheck(route.method == (method == "HEAD" ? "GET" : method), "\(method) \(path) matched \(route.method)")
            try fuzzCheck(
                route.pattern.contains("{") || route.pattern == path,
                "\(path) matched the pattern \(route.pattern)"
            )
            try fuzzCheck(parameters.values.allSatisfy { !$0.isEmpty }, "\(path) matched with an empty parameter")
        case .methodNotAllowed(let allowed):
            try fuzzCheck(!allowed.isEmpty && !allowed.contains(method), "405 for \(method) allows \(allowed)")
        case .notFound, .badPath:
            break
        }
        _ = AdminRouter.queryItems(query)

        let headers = HTTPHeaders(fields)
        let outcome = Self.authenticator.authenticate(
            method: method,
            target: uri,
            body: [UInt8](),
            nowMilliseconds: 1_800_000_000_000,
            header: { headers.first(name: $0) }
        )
        if case .accepted = outcome {
            // The fuzzer cannot sign a request; only the admin token itself may get in.
            let bearer = headers.first(name: "Authorization") ?? ""
            try fuzzCheck(bearer.contains(Self.adminToken), "\(fields) authenticated")
        }
    }

    // MARK: - Headers

    private static func checkHeaders(method: String, version: HTTPVersion, uri: String, fields: [(String, String)]) {
        let headers = HTTPHeaders(fields)
        _ = HTTPHostField.problem(version: version, headers: headers)
        _ = EntityTag(fileSize: 1234, modificationSeconds: 1_700_000_000, modificationNanoseconds: 5).matches(ifNoneMatch: headers["If-None-Match"])
        let outcome = WebSocketHandshake.evaluate(
            method: method,
            version: (version.major, version.minor),
            uri: uri,
            headers: fields
        )
        if case .accept(let accepted) = outcome {
            _ = PerMessageDeflateNegotiation.negotiate(
                offers: accepted.extensionOffers,
                configuration: PerMessageDeflateNegotiation.Configuration()
            )
        }
        _ = PerMessageDeflateNegotiation.negotiate(
            offers: WebSocketHandshake.extensionOffers(in: fields),
            configuration: PerMessageDeflateNegotiation.Configuration()
        )
    }
}
